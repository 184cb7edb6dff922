/**
 * PostgreSQL engine: a node-postgres pool shared by N identical controller replicas.
 *
 * - SQL: the services' portable statements run unchanged; `?` placeholders become `$n`
 *   (sql-placeholders.ts states the one rule statements follow). int8 (COUNT(*), BIGINT, BIGSERIAL)
 *   and numeric come back as JS numbers, so services see the same row shapes as on SQLite.
 * - `write(fn)`: one pooled client, `BEGIN ISOLATION LEVEL REPEATABLE READ` … `COMMIT`. REPEATABLE READ
 *   turns a lost update of a row (two replicas editing one port) into a serialization failure instead of
 *   a silent overwrite; the unique indexes guard the allocators. On a concurrency conflict
 *   (transaction-retry.ts) the whole `fn` runs again, up to 30 times with jittered backoff, so `fn`
 *   must have no effects outside the transaction. Check-then-insert invariants that no index enforces
 *   (quota counts, one flat network per physnet) can still be overshot by racing replicas (write skew).
 * - Outbox order: before a transaction's first `INSERT INTO changes` the engine takes a transaction-level
 *   advisory lock. Revisions (BIGSERIAL) are then drawn and committed one transaction at a time, so a
 *   reader tailing `revision > n` never sees revision n+2 commit before n+1. Rolled-back transactions
 *   can leave holes in the numbering; a hole is never a lost change.
 * - `read(fn)`: `REPEATABLE READ READ ONLY`, one snapshot for every statement of `fn`.
 * - Migrations run under a session advisory lock per schema, so replicas starting together migrate once.
 *
 * URL: `postgres://user[:pass]@host[:port]/db[?schema=name][&pool_max=n]`; `schema` sets the search_path
 * of every pooled connection (created if missing), `pool_max` the pool size (default 10).
 */
import pg from 'pg';
import { migrate } from './migrations.js';
import { PlaceholderCache } from './sql-placeholders.js';
import type { Queryable, SqlValue, Store } from './store.js';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, isRetryableConflict, type RetryPolicy } from './transaction-retry.js';

/** Advisory-lock class ids (first key of the two-key form); the second key is hashtext(schema). */
const MIGRATION_LOCK_CLASS = 0x414c4d31; // "ALM1"
const OUTBOX_LOCK_CLASS = 0x414c4f31; // "ALO1"

const OUTBOX_INSERT = /^\s*insert\s+into\s+changes\b/i;

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
}

/** Connects to PostgreSQL, creates the URL's schema if needed and migrates it (once across replicas). */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const target = parsePostgresUrl(url);
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    max: target.poolMax,
    types: TYPES,
    application_name: options.applicationName ?? 'alcor-server',
    ...(target.schema ? { options: `-c search_path=${target.schema}` } : {}),
  });
  // An idle client losing its connection must not crash the process; the next query reports the failure.
  pool.on('error', () => undefined);
  try {
    const lockClient = await pool.connect();
    try {
      const schema = target.schema ?? ((await lockClient.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s ?? 'public');
      await lockClient.query('SELECT pg_advisory_lock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, schema]);
      try {
        if (target.schema) await lockClient.query(`CREATE SCHEMA IF NOT EXISTS ${target.schema}`);
        const key = (await lockClient.query<{ h: number }>('SELECT hashtext($1) AS h', [schema])).rows[0]?.h ?? 0;
        const store = new PostgresStore(pool, key, { ...DEFAULT_RETRY_POLICY, ...options.retry });
        await migrate(store);
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
  outboxLocked: boolean;
  /** First statement error of the attempt: PostgreSQL aborts the transaction after it. */
  failure: unknown;
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

  constructor(
    private readonly pool: pg.Pool,
    private readonly outboxLockKey: number,
    private readonly retry: RetryPolicy,
  ) {}

  private async query(attempt: Attempt, sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult> {
    if (attempt.failure !== undefined) throw attempt.failure;
    try {
      if (!attempt.outboxLocked && OUTBOX_INSERT.test(sql)) {
        await attempt.client.query(`SELECT pg_advisory_xact_lock(${OUTBOX_LOCK_CLASS}, ${this.outboxLockKey})`);
        attempt.outboxLocked = true;
      }
      const values = params.map((v) => (typeof v === 'bigint' ? v.toString() : v));
      return await attempt.client.query(this.placeholders.translate(sql), values);
    } catch (err) {
      attempt.failure = err;
      throw err;
    }
  }

  private queryable(attempt: Attempt): Queryable {
    return {
      all: async <R>(sql: string, params: readonly SqlValue[] = []) => (await this.query(attempt, sql, params)).rows as R[],
      get: async <R>(sql: string, params: readonly SqlValue[] = []) => (await this.query(attempt, sql, params)).rows[0] as R | undefined,
      run: async (sql: string, params: readonly SqlValue[] = []) => (await this.query(attempt, sql, params)).rowCount ?? 0,
    };
  }

  private async transaction<T>(begin: string, fn: (q: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const attempt: Attempt = { client, outboxLocked: false, failure: undefined };
    let broken: Error | undefined;
    try {
      await client.query(begin);
      const result = await fn(this.queryable(attempt));
      // A statement failed but fn swallowed it: COMMIT would silently roll back, so report the failure.
      if (attempt.failure !== undefined) throw attempt.failure;
      try {
        await client.query('COMMIT');
      } catch (err) {
        attempt.failure = err;
        throw err;
      }
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        broken = rollbackErr as Error;
      }
      // A conflict the service turned into its own error is still a conflict: the write loop retries it.
      if (attempt.failure !== undefined && isRetryableConflict(attempt.failure)) throw new ConflictedAttempt(err, attempt.failure);
      throw err;
    } finally {
      client.release(broken);
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
          return await this.transaction('BEGIN ISOLATION LEVEL REPEATABLE READ', fn);
        } catch (err) {
          if (!(err instanceof ConflictedAttempt)) throw err;
          // Out of attempts: the caller gets what fn threw (a service may have mapped the conflict to a 409).
          if (attempt >= this.retry.maxAttempts) throw err.thrown;
          this.retries++;
          await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(this.retry, attempt)));
        }
      }
    });
  }

  read<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    return this.tracked(() => this.transaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', fn));
  }

  /** Runs one statement outside any transaction (health checks, administration). */
  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      await this.pool.end();
    })();
    return this.closing;
  }
}
