/**
 * Scoped writes on PostgreSQL (postgres-clock.ts): writes naming disjoint scopes run side by side across
 * replicas, writes sharing a scope and global writes stay serial, and outbox revisions still become visible
 * in commit order.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { appendChange } from '../../../src/store/outbox.js';
import type { PostgresStore } from '../../../src/store/postgres.js';
import type { Store } from '../../../src/store/store.js';
import { widenRaceWindow } from '../../harness/race.js';
import { waitFor } from '../../harness/wait-for.js';
import { POSTGRES, withStores } from './engines.js';
import { assertOutboxInOrder } from './outbox-order.js';

const ROWS_DDL = 'CREATE TABLE scoped_rows (id TEXT PRIMARY KEY, scope TEXT NOT NULL)';

async function ddl(store: Store, statement: string): Promise<void> {
  await store.write((tx) => tx.run(statement));
}

describe('scoped writes on postgres', () => {
  test('scoped writes - writes with disjoint scopes on two replicas are inside their transactions at once', async (t) => {
    await withStores(POSTGRES, t, 2, async ([a, b]) => {
      assert.ok(a && b);
      await ddl(a, ROWS_DDL);
      const inside = new Set<string>();
      // Each waits, mid-transaction, until the other is mid-transaction too: serial writes would time out.
      const writer = (store: Store, scope: string, other: string) =>
        store.write(async (tx) => {
          await tx.scope(scope);
          await tx.run('INSERT INTO scoped_rows (id, scope) VALUES (?, ?)', [scope, scope]);
          inside.add(scope);
          await waitFor(() => inside.has(other), 5_000, `${other} inside its transaction while ${scope} is`);
          await appendChange(tx, 'scoped', scope, 'create');
        });
      await Promise.all([writer(a, 'network:a', 'network:b'), writer(b, 'network:b', 'network:a')]);
      const rows = await a.read((q) => q.all<{ resource_id: string }>('SELECT resource_id FROM changes ORDER BY revision'));
      assert.deepEqual(rows.map((r) => r.resource_id).sort(), ['network:a', 'network:b']);
    });
  });

  test('scoped writes - per-scope limits hold across replicas, with global writers checking the same limit', async (t) => {
    await withStores(POSTGRES, t, 3, async (stores) => {
      const first = stores[0] as Store;
      await ddl(first, ROWS_DDL);
      const scopes = ['project:p1', 'project:p2', 'project:p3'];
      const perScope = 4;
      // Like a project quota: only serial execution within the scope can hold it. Every fifth writer is
      // global (names no scope) and checks the same limit: it must see every scoped commit and they its.
      const admit = async (tx: Parameters<Parameters<Store['write']>[0]>[0], id: string, scope: string) => {
        const n = (await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM scoped_rows WHERE scope = ?', [scope]))?.n ?? 0;
        await widenRaceWindow(3);
        if (n >= perScope) return false;
        await tx.run('INSERT INTO scoped_rows (id, scope) VALUES (?, ?)', [id, scope]);
        await appendChange(tx, 'scoped', id, 'create');
        return true;
      };
      await Promise.all(
        Array.from({ length: 60 }, (_, i) => {
          const scope = scopes[i % scopes.length] as string;
          return (stores[i % stores.length] as Store).write(async (tx) => {
            if (i % 5 !== 4) await tx.scope(scope);
            return admit(tx, `w${i}`, scope);
          });
        }),
      );
      const counts = await first.read((q) => q.all<{ scope: string; n: number }>('SELECT scope, COUNT(*) AS n FROM scoped_rows GROUP BY scope ORDER BY scope'));
      assert.deepEqual(counts, scopes.map((scope) => ({ scope, n: perScope })));
    });
  });

  test('scoped writes - outbox revisions of writers in different scopes become visible in commit order', async (t) => {
    await withStores(POSTGRES, t, 3, async (stores) => {
      await assertOutboxInOrder(stores[0] as Store, 60, (i) =>
        (stores[i % stores.length] as Store).write(async (tx) => {
          if (i % 6 !== 5) await tx.scope(`network:n${i}`);
          await appendChange(tx, 'scoped', `r${i}`, 'create');
          await widenRaceWindow(8);
          await appendChange(tx, 'scoped', `r${i}`, 'update');
        }),
      );
    });
  });

  test('scoped writes - a scope named after the first statement is refused and nothing commits', async (t) => {
    await withStores(POSTGRES, t, 1, async ([store]) => {
      assert.ok(store);
      await ddl(store, ROWS_DDL);
      await assert.rejects(
        store.write(async (tx) => {
          await tx.scope('network:a');
          await tx.run('INSERT INTO scoped_rows (id, scope) VALUES (?, ?)', ['x', 'network:a']);
          await tx.scope('network:b');
        }),
        /named after the transaction's first statement/,
      );
      assert.equal((await store.read((q) => q.get<{ n: number }>('SELECT COUNT(*) AS n FROM scoped_rows')))?.n, 0);
      // A global write may name scopes at any time: it already excludes every other writer.
      await store.write(async (tx) => {
        await tx.run('INSERT INTO scoped_rows (id, scope) VALUES (?, ?)', ['y', 'global']);
        await tx.scope('network:b');
      });
      const stats = (store as PostgresStore).writeStats;
      assert.ok(stats.transactions >= 3 && stats.roundTrips > stats.transactions, JSON.stringify(stats));
    });
  });
});
