/**
 * Versioned schema migrations, applied in version order and recorded in `schema_migrations`.
 * Each area keeps its migrations in `migrations/<area>.ts`; never edit a released one, add a new version.
 * Each migration runs in one transaction together with its record (SQLite and PostgreSQL both run DDL
 * transactionally), so a process killed during one leaves it not applied and the next start runs it
 * again; one that is recorded is never run twice, even by replicas starting together.
 */
import { CORE_MIGRATIONS } from './migrations/core.js';
import { L3_MIGRATIONS } from './migrations/l3.js';
import type { Migration } from './migrations/migration.js';
import { MIGRATE_MIGRATIONS } from './migrations/migrate.js';
import { NEUTRON_EXTENSION_MIGRATIONS } from './migrations/neutron-extensions.js';
import { POOLS_RBAC_MIGRATIONS } from './migrations/pools-rbac.js';
import { NORTH_SOUTH_MIGRATIONS } from './migrations/north-south.js';
import { NOTIFY_MIGRATIONS } from './migrations/notify.js';
import { SOUTHBOUND_MIGRATIONS } from './migrations/southbound.js';
import { assertSchemaAllowed, type AppliedMigration, type MigrationMode, readSchemaStatus, type SchemaStatus } from './schema-state.js';
import type { Store, StoreEngine } from './store.js';

const MIGRATIONS: Migration[] = [...CORE_MIGRATIONS, ...L3_MIGRATIONS, ...SOUTHBOUND_MIGRATIONS, ...MIGRATE_MIGRATIONS, ...NEUTRON_EXTENSION_MIGRATIONS, ...POOLS_RBAC_MIGRATIONS, ...NOTIFY_MIGRATIONS, ...NORTH_SOUTH_MIGRATIONS].sort((a, b) => a.version - b.version);

const TYPES: Record<StoreEngine, Record<string, string>> = {
  sqlite: { bigserial: 'INTEGER PRIMARY KEY AUTOINCREMENT', bigint: 'INTEGER' },
  postgres: { bigserial: 'BIGSERIAL PRIMARY KEY', bigint: 'BIGINT' },
};

function expand(sql: string, engine: StoreEngine): string {
  return sql.replace(/\{\{(\w+)\}\}/g, (_, name: string) => TYPES[engine][name] ?? name);
}

/** Throws when two migrations share a version: a database records each version once. */
export function assertDistinctVersions(migrations: readonly Migration[]): void {
  const seen = new Map<number, string>();
  for (const m of migrations) {
    const other = seen.get(m.version);
    if (other !== undefined) throw new RangeError(`schema migrations "${other}" and "${m.name}" share version ${m.version}`);
    seen.set(m.version, m.name);
  }
}
assertDistinctVersions(MIGRATIONS);

/** Every migration this build knows, in version order. */
export const KNOWN_MIGRATIONS: readonly Migration[] = MIGRATIONS;

/** The newest schema version this build knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** How a just-opened store gets its schema checked and brought up to date. */
export interface OpenSchemaOptions {
  /** Names the database in errors (a path, or a URL without credentials). */
  label: string;
  mode: MigrationMode;
  /** Engine set-up that writes (journal mode, the engine's own tables); runs only once the database is known to be safe to write, and never under `inspect`. */
  prepare?: () => Promise<void>;
  /** The migrations to hold the database against. @default KNOWN_MIGRATIONS */
  migrations?: readonly Migration[];
}

/**
 * Checks the database before anything writes to it (DatabaseRefused for a foreign database, one a newer
 * Alcor wrote, or pending migrations under `require-current`), then prepares it and, under `apply`,
 * applies what is pending. Returns the status after it.
 */
export async function openSchema(store: Store, options: OpenSchemaOptions): Promise<SchemaStatus> {
  const known = options.migrations ?? KNOWN_MIGRATIONS;
  const status = await store.read((q) => readSchemaStatus(q, store.engine, known, options.label));
  assertSchemaAllowed(status, options.mode, options.label);
  if (options.mode === 'inspect') return status;
  await options.prepare?.();
  if (options.mode !== 'apply' || status.pending.length === 0) return status;
  await applyMigrations(store, known);
  return store.read((q) => readSchemaStatus(q, store.engine, known, options.label));
}

/** Applies every migration of `known` the store does not record yet, each in its own transaction; returns the ones this call applied. */
export async function applyMigrations(store: Store, known: readonly Migration[] = KNOWN_MIGRATIONS): Promise<AppliedMigration[]> {
  await store.write((tx) =>
    tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)'),
  );
  const applied: AppliedMigration[] = [];
  for (const migration of [...known].sort((a, b) => a.version - b.version)) {
    const record = await store.write(async (tx) => {
      // Checked inside the transaction: another process may have applied it since this one looked.
      const done = await tx.get('SELECT version FROM schema_migrations WHERE version = ?', [migration.version]);
      if (done) return undefined;
      for (const statement of migration.statements) await tx.run(expand(statement, store.engine));
      const row = { version: migration.version, name: migration.name, applied_at: new Date().toISOString() };
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [row.version, row.name, row.applied_at]);
      return row;
    });
    if (record) applied.push(record);
  }
  return applied;
}
