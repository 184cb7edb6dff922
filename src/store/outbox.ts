/**
 * The transactional outbox. Every API write appends one record per changed resource inside its own
 * transaction; the record's `revision` is the global, monotonically increasing revision the data-plane
 * manager compiles goal states from.
 */
import type { Queryable } from './store.js';

/** What happened to a resource. */
export type ChangeOperation = 'create' | 'update' | 'delete';

/** Appends one change record in the caller's transaction. */
export async function appendChange(
  tx: Queryable,
  resourceType: string,
  resourceId: string,
  operation: ChangeOperation,
): Promise<void> {
  await tx.run('INSERT INTO changes (resource_type, resource_id, operation, created_at) VALUES (?, ?, ?, ?)', [
    resourceType,
    resourceId,
    operation,
    new Date().toISOString(),
  ]);
}
