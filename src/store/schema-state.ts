/**
 * What a database holds, read before anything writes to it: which migrations it records, which of this
 * build's are pending, and whether it may be opened at all. A database is refused, untouched, when it
 * is not an Alcor database (tables but no `schema_migrations`, or not SQLite at all) or when it records
 * a migration this build does not know (a newer Alcor wrote it: running older code on it could lose
 * what the newer schema holds).
 */
import { ALCOR_VERSION } from '../version.js';
import type { Migration } from './migrations/migration.js';
import type { Queryable, StoreEngine } from './store.js';

/** One row of `schema_migrations`. */
export interface AppliedMigration {
  version: number;
  name: string;
  applied_at: string;
}

/** The schema of an openable database against this build. */
export interface SchemaStatus {
  /** Migrations the database records, in version order. */
  applied: AppliedMigration[];
  /** This build's migrations the database does not record yet, in version order. */
  pending: Migration[];
}

/** What to do with pending migrations when a store opens. */
export type MigrationMode =
  /** Apply them (each in its own transaction). */
  | 'apply'
  /** Refuse to open while any is pending (the operator runs `alcor db upgrade`). */
  | 'require-current'
  /** Only read the schema status (`alcor db status`): nothing is written, not even engine set-up; the store is for reading. */
  | 'inspect';

/** The database must not be opened by this build; nothing was written to it. */
export class DatabaseRefused extends Error {
  override name = 'DatabaseRefused';
}

/** Tables of the current schema, per engine. */
const TABLES: Record<StoreEngine, string> = {
  sqlite: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!'",
  postgres: 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()',
};

/** The PostgreSQL engine's own table; it is created before migrations and says nothing about the owner. */
const ENGINE_TABLES = new Set(['store_write_clock']);

/**
 * Reads the schema state of the database behind `q` (read-only) against `known` migrations; throws
 * DatabaseRefused for a foreign database or one a newer Alcor wrote. `label` names the database in errors.
 */
export async function readSchemaStatus(q: Queryable, engine: StoreEngine, known: readonly Migration[], label: string): Promise<SchemaStatus> {
  const tables = (await q.all<{ name: string }>(TABLES[engine])).map((r) => r.name).filter((name) => !ENGINE_TABLES.has(name));
  if (!tables.includes('schema_migrations')) {
    if (tables.length === 0) return { applied: [], pending: [...known] };
    const shown = tables.sort().slice(0, 5).join(', ');
    throw new DatabaseRefused(`${label} is not an Alcor database: it has tables (${shown}${tables.length > 5 ? ', ...' : ''}) but no schema_migrations. Nothing was written to it.`);
  }
  const applied = (await q.all<AppliedMigration>('SELECT version, name, applied_at FROM schema_migrations ORDER BY version')).map((row) => ({ ...row, version: Number(row.version) }));
  const knownVersions = new Set(known.map((m) => m.version));
  const unknown = applied.filter((row) => !knownVersions.has(row.version));
  if (unknown.length > 0) {
    throw new DatabaseRefused(
      `${label} was written by a newer Alcor: it records migration${unknown.length > 1 ? 's' : ''} ${unknown.map((m) => `${m.version} (${m.name})`).join(', ')} ` +
        `that this build (${ALCOR_VERSION}) does not know. Run a build that knows them, or restore the backup taken before the upgrade. Nothing was written to it.`,
    );
  }
  const done = new Set(applied.map((row) => row.version));
  return { applied, pending: known.filter((m) => !done.has(m.version)) };
}

/** Refuses a database whose schema is behind this build when the mode says it must be current. */
export function assertSchemaAllowed(status: SchemaStatus, mode: MigrationMode, label: string): void {
  if (mode !== 'require-current' || status.pending.length === 0) return;
  throw new DatabaseRefused(
    `${label} needs schema migrations before this build (${ALCOR_VERSION}) can use it: ${status.pending.map((m) => m.version).join(', ')} pending. ` +
      'Run `alcor db upgrade` (or start with ALCOR_AUTO_MIGRATE=true). Nothing was written to it.',
  );
}
