/**
 * Embedded engine: one better-sqlite3 connection in WAL mode.
 * better-sqlite3 is synchronous, so every read and write transaction runs under one FIFO mutex: an
 * async transaction body can then never interleave with another request's statements on the shared
 * connection. Each statement is microseconds, so the serialisation costs little.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AsyncMutex } from './async-mutex.js';
import { openSchema } from './migrations.js';
import { DatabaseRefused, type MigrationMode } from './schema-state.js';
import type { Queryable, SqlValue, Store } from './store.js';

type Statement = Database.Statement<unknown[], unknown>;

/**
 * Opens (creating if needed) the SQLite file at `path` (or `:memory:`) and, under the default `apply`
 * mode, brings its schema up to date. A file that is not an Alcor database is refused before anything
 * (even the journal mode) is written to it; under `inspect` nothing is written at all.
 */
export async function openSqliteStore(path: string, mode: MigrationMode = 'apply'): Promise<Store> {
  if (path !== ':memory:') {
    // Inspecting never creates a database that is not there.
    if (mode === 'inspect' && !existsSync(path)) throw new DatabaseRefused(`SQLite database ${path} does not exist.`);
    mkdirSync(dirname(path), { recursive: true });
  }
  const db = new Database(path);
  db.pragma('busy_timeout = 5000');
  const store = new SqliteStore(db);
  const prepare = async () => {
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives process crashes (the ones our tests inject); only power loss can lose the last commit.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
  };
  try {
    await openSchema(store, { label: `SQLite database ${path}`, mode, prepare });
  } catch (err) {
    db.close();
    // SQLITE_NOTADB: the file's header is not SQLite's (garbage bytes, another format, an encrypted file).
    if ((err as { code?: unknown }).code === 'SQLITE_NOTADB') throw new DatabaseRefused(`${path} is not an SQLite database (${(err as Error).message}). Nothing was written to it.`);
    throw err;
  }
  return store;
}

class SqliteStore implements Store {
  readonly engine = 'sqlite' as const;
  private readonly mutex = new AsyncMutex();
  private readonly statements = new Map<string, Statement>();
  private readonly queryable: Queryable;
  private closed = false;

  constructor(private readonly db: Database.Database) {
    this.queryable = {
      all: async <R>(sql: string, params: readonly SqlValue[] = []) => this.prepare(sql).all(...params) as R[],
      get: async <R>(sql: string, params: readonly SqlValue[] = []) => this.prepare(sql).get(...params) as R | undefined,
      run: async (sql: string, params: readonly SqlValue[] = []) => this.prepare(sql).run(...params).changes,
      // One connection under one mutex: every transaction is serial, scoped or not.
      scope: async () => undefined,
    };
  }

  private prepare(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  write<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.queryable);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  read<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    return this.mutex.run(() => fn(this.queryable));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.mutex.idle();
    this.db.close();
  }
}
