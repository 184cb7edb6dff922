/**
 * Child process of the schema tests: opens the store at argv[2] (sqlite:<path> or postgres://...), starts
 * applying PROBE_MIGRATION and stops dead after its first statement, announcing "halfway" on stdout, so
 * the parent can kill -9 it in the middle of a migration.
 */
import { compileServerOptions } from '../../../src/config.js';
import { applyMigrations } from '../../../src/store/migrations.js';
import type { Migration } from '../../../src/store/migrations/migration.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/store.js';

/** A two-statement migration the tests interrupt between its statements. */
export const PROBE_MIGRATION: Migration = {
  version: 9001,
  name: 'test: two probe tables',
  statements: ['CREATE TABLE upgrade_probe_a (id TEXT PRIMARY KEY)', 'CREATE TABLE upgrade_probe_b (id TEXT PRIMARY KEY)'],
};

/** The store, except that a write stops for good right after it created upgrade_probe_a. */
function stoppingAfterFirstStatement(store: Store): Store {
  return {
    engine: store.engine,
    read: (fn) => store.read(fn),
    close: () => store.close(),
    write: (fn) =>
      store.write((tx) =>
        fn({
          ...tx,
          run: async (sql, params) => {
            const changed = await tx.run(sql, params);
            if (sql.includes('upgrade_probe_a')) {
              process.stdout.write('halfway\n');
              await new Promise(() => setInterval(() => undefined, 1000));
            }
            return changed;
          },
        }),
      ),
  };
}

if (process.argv[1]?.endsWith('half-migration-child.js')) {
  const url = process.argv[2] ?? '';
  const store = await openStore(compileServerOptions({ databaseUrl: url }).database);
  await applyMigrations(stoppingAfterFirstStatement(store), [PROBE_MIGRATION]);
}
