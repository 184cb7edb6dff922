/** Opens the store an operator configured. */
import type { ServerConfig } from '../config.js';
import { openPostgresStore } from './postgres.js';
import type { MigrationMode } from './schema-state.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './store.js';
import { timeTransactions } from './metrics.js';

/** Opens the configured engine; pending schema migrations are applied unless `mode` says otherwise. */
export async function openStore(database: ServerConfig['database'], mode: MigrationMode = 'apply'): Promise<Store> {
  if (database.engine === 'sqlite') return timeTransactions(await openSqliteStore(database.path, mode));
  return timeTransactions(await openPostgresStore(database.url, { migrations: mode }));
}
