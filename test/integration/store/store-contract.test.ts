/**
 * The Store contract, run against every engine: what services may rely on whichever database an
 * operator picked. PostgreSQL runs several stores ("replicas") on one schema; SQLite is one process.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SCHEMA_VERSION } from '../../../src/store/migrations.js';
import { appendChange } from '../../../src/store/outbox.js';
import type { PostgresStore } from '../../../src/store/postgres.js';
import type { Store } from '../../../src/store/store.js';
import { waitFor } from '../../harness/wait-for.js';
import { widenRaceWindow } from '../../harness/race.js';
import { POSTGRES, SQLITE, withStores, type EngineUnderTest } from './engines.js';
import { assertOutboxInOrder } from './outbox-order.js';

const COUNTER_DDL = 'CREATE TABLE contract_counter (id TEXT PRIMARY KEY, v {{bigint}} NOT NULL)';
const SLOTS_DDL = 'CREATE TABLE contract_slots (slot INTEGER PRIMARY KEY, owner TEXT NOT NULL)';

async function ddl(store: Store, ...statements: string[]): Promise<void> {
  await store.write(async (tx) => {
    for (const s of statements) await tx.run(s.replace('{{bigint}}', store.engine === 'postgres' ? 'BIGINT' : 'INTEGER'));
  });
}

function contract(engine: EngineUnderTest): void {
  const replicas = engine.name === 'postgres' ? 3 : 1;

  describe(`store contract on ${engine.name}`, () => {
    test(`store - ${engine.name}: a write commits; a throwing write rolls back everything`, async (t) => {
      await withStores(engine, t, 1, async ([store]) => {
        assert.ok(store);
        await ddl(store, COUNTER_DDL);
        const changed = await store.write((tx) => tx.run('INSERT INTO contract_counter (id, v) VALUES (?, ?), (?, ?)', ['a', 1, 'b', 2]));
        assert.equal(changed, 2);
        await assert.rejects(
          store.write(async (tx) => {
            await tx.run('UPDATE contract_counter SET v = v + 10');
            await tx.run('INSERT INTO contract_counter (id, v) VALUES (?, ?)', ['c', 3]);
            throw new RangeError('service refused');
          }),
          RangeError,
        );
        const rows = await store.read((q) => q.all<{ id: string; v: number }>('SELECT id, v FROM contract_counter ORDER BY id'));
        assert.deepEqual(rows, [
          { id: 'a', v: 1 },
          { id: 'b', v: 2 },
        ]);
      });
    });

    test(`store - ${engine.name}: rows have the same shapes (numbers, nulls, literals with ?)`, async (t) => {
      await withStores(engine, t, 1, async ([store]) => {
        assert.ok(store);
        await ddl(store, COUNTER_DDL, 'CREATE TABLE contract_text (id TEXT PRIMARY KEY, note TEXT)');
        await store.write(async (tx) => {
          await tx.run('INSERT INTO contract_counter (id, v) VALUES (?, ?)', ['big', 2 ** 40]);
          await tx.run('INSERT INTO contract_text (id, note) VALUES (?, ?)', ['x', null]);
        });
        const row = await store.read((q) =>
          q.get<{ n: unknown; total: unknown; v: unknown; lit: unknown; note: unknown }>(
            "SELECT (SELECT COUNT(*) FROM contract_counter) AS n, (SELECT SUM(v) FROM contract_counter) AS total, c.v AS v, 'why? because' AS lit, t.note AS note FROM contract_counter c, contract_text t WHERE c.id = ? AND t.id = ?",
            ['big', 'x'],
          ),
        );
        assert.deepEqual(row, { n: 1, total: 2 ** 40, v: 2 ** 40, lit: 'why? because', note: null });
        assert.equal(await store.read((q) => q.get('SELECT id FROM contract_text WHERE id = ?', ['none'])), undefined);
      });
    });

    test(`store - ${engine.name}: concurrent read-modify-write transactions lose no update`, async (t) => {
      await withStores(engine, t, replicas, async (stores) => {
        const first = stores[0] as Store;
        await ddl(first, COUNTER_DDL);
        await first.write((tx) => tx.run('INSERT INTO contract_counter (id, v) VALUES (?, ?)', ['k', 0]));
        const writers = 24;
        await Promise.all(
          Array.from({ length: writers }, (_, i) =>
            (stores[i % stores.length] as Store).write(async (tx) => {
              const row = await tx.get<{ v: number }>('SELECT v FROM contract_counter WHERE id = ?', ['k']);
              await widenRaceWindow(5);
              await tx.run('UPDATE contract_counter SET v = ? WHERE id = ?', [(row?.v ?? 0) + 1, 'k']);
            }),
          ),
        );
        const row = await first.read((q) => q.get<{ v: number }>('SELECT v FROM contract_counter WHERE id = ?', ['k']));
        assert.equal(row?.v, writers);
      });
    });

    test(`store - ${engine.name}: racing allocators guarded by a unique key never duplicate and never fail`, async (t) => {
      await withStores(engine, t, replicas, async (stores) => {
        const first = stores[0] as Store;
        await ddl(first, SLOTS_DDL);
        const writers = 30;
        const got = await Promise.all(
          Array.from({ length: writers }, (_, i) =>
            (stores[i % stores.length] as Store).write(async (tx) => {
              // The lowest free slot: every concurrent writer computes the same answer, the key decides.
              const row = await tx.get<{ s: number }>(
                'SELECT COALESCE(MIN(slot + 1), 1) AS s FROM contract_slots WHERE slot + 1 NOT IN (SELECT slot FROM contract_slots)',
              );
              const slot = (await tx.get('SELECT 1 AS x FROM contract_slots WHERE slot = ?', [1])) ? (row?.s ?? 1) : 1;
              await widenRaceWindow(3);
              await tx.run('INSERT INTO contract_slots (slot, owner) VALUES (?, ?)', [slot, `w${i}`]);
              return slot;
            }),
          ),
        );
        assert.deepEqual([...got].sort((a, b) => a - b), Array.from({ length: writers }, (_, i) => i + 1));
        const owners = await first.read((q) => q.all<{ owner: string }>('SELECT owner FROM contract_slots'));
        assert.equal(new Set(owners.map((o) => o.owner)).size, writers);
      });
    });

    test(`store - ${engine.name}: check-then-insert limits hold across concurrent writers (no write skew)`, async (t) => {
      await withStores(engine, t, replicas, async (stores) => {
        const first = stores[0] as Store;
        await ddl(first, 'CREATE TABLE contract_quota (id TEXT PRIMARY KEY)');
        const limit = 5;
        const admitted = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (stores[i % stores.length] as Store).write(async (tx) => {
              // Like a quota check: no index can enforce "at most 5 rows", only serial execution can.
              const row = await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM contract_quota');
              await widenRaceWindow(3);
              if ((row?.n ?? 0) >= limit) return false;
              await tx.run('INSERT INTO contract_quota (id) VALUES (?)', [`q${i}`]);
              return true;
            }),
          ),
        );
        assert.equal(admitted.filter(Boolean).length, limit);
        assert.equal((await first.read((q) => q.get<{ n: number }>('SELECT COUNT(*) AS n FROM contract_quota')))?.n, limit);
      });
    });

    test(`store - ${engine.name}: outbox revisions become visible in order across writers`, async (t) => {
      await withStores(engine, t, replicas, async (stores) => {
        await assertOutboxInOrder(stores[0] as Store, 40, (i) =>
          (stores[i % stores.length] as Store).write(async (tx) => {
            await appendChange(tx, 'contract', `r${i}`, 'create');
            await widenRaceWindow(8);
            await appendChange(tx, 'contract', `r${i}`, 'update');
          }),
        );
      });
    });

    test(`store - ${engine.name}: migrations are idempotent and safe when replicas start together`, async (t) => {
      await withStores(engine, t, 1, async ([store], site) => {
        assert.ok(store);
        const opened: Store[] = [];
        try {
          // SQLite is one process by design: its second opens come one after another.
          if (engine.name === 'postgres') opened.push(...(await Promise.all([site.open(), site.open(), site.open()])));
          else for (let i = 0; i < 2; i++) opened.push(await site.open());
        } finally {
          for (const s of opened) await s.close();
        }
        const rows = await store.read((q) => q.all<{ version: number; n: number }>('SELECT version, COUNT(*) AS n FROM schema_migrations GROUP BY version ORDER BY version'));
        assert.ok(rows.every((r) => r.n === 1), JSON.stringify(rows));
        assert.equal(rows[rows.length - 1]?.version, SCHEMA_VERSION);
      });
    });
  });
}

contract(SQLITE);
contract(POSTGRES);

describe('store contract, PostgreSQL specifics', () => {
  test('store - postgres: a read sees one snapshot even while another replica commits', async (t) => {
    await withStores(POSTGRES, t, 2, async ([a, b]) => {
      assert.ok(a && b);
      await ddl(a, COUNTER_DDL);
      const seen = await a.read(async (q) => {
        const before = await q.all('SELECT id FROM contract_counter');
        await b.write((tx) => tx.run('INSERT INTO contract_counter (id, v) VALUES (?, ?)', ['new', 1]));
        const after = await q.all('SELECT id FROM contract_counter');
        return [before.length, after.length];
      });
      assert.deepEqual(seen, [0, 0]);
      assert.equal((await a.read((q) => q.all('SELECT id FROM contract_counter'))).length, 1);
    });
  });

  test('store - postgres: a commit with change records on one replica rings onChanges on another; a rollback does not', async (t) => {
    await withStores(POSTGRES, t, 2, async ([a, b]) => {
      assert.ok(a && b);
      let rings = 0;
      const stop = await (b as PostgresStore).onChanges(() => rings++);
      await assert.rejects(
        a.write(async (tx) => {
          await appendChange(tx, 'contract', 'x', 'create');
          throw new RangeError('rolled back');
        }),
      );
      await a.write((tx) => appendChange(tx, 'contract', 'y', 'create'));
      await waitFor(() => rings >= 1, 10_000, 'notification of the commit');
      stop();
      const latest = await b.read((q) => q.all<{ resource_id: string }>('SELECT resource_id FROM changes'));
      assert.deepEqual(latest.map((r) => r.resource_id), ['y']);
      assert.equal(rings, 1, 'only the committed transaction rang');
    });
  });

  test('store - postgres: prepared statements survive another replica migrating the table under them', async (t) => {
    await withStores(POSTGRES, t, 2, async ([a, b]) => {
      assert.ok(a && b);
      await ddl(a, COUNTER_DDL);
      await a.write((tx) => tx.run('INSERT INTO contract_counter (id, v) VALUES (?, ?)', ['k', 1]));
      const readAll = () => a.read((q) => q.all('SELECT * FROM contract_counter'));
      const writeAll = () => a.write((tx) => tx.all('SELECT * FROM contract_counter'));
      assert.deepEqual(await readAll(), [{ id: 'k', v: 1 }]);
      assert.deepEqual(await writeAll(), [{ id: 'k', v: 1 }]);
      await b.write((tx) => tx.run("ALTER TABLE contract_counter ADD COLUMN note TEXT NOT NULL DEFAULT 'n'"));
      assert.deepEqual(await readAll(), [{ id: 'k', v: 1, note: 'n' }]);
      assert.deepEqual(await writeAll(), [{ id: 'k', v: 1, note: 'n' }]);
    });
  });

  test('store - postgres: a failed statement the caller swallowed fails the write instead of committing half', async (t) => {
    await withStores(POSTGRES, t, 1, async ([store]) => {
      assert.ok(store);
      await ddl(store, COUNTER_DDL);
      await assert.rejects(
        store.write(async (tx) => {
          await tx.run('INSERT INTO contract_counter (id, v) VALUES (?, ?)', ['a', 1]);
          await tx.run('INSERT INTO no_such_table (x) VALUES (?)', [1]).catch(() => 0);
          return 'pretended success';
        }),
        /no_such_table/,
      );
      assert.equal((await store.read((q) => q.all('SELECT id FROM contract_counter'))).length, 0);
    });
  });
});
