/**
 * The Store interface: the only way the rest of the controller touches the database.
 * Engines (SQLite embedded default, PostgreSQL for replicas) implement it with the same SQL:
 * statements use `?` placeholders, INTEGER 0/1 for booleans, TEXT for JSON and timestamps,
 * so services write one portable statement and every engine runs it.
 */

/** A value bound to a `?` placeholder. */
export type SqlValue = string | number | bigint | null;

/** Runs SQL. Inside `Store.write` it is bound to the write transaction. */
export interface Queryable {
  /** All rows of a query. */
  all<R = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<R[]>;
  /** The first row of a query, or undefined. */
  get<R = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<R | undefined>;
  /** A statement without result rows; returns the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /**
   * Called before a write transaction's first statement: the transaction's checks and writes concern only
   * these scopes (`network:<id>`, `project:<id>`, ...), so on PostgreSQL it runs beside writes with other
   * scopes (postgres-clock.ts). Without it a write is global. Naming a new scope after the first statement
   * throws; in a read, or on SQLite (serial anyway), it does nothing.
   */
  scope(...keys: string[]): Promise<void>;
}

/** Which engine a store runs on; services use it only for the rare statement that cannot be portable. */
export type StoreEngine = 'sqlite' | 'postgres';

/** One database, any engine. */
export interface Store {
  readonly engine: StoreEngine;
  /**
   * Runs `fn` in one transaction and commits when it resolves, rolls back when it throws.
   * Every API write is exactly one call: rows, allocations and outbox records commit together.
   * Engines may run `fn` more than once (PostgreSQL re-runs it after a conflict with another replica),
   * so it must not have effects outside the transaction (no notifications, no caches, no I/O).
   */
  write<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs `fn` against a consistent view of committed state. */
  read<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /** Closes the connection(s); pending work finishes first. */
  close(): Promise<void>;
}
