/**
 * One fan-out scope (`host/<host>` or `vpc/<network>`): its current compiled entries and a bounded log
 * of recent deltas for agents that resume. A resume from revision R is possible when R >= `floor`
 * (every delta after `floor` is still in the log); otherwise the agent gets a snapshot.
 */
import type { CompiledEntry } from './compiler.js';
import { encodeDelete, sameBytes, scopeDeltaField } from './wire.js';

/** Retention of a scope's delta log. */
export interface ScopeLogLimits {
  /** Most deltas kept. @default 2048 */
  maxEntries: number;
  /** Most bytes kept. @default 8 MiB */
  maxBytes: number;
}

/** Default log retention. */
export const DEFAULT_SCOPE_LOG_LIMITS: ScopeLogLimits = { maxEntries: 2048, maxBytes: 8 << 20 };

interface LogEntry {
  revision: number;
  field: Uint8Array;
}

/** A scope's entries and its delta log. */
export class Scope {
  /** Entry key (`kind/id`) → compiled entry. */
  readonly entries = new Map<string, CompiledEntry>();
  private readonly log: LogEntry[] = [];
  private logStart = 0;
  private logBytes = 0;
  /** Revision of the newest delta (the start-up revision before the first one): the base of the next. */
  lastRevision: number;

  constructor(
    readonly name: string,
    /** Every delta after this revision is in the log. */
    public floor: number,
    private readonly limits: ScopeLogLimits = DEFAULT_SCOPE_LOG_LIMITS,
  ) {
    this.lastRevision = floor;
  }

  /** Sets one entry; returns the record to send, or undefined when nothing changed. */
  upsert(key: string, entry: CompiledEntry): Uint8Array | undefined {
    const current = this.entries.get(key);
    if (current && sameBytes(current.bytes, entry.bytes)) return undefined;
    this.entries.set(key, entry);
    return entry.bytes;
  }

  /** Removes one entry; returns the delete record, or undefined when it was absent. */
  remove(key: string): Uint8Array | undefined {
    const current = this.entries.get(key);
    if (!current) return undefined;
    this.entries.delete(key);
    return encodeDelete(current.kind, current.id);
  }

  /**
   * Replaces all entries; returns the records that turn the old set into the new one (deletes first)
   * and the keys that were upserted or removed.
   */
  replaceAll(next: ReadonlyMap<string, CompiledEntry>): { records: Uint8Array[]; upserted: string[]; removed: string[] } {
    const deletes: Uint8Array[] = [];
    const upserts: Uint8Array[] = [];
    const upserted: string[] = [];
    const removed: string[] = [];
    for (const key of [...this.entries.keys()]) {
      if (!next.has(key)) {
        const record = this.remove(key);
        if (record) {
          deletes.push(record);
          removed.push(key);
        }
      }
    }
    for (const [key, entry] of next) {
      const record = this.upsert(key, entry);
      if (record) {
        upserts.push(record);
        upserted.push(key);
      }
    }
    return { records: [...deletes, ...upserts], upserted, removed };
  }

  /** Logs the records of one revision; returns the encoded `GoalStateDelta.scopes` field. */
  record(revision: number, records: readonly Uint8Array[]): Uint8Array {
    const field = scopeDeltaField(this.name, records);
    this.lastRevision = revision;
    this.log.push({ revision, field });
    this.logBytes += field.length;
    while (this.log.length - this.logStart > this.limits.maxEntries || this.logBytes > this.limits.maxBytes) {
      const dropped = this.log[this.logStart];
      if (!dropped) break;
      this.logStart++;
      this.logBytes -= dropped.field.length;
      this.floor = dropped.revision;
    }
    if (this.logStart > 1024 && this.logStart * 2 > this.log.length) {
      this.log.splice(0, this.logStart);
      this.logStart = 0;
    }
    return field;
  }

  /** Logged deltas after `revision`, or undefined when some were already dropped. */
  since(revision: number): LogEntry[] | undefined {
    if (revision < this.floor) return undefined;
    const out: LogEntry[] = [];
    for (let i = this.log.length - 1; i >= this.logStart; i--) {
      const entry = this.log[i];
      if (!entry || entry.revision <= revision) break;
      out.push(entry);
    }
    return out.reverse();
  }

  /** The whole scope as one `GoalStateDelta.scopes` field marked full (a host joining the scope gets this). */
  fullField(): Uint8Array {
    return scopeDeltaField(
      this.name,
      [...this.entries.values()].map((e) => e.bytes),
      true,
    );
  }
}

/** Scope name of a host. */
export function hostScope(host: string): string {
  return `host/${host}`;
}

/** Scope name of a VPC (network). */
export function vpcScope(networkId: string): string {
  return `vpc/${networkId}`;
}
