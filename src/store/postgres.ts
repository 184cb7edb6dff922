/**
 * PostgreSQL engine: a node-postgres pool shared by N identical controller replicas.
 *
 * - SQL: the services' portable statements run unchanged; `?` placeholders become `$n`
 *   (sql-placeholders.ts states the one rule statements follow). int8 (COUNT(*), BIGINT, BIGSERIAL)
 *   and numeric come back as JS numbers, so services see the same row shapes as on SQLite.
 * - `write(fn)` gives write transactions serial semantics within their scope (postgres-clock.ts): a
 *   global write locks out every other writer from BEGIN to COMMIT; a scoped one (its `fn` calls
 *   `tx.scope(...)` first) only those sharing a scope, and global ones. Both read under READ COMMITTED after
 *   taking their locks, so check-then-insert invariants (quotas, IP/MAC/VNI picks, one flat network per
 *   physnet) hold across replicas; the unique indexes stay as the final guard. A deadlock (40P01), a
 *   unique violation from a racing writer outside this discipline (23505) or a statement prepared before
 *   another replica's migration runs `fn` again, so it must have no effects outside the transaction.
 * - BEGIN waits until it is sent with the first statement's locks (one round trip); `INSERT INTO changes`
 *   is kept and sent with the NOTIFY and COMMIT (one round trip), so a transaction does not see its own
 *   outbox records. Revisions are drawn and committed one transaction at a time (the clock row), so a
 *   reader tailing `revision > n` never sees n+2 commit before n+1. A rolled-back transaction can leave a
 *   hole in the numbering; a hole is never a lost change.
 * - Commit notifications: a transaction that appended change records sends `NOTIFY` with its COMMIT;
 *   `onChanges(listener)` hears every replica's commits (postgres-changes.ts).
 * - `read(fn)`: `REPEATABLE READ READ ONLY`, one snapshot for every statement of `fn`; never blocked.
 * - Migrations run under a session advisory lock per schema, so replicas starting together migrate once;
 *   the schema is checked (Alcor's, not newer than this build) before anything is written to it.
 *
 * URL: `postgres://user[:pass]@host[:port]/db[?schema=name][&pool_max=n]`; `schema` sets the search_path
 * of every pooled connection (created if missing), `pool_max` the pool size (default 10).
 */
import pg from 'pg';
import { InvalidInput, ServiceUnavailable } from '../domain/errors.js';
import { openSchema } from './migrations.js';
import { ChangeListener, changesChannel } from './postgres-changes.js';
import type { MigrationMode } from './schema-state.js';
import { beginWrite, commitWrite, type BufferedStatement } from './postgres-clock.js';
import { PlaceholderCache } from './sql-placeholders.js';
import type { Queryable, SqlValue, Store } from './store.js';
import { transactionRetries } from './metrics.js';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, isDatabaseUnavailable, isRetryableConflict, sqlState, type RetryPolicy } from './transaction-retry.js';

/** Advisory-lock class id of migrations (first key of the two-key form); the second key is hashtext(schema). */
const MIGRATION_LOCK_CLASS = 0x414c4d31; // "ALM1"

/** An outbox append: kept until COMMIT, which then notifies listeners of the changes channel. */
const OUTBOX_INSERT = /^\s*insert\s+into\s+changes\b/i;

/** The engine's own table, created before migrations (it is not part of the portable schema). */
const CLOCK_DDL = [
  'CREATE TABLE IF NOT EXISTS store_write_clock (id INTEGER PRIMARY KEY, ticks BIGINT NOT NULL)',
  'INSERT INTO store_write_clock (id, ticks) VALUES (1, 0) ON CONFLICT (id) DO NOTHING',
];

/** A connection URL split into what node-postgres takes and what this engine takes. */
export interface PostgresTarget {
  /** The URL without this engine's own query parameters. */
  connectionString: string;
  /** Schema for the search_path, or undefined for the server default. */
  schema: string | undefined;
  poolMax: number;
}

/** Parses `postgres://…[?schema=…&pool_max=…]`. */
export function parsePostgresUrl(url: string): PostgresTarget {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema') ?? undefined;
  const poolMax = Number(parsed.searchParams.get('pool_max') ?? 10);
  parsed.searchParams.delete('schema');
  parsed.searchParams.delete('pool_max');
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new RangeError(`postgres URL: schema "${schema}" must be a lower-case SQL identifier`);
  }
  if (!Number.isInteger(poolMax) || poolMax < 2 || poolMax > 1000) {
    throw new RangeError(`postgres URL: pool_max "${poolMax}" must be an integer in 2..1000`);
  }
  return { connectionString: parsed.toString(), schema, poolMax };
}

/** int8 as a JS number when it fits exactly (every id and counter here does), else a bigint. */
function parseInt8(text: string): number | bigint {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

const TYPES = {
  getTypeParser(oid: number, format?: string): (value: string) => unknown {
    if (oid === 20) return parseInt8;
    if (oid === 1700) return Number; // numeric: SUM(bigint), AVG(...)
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as unknown as pg.CustomTypesConfig;

/** Options of `openPostgresStore`. */
export interface PostgresStoreOptions {
  /** Retry policy of write transactions. @default DEFAULT_RETRY_POLICY */
  retry?: Partial<RetryPolicy>;
  /** `application_name` of the connections. @default "alcor-server" */
  applicationName?: string;
  /** What to do with pending schema migrations. @default "apply" */
  migrations?: MigrationMode;
}

/**
 * Connects to PostgreSQL and, once the schema is known to be Alcor's (or empty) and not newer than this
 * build, creates the URL's schema if needed and migrates it (once across replicas: the others wait on
 * the advisory lock, then find nothing pending).
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const target = parsePostgresUrl(url);
  const clientConfig: pg.ClientConfig = {
    connectionString: target.connectionString,
    types: TYPES,
    application_name: options.applicationName ?? 'alcor-server',
    ...(target.schema ? { options: `-c search_path=${target.schema}` } : {}),
  };
  const pool = new pg.Pool({ ...clientConfig, max: target.poolMax });
  // An idle client losing its connection must not crash the process; the next query reports the failure.
  pool.on('error', () => undefined);
  try {
    const lockClient = await pool.connect();
    try {
      const schema = target.schema ?? ((await lockClient.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s ?? 'public');
      await lockClient.query('SELECT pg_advisory_lock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, schema]);
      try {
        const store = new PostgresStore(pool, { ...DEFAULT_RETRY_POLICY, ...options.retry }, clientConfig, changesChannel(schema), schema);
        const prepare = async () => {
          if (target.schema) await lockClient.query(`CREATE SCHEMA IF NOT EXISTS ${target.schema}`);
          for (const statement of CLOCK_DDL) await lockClient.query(statement);
        };
        await openSchema(store, { label: `PostgreSQL schema "${schema}"`, mode: options.migrations ?? 'apply', prepare });
        return store;
      } finally {
        await lockClient.query('SELECT pg_advisory_unlock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, schema]);
      }
    } finally {
      lockClient.release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}

/** PostgreSQL refuses a prepared statement whose tables changed shape since it was prepared. */
function isStalePreparedStatement(err: unknown): boolean {
  return sqlState(err) === '0A000' && /cached plan must not change result type/.test((err as Error).message);
}

/** A transaction attempt that failed because a concurrent transaction got in the way. */
class ConflictedAttempt {
  constructor(
    /** What the attempt threw (the conflict itself, or a service error made from it). */
    readonly thrown: unknown,
    /** The PostgreSQL conflict. */
    readonly conflict: unknown,
  ) {}
}

/** State of one transaction attempt, shared by its Queryable. */
interface Attempt {
  client: pg.PoolClient;
  /** A read transaction (begun at once) or a write (begun with its first statement). */
  kind: 'read' | 'write';
  /** BEGIN (and the write's locks) has been sent. */
  begun: boolean;
  /** Scopes named before the first statement; undefined: a global write. */
  scopes: Set<string> | undefined;
  /** Outbox appends kept for the commit round trip. */
  outbox: BufferedStatement[];
  /** First statement error of the attempt: PostgreSQL aborts the transaction after it. */
  failure: unknown;
  /**
   * The connection's own error (the server shut down or the socket broke) when it came between
   * statements: pg emits it on the client, which must be listened to while checked out, or it would
   * be an uncaught 'error' event that ends the process.
   */
  connectionLost: Error | undefined;
}

/** Write attempts so far, round trips and time spent taking the write locks (benchmarks, tests). */
export interface WriteStats {
  transactions: number;
  roundTrips: number;
  /** Milliseconds spent in the round trips that take locks (BEGIN of a write, its commit). */
  lockRoundTripMs: number;
}

/** The PostgreSQL Store. */
export class PostgresStore implements Store {
  readonly engine = 'postgres' as const;
  private readonly placeholders = new PlaceholderCache();
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private closing: Promise<void> | undefined;
  /** Write attempts that were retried after a conflict, for metrics and tests. */
  retries = 0;
  /** The most attempts one write needed so far. */
  maxAttemptsUsed = 0;
  /** What write transactions cost so far (read by benchmarks and tests). */
  readonly writeStats: WriteStats = { transactions: 0, roundTrips: 0, lockRoundTripMs: 0 };

  private changeListener: Promise<ChangeListener> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly retry: RetryPolicy,
    private readonly clientConfig: pg.ClientConfig,
    /** NOTIFY channel rung by every commit that appended change records. */
    readonly changesChannel: string,
    /** The schema: keys the write locks. */
    private readonly schema: string,
  ) {}

  /**
   * Calls `listener` after any replica commits change records to this schema's outbox (PostgreSQL
   * LISTEN/NOTIFY; see postgres-changes.ts). Resolves once listening; the result removes the listener.
   */
  async onChanges(listener: () => void): Promise<() => void> {
    this.changeListener ??= ChangeListener.start(this.clientConfig, this.changesChannel);
    return (await this.changeListener).add(listener);
  }

  /** Sends one write round trip, counted; `locking` ones are timed as lock round trips. */
  private async send(attempt: Attempt, text: string, locking: boolean): Promise<void> {
    const started = performance.now();
    this.writeStats.roundTrips++;
    await attempt.client.query(text);
    if (locking) this.writeStats.lockRoundTripMs += performance.now() - started;
  }

  private async query(attempt: Attempt, sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult | undefined> {
    if (attempt.failure !== undefined) throw attempt.failure;
    // PostgreSQL text cannot hold U+0000 (SQLite can); refuse it as bad input rather than fail with a 500.
    if (params.some((v) => typeof v === 'string' && v.includes('\u0000'))) {
      throw new InvalidInput('Text with a NUL character (U+0000) is not accepted');
    }
    try {
      if (!attempt.begun) {
        attempt.begun = true;
        await this.send(attempt, beginWrite(this.schema, attempt.scopes, (t) => attempt.client.escapeLiteral(t)), true);
      }
      if (attempt.kind === 'write' && OUTBOX_INSERT.test(sql)) {
        attempt.outbox.push({ sql, params: [...params] });
        return undefined;
      }
      if (attempt.kind === 'write') this.writeStats.roundTrips++;
      const values = params.map((v) => (typeof v === 'bigint' ? v.toString() : v));
      const { text, name } = this.placeholders.translate(sql);
      return await attempt.client.query(name ? { name, text, values } : { text, values });
    } catch (err) {
      attempt.failure = err;
      throw err;
    }
  }

  private queryable(attempt: Attempt): Queryable {
    return {
      all: async <R>(sql: string, params: readonly SqlValue[] = []) => ((await this.query(attempt, sql, params))?.rows ?? []) as R[],
      get: async <R>(sql: string, params: readonly SqlValue[] = []) => (await this.query(attempt, sql, params))?.rows[0] as R | undefined,
      run: async (sql: string, params: readonly SqlValue[] = []) => {
        const result = await this.query(attempt, sql, params);
        return result ? (result.rowCount ?? 0) : 1;
      },
      scope: async (...keys: string[]) => {
        if (attempt.kind === 'read') return;
        if (!attempt.begun) {
          attempt.scopes ??= new Set();
          for (const key of keys) attempt.scopes.add(key);
        } else if (attempt.scopes !== undefined && keys.some((key) => !attempt.scopes?.has(key))) {
          // Reads made before the lock could be stale: a programming error, not a race.
          throw new Error(`write scope ${keys.join(', ')} named after the transaction's first statement`);
        }
      },
    };
  }

  private async transaction<T>(kind: Attempt['kind'], fn: (q: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((err: unknown) => {
      throw isDatabaseUnavailable(err) ? new ServiceUnavailable('The database is unavailable; retry later', { cause: err }) : err;
    });
    const attempt: Attempt = { client, kind, begun: kind === 'read', scopes: undefined, outbox: [], failure: undefined, connectionLost: undefined };
    const lost = (err: Error) => {
      attempt.connectionLost ??= err;
    };
    client.on('error', lost);
    let broken: Error | undefined;
    try {
      if (kind === 'read') await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      else this.writeStats.transactions++;
      const result = await fn(this.queryable(attempt));
      // A statement failed but fn swallowed it: COMMIT would silently roll back, so report the failure.
      if (attempt.failure !== undefined) throw attempt.failure;
      if (!attempt.begun) return result; // fn sent nothing: there is no transaction to commit
      try {
        const quote = (t: string) => client.escapeLiteral(t);
        if (kind === 'read') await client.query('COMMIT');
        else await this.send(attempt, commitWrite(attempt.scopes !== undefined, attempt.outbox, client.escapeIdentifier(this.changesChannel), quote), true);
      } catch (err) {
        attempt.failure = err;
        throw err;
      }
      return result;
    } catch (err) {
      if (attempt.begun) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          broken = rollbackErr as Error;
        }
      }
      // Another replica's migration changed a table under this connection's prepared statements: drop
      // the connection (a new one prepares afresh) and let the write loop run the transaction again.
      if (isStalePreparedStatement(attempt.failure)) {
        broken = attempt.failure as Error;
        throw new ConflictedAttempt(err, attempt.failure);
      }
      // A conflict the service turned into its own error is still a conflict: the write loop retries it.
      if (attempt.failure !== undefined && isRetryableConflict(attempt.failure)) throw new ConflictedAttempt(err, attempt.failure);
      if (attempt.connectionLost !== undefined || isDatabaseUnavailable(attempt.failure ?? err)) {
        broken ??= attempt.connectionLost ?? (err as Error);
        throw new ServiceUnavailable('The database is unavailable; retry later', { cause: attempt.connectionLost ?? err });
      }
      throw err;
    } finally {
      client.removeListener('error', lost);
      // A connection that failed after a successful COMMIT must not go back to the pool either.
      client.release(broken ?? attempt.connectionLost);
    }
  }

  private async tracked<T>(work: () => Promise<T>): Promise<T> {
    if (this.closing) throw new Error('the store is closed');
    this.inFlight++;
    try {
      return await work();
    } finally {
      if (--this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  write<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.tracked(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          const result = await this.transaction('write', fn);
          this.maxAttemptsUsed = Math.max(this.maxAttemptsUsed, attempt);
          return result;
        } catch (err) {
          if (!(err instanceof ConflictedAttempt)) throw err;
          // Every write ran alone within its scope: a unique violation is real unless a writer outside this
          // discipline (a release before this one, during a rolling upgrade) got in the way, so it gets one
          // more attempt. Out of attempts likewise: the caller gets what fn threw (a service may have mapped
          // it to a 409).
          if (attempt >= this.retry.maxAttempts || (attempt >= 2 && sqlState(err.conflict) === '23505')) throw err.thrown;
          this.retries++;
          transactionRetries.inc();
          await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(this.retry, attempt)));
        }
      }
    });
  }

  read<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    return this.tracked(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.transaction('read', fn);
        } catch (err) {
          // Only a stale prepared statement (its connection is now dropped) makes a read worth repeating.
          if (!(err instanceof ConflictedAttempt)) throw err;
          if (attempt >= 5 || !isStalePreparedStatement(err.conflict)) throw err.thrown;
        }
      }
    });
  }

  /** Runs one statement outside any transaction (health checks, administration). */
  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      if (this.changeListener) await (await this.changeListener.catch(() => undefined))?.close();
      await this.pool.end();
    })();
    return this.closing;
  }
}
