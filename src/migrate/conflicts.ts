/** Why a Neutron resource could not be imported; the run reports it and goes on with the others. */

/** The kinds of conflict an operator may see in a summary. */
export type ConflictReason =
  | 'same-id-different-content'
  | 'segment-out-of-range'
  | 'segment-in-use'
  | 'ip-in-use'
  | 'mac-in-use'
  | 'default-group-exists'
  | 'missing-dependency'
  | 'in-use'
  | 'unsupported'
  | 'invalid'
  | 'error';

/** A conflict of one resource with Alcor's state; nothing of that resource was written. */
export class MigrationConflict extends Error {
  override name = 'MigrationConflict';
  constructor(
    readonly reason: ConflictReason,
    message: string,
  ) {
    super(message);
  }
}

/** Conflicts that an ordering problem can cause, so a later pass of the same run may succeed. */
export const RETRYABLE_REASONS: readonly ConflictReason[] = ['ip-in-use', 'mac-in-use', 'missing-dependency', 'in-use', 'segment-in-use'];
