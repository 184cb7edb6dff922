/**
 * PostgreSQL engine: a node-postgres pool shared by N identical controller replicas.
 *
 * - SQL: the services' portable statements run unchanged; `?` placeholders become `$n`
 *   (sql-placeholders.ts states the one rule statements follow). int8 (COUNT(*), BIGINT, BIGSERIAL)
 *   and numeric come back as JS numbers, so services see the same row shapes as on SQLite.
 * - `write(fn)` gives every write transaction serial semantics, like SQLite, without serialising the
 *   reads that precede its first write. The engine keeps one row, `store_write_clock`; every write
 *   transaction updates it right before its first writing statement and holds that row lock until
 *   COMMIT. The first attempt runs in REPEATABLE READ: if any other writer committed after its snapshot,
 *   the clock update fails with a serialization failure (40001), so what it read is never stale when
 *   it writes. Retries (after 40001, deadlock 40P01, or a unique violation 23505 from racing
 *   allocators) run "serialized": READ COMMITTED with the clock row locked first, so they see every
 *   commit and no other writer can commit meanwhile. Contended writes therefore take two attempts at
 *   most, and under sustained contention most writes start serialized right away rather than waste an
 *   optimistic attempt (a moving conflict share decides). Check-then-insert invariants (quotas,
 *   IP/MAC/VNI picks, one flat network per physnet) hold across replicas, and the unique indexes stay
 *   as the final guard. `fn` may run more than once, so it must have no effects outside the transaction.
 * - Outbox order: `INSERT INTO changes` is a write, so it happens under the clock lock. BIGSERIAL
 *   revisions are thus drawn and committed one transaction at a time, and a reader tailing
 *   `revision > n` never sees revision n+2 commit before n+1. A rolled-back transaction can leave a hole
 *   in the numbering; a hole is never a lost change.
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
import { PlaceholderCache } from './sql-placeholders.js';
import type { Queryable, SqlValue, Store } from './store.js';
import { transactionRetries } from './metrics.js';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, isDatabaseUnavailable, isRetryableConflict, sqlState, type RetryPolicy } from './transaction-retry.js';

/** Advisory-lock class id of migrations (first key of the two-key form); the second key is hashtext(schema). */
const MIGRATION_LOCK_CLASS = 0x414c4d31; // "ALM1"

/** Statements that write or lock rows: the clock is taken before the first of them. */
const WRITING_STATEMENT = /^\s*(insert|update|delete|create|alter|drop|with)\b|\bfor\s+(no\s+key\s+)?(update|share)\b/i;

/** Every write transaction ticks (and thereby row-locks) the one clock row before its first write. */
const TICK_CLOCK = 'UPDATE store_write_clock SET ticks = ticks + 1 WHERE id = 1';

/** An outbox append: the commit then notifies listeners of the changes channel. */
const OUTBOX_INSERT = /^\s*insert\s+into\s+changes\b/i;

/** Weight of the newest optimistic attempt in the contention estimate. */
const CONTENTION_WEIGHT = 0.1;

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
        const store = new PostgresStore(pool, { ...DEFAULT_RETRY_POLICY, ...options.retry }, clientConfig, changesChannel(schema));
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

/** How an attempt runs: optimistic (first) or serialized behind the clock (retries). */
type AttemptMode = 'optimistic' | 'serialized' | 'read';

const BEGIN: Record<AttemptMode, string> = {
  optimistic: 'BEGIN ISOLATION LEVEL REPEATABLE READ',
  serialized: 'BEGIN ISOLATION LEVEL READ COMMITTED',
  read: 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
};

/** State of one transaction attempt, shared by its Queryable. */
interface Attempt {
  client: pg.PoolClient;
  mode: AttemptMode;
  /** The clock row is locked by this transaction. */
  ticked: boolean;
  /** The transaction appended outbox records: ring the changes channel at commit. */
  appendedChanges: boolean;
  /** First statement error of the attempt: PostgreSQL aborts the transaction after it. */
  failure: unknown;
  /**
   * The connection's own error (the server shut down or the socket broke) when it came between
   * statements: pg emits it on the client, which must be listened to while checked out, or it would
   * be an uncaught 'error' event that ends the process.
   */
  connectionLost: Error | undefined;
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
  /** Moving share of optimistic attempts that conflicted (0..1). */
  private contention = 0;

  private changeListener: Promise<ChangeListener> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly retry: RetryPolicy,
    private readonly clientConfig: pg.ClientConfig,
    /** NOTIFY channel rung by every commit that appended change records. */
    readonly changesChannel: string,
  ) {}

  /**
   * Calls `listener` after any replica commits change records to this schema's outbox (PostgreSQL
   * LISTEN/NOTIFY; see postgres-changes.ts). Resolves once listening; the result removes the listener.
   */
  async onChanges(listener: () => void): Promise<() => void> {
    this.changeListener ??= ChangeListener.start(this.clientConfig, this.changesChannel);
    return (await this.changeListener).add(listener);
  }

  private async query(attempt: Attempt, sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult> {
    if (attempt.failure !== undefined) throw attempt.failure;
    // PostgreSQL text cannot hold U+0000 (SQLite can); refuse it as bad input rather than fail with a 500.
    if (params.some((v) => typeof v === 'string' && v.includes('\u0000'))) {
      throw new InvalidInput('Text with a NUL character (U+0000) is not accepted');
    }
    try {
      if (!attempt.ticked && attempt.mode !== 'read' && WRITING_STATEMENT.test(sql)) {
        attempt.ticked = true;
        await attempt.client.query(TICK_CLOCK);
      }
      if (OUTBOX_INSERT.test(sql)) attempt.appendedChanges = true;
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
      all: async <R>(sql: string, params: readonly SqlValue[] = []) => (await this.query(attempt, sql, params)).rows as R[],
      get: async <R>(sql: string, params: readonly SqlValue[] = []) => (await this.query(attempt, sql, params)).rows[0] as R | undefined,
      run: async (sql: string, params: readonly SqlValue[] = []) => (await this.query(attempt, sql, params)).rowCount ?? 0,
    };
  }

  private async transaction<T>(mode: AttemptMode, fn: (q: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((err: unknown) => {
      throw isDatabaseUnavailable(err) ? new ServiceUnavailable('The database is unavailable; retry later', { cause: err }) : err;
    });
    const attempt: Attempt = { client, mode, ticked: mode === 'serialized', appendedChanges: false, failure: undefined, connectionLost: undefined };
    const lost = (err: Error) => {
      attempt.connectionLost ??= err;
    };
    client.on('error', lost);
    let broken: Error | undefined;
    try {
      // One round trip each for BEGIN (+ the clock of a serialized attempt) and for the NOTIFY + COMMIT:
      // the simple query protocol runs both statements in order and stops at the first that fails.
      await client.query(mode === 'serialized' ? `${BEGIN[mode]}; ${TICK_CLOCK}` : BEGIN[mode]);
      const result = await fn(this.queryable(attempt));
      // A statement failed but fn swallowed it: COMMIT would silently roll back, so report the failure.
      if (attempt.failure !== undefined) throw attempt.failure;
      try {
        await client.query(attempt.appendedChanges ? `NOTIFY ${client.escapeIdentifier(this.changesChannel)}; COMMIT` : 'COMMIT');
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
        const mode: AttemptMode = attempt === 1 && !this.startSerialized() ? 'optimistic' : 'serialized';
        try {
          const result = await this.transaction(mode, fn);
          if (mode === 'optimistic') this.contention *= 1 - CONTENTION_WEIGHT;
          this.maxAttemptsUsed = Math.max(this.maxAttemptsUsed, attempt);
          return result;
        } catch (err) {
          if (mode === 'optimistic') this.contention = this.contention * (1 - CONTENTION_WEIGHT) + (err instanceof ConflictedAttempt ? CONTENTION_WEIGHT : 0);
          if (!(err instanceof ConflictedAttempt)) throw err;
          // A serialized attempt ran alone among writers: a unique violation there is real, not a race.
          // Out of attempts likewise: the caller gets what fn threw (a service may have mapped it to a 409).
          if (attempt >= this.retry.maxAttempts || (mode === 'serialized' && sqlState(err.conflict) === '23505')) throw err.thrown;
          this.retries++;
          transactionRetries.inc();
          // The first retry queues on the clock lock and needs no backoff; later ones (writers outside
          // this store's discipline got in the way) spread out.
          if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(this.retry, attempt - 1)));
        }
      }
    });
  }

  /**
   * Under heavy write contention nearly every optimistic attempt conflicts and its work is wasted, so
   * most writes then start serialized. A tenth still try optimistically to notice when load drops.
   */
  private startSerialized(): boolean {
    return this.contention > 0.5 && Math.random() < 0.9;
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
