/**
 * The PostgreSQL write clock: which locks a write transaction takes, and when.
 *
 * - A **global** write (the default) takes the write lock exclusively when it begins: nothing else writes
 *   until it commits, and it reads under READ COMMITTED, so every statement sees every earlier commit.
 * - A **scoped** write names its scopes (`Queryable.scope`, e.g. `network:<id>`, `project:<id>`) before
 *   its first statement: it takes the write lock shared and one exclusive lock per scope, in sorted order,
 *   when it begins. Scoped writes with disjoint scopes run in parallel; writes sharing a scope queue; a
 *   global write waits for all of them and they for it. A scope must cover every check-then-insert
 *   invariant the transaction relies on (IP/MAC per network, quota and default group per project).
 * - **Outbox order.** Revisions come from a sequence, so they must be drawn and committed one transaction
 *   at a time: the `store_write_clock` row is ticked (row-locked) before a transaction draws one and held to
 *   COMMIT. A global write ticks it when it begins; a scoped write ticks it in its last round trip, with its
 *   buffered `INSERT INTO changes`, the NOTIFY and the COMMIT, so the serial section is one round trip.
 *   A reader tailing `revision > n` therefore never sees n+2 commit before n+1.
 * - Releases before this one tick the same row before their first write (REPEATABLE READ, failing on a
 *   concurrent tick), so they stay correct beside these: every write here ticks it too.
 *
 * The locks are advisory transaction locks (fair: a waiting global write holds back later scoped ones), keyed
 * by the schema so several schemas on one server do not share them.
 */
import { replacePlaceholders } from './sql-placeholders.js';
import type { SqlValue } from './store.js';

/** Advisory-lock class id of the write lock (first key of the two-key form; the second is hashtext(schema)). */
const WRITE_LOCK_CLASS = 0x414c5731; // "ALW1"

/** Ticks (and thereby row-locks until COMMIT) the clock row: a transaction does it before it draws a revision. */
export const TICK_CLOCK = 'UPDATE store_write_clock SET ticks = ticks + 1 WHERE id = 1';

/** Quotes a string as an SQL literal (the connection's own escaping). */
export type QuoteLiteral = (text: string) => string;

/** One statement kept until COMMIT. */
export interface BufferedStatement {
  sql: string;
  params: readonly SqlValue[];
}

function literal(value: SqlValue, quote: QuoteLiteral): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'bigint') return value.toString();
  if (!Number.isFinite(value)) throw new RangeError(`cannot write ${value} to PostgreSQL`);
  return String(value);
}

/** The statements that begin a write transaction: global when `scopes` is undefined, else scoped. */
export function beginWrite(schema: string, scopes: ReadonlySet<string> | undefined, quote: QuoteLiteral): string {
  const writeLock = `${WRITE_LOCK_CLASS}, hashtext(${quote(schema)})`;
  if (scopes === undefined) return `BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(${writeLock}); ${TICK_CLOCK}`;
  const scopeLocks = [...scopes].sort().map((scope) => `SELECT pg_advisory_xact_lock(hashtextextended(${quote(`${schema}/${scope}`)}, 0))`);
  return ['BEGIN ISOLATION LEVEL READ COMMITTED', `SELECT pg_advisory_xact_lock_shared(${writeLock})`, ...scopeLocks].join('; ');
}

/**
 * The last round trip of a write transaction: a scoped write ticks the clock, then the buffered outbox
 * records (parameters inlined as literals: a multi-statement query takes none), the NOTIFY, the COMMIT.
 */
export function commitWrite(scoped: boolean, outbox: readonly BufferedStatement[], notifyChannel: string, quote: QuoteLiteral): string {
  const statements = scoped ? [TICK_CLOCK] : [];
  for (const { sql, params } of outbox) statements.push(replacePlaceholders(sql, (n) => literal(params[n - 1] ?? null, quote)));
  if (outbox.length > 0) statements.push(`NOTIFY ${notifyChannel}`);
  statements.push('COMMIT');
  return statements.join('; ');
}
