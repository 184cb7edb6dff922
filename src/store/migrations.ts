/**
 * Versioned schema migrations, applied in order and recorded in `schema_migrations`.
 * Each area keeps its migrations in `migrations/<area>.ts`; never edit a released one, add a new version.
 */
import { CORE_MIGRATIONS } from './migrations/core.js';
import { L3_MIGRATIONS } from './migrations/l3.js';
import type { Migration } from './migrations/migration.js';
import { MIGRATE_MIGRATIONS } from './migrations/migrate.js';
import { NOTIFY_MIGRATIONS } from './migrations/notify.js';
import { SOUTHBOUND_MIGRATIONS } from './migrations/southbound.js';
import type { Store, StoreEngine } from './store.js';

const MIGRATIONS: Migration[] = [...CORE_MIGRATIONS, ...L3_MIGRATIONS, ...SOUTHBOUND_MIGRATIONS, ...MIGRATE_MIGRATIONS, ...NOTIFY_MIGRATIONS].sort((a, b) => a.version - b.version);

const TYPES: Record<StoreEngine, Record<string, string>> = {
  sqlite: { bigserial: 'INTEGER PRIMARY KEY AUTOINCREMENT', bigint: 'INTEGER' },
  postgres: { bigserial: 'BIGSERIAL PRIMARY KEY', bigint: 'BIGINT' },
};

function expand(sql: string, engine: StoreEngine): string {
  return sql.replace(/\{\{(\w+)\}\}/g, (_, name: string) => TYPES[engine][name] ?? name);
}

/** The newest schema version this build knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** Applies every migration newer than the store's recorded version, each in its own transaction. */
export async function migrate(store: Store): Promise<void> {
  await store.write((tx) =>
    tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)'),
  );
  for (const migration of MIGRATIONS) {
    await store.write(async (tx) => {
      const done = await tx.get('SELECT version FROM schema_migrations WHERE version = ?', [migration.version]);
      if (done) return;
      for (const statement of migration.statements) await tx.run(expand(statement, store.engine));
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        migration.version,
        migration.name,
        new Date().toISOString(),
      ]);
    });
  }
}
