/** Opens the store an operator configured. */
import type { ServerConfig } from '../config.js';
import { openPostgresStore } from './postgres.js';
import type { MigrationMode } from './schema-state.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './store.js';

/** Opens the configured engine; pending schema migrations are applied unless `mode` says otherwise. */
export async function openStore(database: ServerConfig['database'], mode: MigrationMode = 'apply'): Promise<Store> {
  if (database.engine === 'sqlite') return openSqliteStore(database.path, mode);
  return openPostgresStore(database.url, { migrations: mode });
}
