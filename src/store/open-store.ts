/** Opens the store an operator configured. */
import type { ServerConfig } from '../config.js';
import { openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './store.js';
import { timeTransactions } from './metrics.js';

/** Opens the configured engine and migrates its schema. */
export async function openStore(database: ServerConfig['database']): Promise<Store> {
  if (database.engine === 'sqlite') return timeTransactions(await openSqliteStore(database.path));
  return timeTransactions(await openPostgresStore(database.url));
}
