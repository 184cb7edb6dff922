/**
 * What a database must be before Alcor writes to it, and what happens to a migration cut short: a
 * foreign or corrupt file and a database from a newer Alcor are refused untouched; a schema behind this
 * build is refused when auto-migration is off; a migration killed halfway is not applied and the next
 * start applies it whole.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { applyMigrations, KNOWN_MIGRATIONS } from '../../../src/store/migrations.js';
import { openStore } from '../../../src/store/open-store.js';
import { DatabaseRefused } from '../../../src/store/schema-state.js';
import type { Store } from '../../../src/store/store.js';
import { createTestSchema, postgresUnavailable } from '../../harness/postgres.js';
import { missingPrerequisite } from '../../harness/services.js';
import { PROBE_MIGRATION } from './half-migration-child.js';

const CHILD = fileURLToPath(new URL('./half-migration-child.js', import.meta.url));

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function tempFile(name: string): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'alcor-schema-'));
  return { path: join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function refused(open: Promise<Store>, message: RegExp): Promise<void> {
  await assert.rejects(open, (err: unknown) => err instanceof DatabaseRefused && message.test(err.message) && /Nothing was written/.test(err.message));
}

describe('schema guard, SQLite files', () => {
  test('schema - a file of garbage bytes is refused with a clear error and left byte for byte as it was', async () => {
    const file = tempFile('garbage.db');
    try {
      writeFileSync(file.path, Buffer.from('this is no database, just some bytes '.repeat(200)));
      const before = sha256(file.path);
      await refused(openStore({ engine: 'sqlite', path: file.path }), /is not an SQLite database/);
      assert.equal(sha256(file.path), before);
      assert.ok(!existsSync(`${file.path}-wal`), 'no write-ahead log was started');
    } finally {
      file.cleanup();
    }
  });

  test('schema - another application\'s SQLite database is refused untouched (journal mode included)', async () => {
    const file = tempFile('other.db');
    try {
      const other = new Database(file.path);
      other.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices (total) VALUES (12.5)");
      other.close();
      const before = sha256(file.path);
      await refused(openStore({ engine: 'sqlite', path: file.path }), /is not an Alcor database: it has tables \(invoices\)/);
      assert.equal(sha256(file.path), before);
    } finally {
      file.cleanup();
    }
  });

  test('schema - status of a missing file does not create it', async () => {
    const file = tempFile('missing.db');
    try {
      await assert.rejects(openStore({ engine: 'sqlite', path: file.path }, 'inspect'), (err: unknown) => err instanceof DatabaseRefused && /does not exist/.test(err.message));
      assert.ok(!existsSync(file.path));
    } finally {
      file.cleanup();
    }
  });
});

/** A place for a database on one engine, with what the tests need to look into it. */
interface Site {
  url: string;
  database: Parameters<typeof openStore>[0];
  /** Everything in the database that a refused open must not change. */
  fingerprint: () => Promise<string>;
  cleanup: () => Promise<void>;
}

const TABLE_EXISTS = {
  sqlite: "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
  postgres: 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?',
};

async function sqliteSite(): Promise<Site> {
  const file = tempFile('alcor.db');
  return {
    url: `sqlite:${file.path}`,
    database: { engine: 'sqlite', path: file.path },
    fingerprint: async () => {
      const db = new Database(file.path, { readonly: true });
      try {
        return JSON.stringify([db.prepare('SELECT * FROM schema_migrations ORDER BY version').all(), db.prepare('SELECT name, sql FROM sqlite_master ORDER BY name').all()]);
      } finally {
        db.close();
      }
    },
    cleanup: async () => file.cleanup(),
  };
}

async function postgresSite(t: TestContext): Promise<Site | false> {
  const base = process.env.ALCOR_TEST_PG_URL;
  if (!base) return missingPrerequisite(t, 'PostgreSQL schema tests need ALCOR_TEST_PG_URL=postgres://...', 'ALCOR_TEST_PG_URL');
  const down = await postgresUnavailable(base);
  if (down) return missingPrerequisite(t, down, 'ALCOR_TEST_PG_URL');
  const schema = await createTestSchema(base);
  const pg = (await import('pg')).default;
  return {
    url: schema.url,
    database: { engine: 'postgres', url: schema.url },
    fingerprint: async () => {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        const migrations = await client.query(`SELECT version, name, applied_at FROM ${schema.name}.schema_migrations ORDER BY version`);
        const clock = await client.query(`SELECT ticks FROM ${schema.name}.store_write_clock`);
        const tables = await client.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [schema.name]);
        return JSON.stringify([migrations.rows, clock.rows, tables.rows]);
      } finally {
        await client.end();
      }
    },
    cleanup: schema.drop,
  };
}

async function tableExists(store: Store, table: string): Promise<boolean> {
  return (await store.read((q) => q.get(TABLE_EXISTS[store.engine], [table]))) !== undefined;
}

/** Runs the child until it is halfway through PROBE_MIGRATION, then kills it with SIGKILL. */
async function killHalfway(url: string): Promise<void> {
  const child = spawn(process.execPath, [CHILD, url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('halfway')) resolve();
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`the child exited (${code}) before reaching the middle of the migration:\n${output}`)));
  });
  child.kill('SIGKILL');
  await exited;
}

for (const [engine, makeSite] of [['sqlite', sqliteSite], ['postgres', postgresSite]] as const) {
  describe(`schema guard, ${engine}`, () => {
    test(`schema - ${engine}: a database that records a migration this build does not know (a newer Alcor) is refused and not written`, async (t) => {
      const site = await makeSite(t);
      if (!site) return;
      try {
        const store = await openStore(site.database);
        await store.write((tx) => tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [9999, 'from the future', new Date().toISOString()]));
        await store.close();
        const before = await site.fingerprint();
        await refused(openStore(site.database), /written by a newer Alcor: it records migration 9999 \(from the future\)/);
        await refused(openStore(site.database, 'inspect'), /newer Alcor/);
        assert.equal(await site.fingerprint(), before);
      } finally {
        await site.cleanup();
      }
    });

    test(`schema - ${engine}: with auto-migration off, a schema behind this build is refused until upgraded`, async (t) => {
      const site = await makeSite(t);
      if (!site) return;
      try {
        // Migration 202 only adds an index: dropping both makes a database from just before it.
        const behind = KNOWN_MIGRATIONS.find((m) => m.version === 202);
        assert.ok(behind);
        const store = await openStore(site.database);
        await store.write(async (tx) => {
          await tx.run('DROP INDEX ports_device_owner');
          await tx.run('DELETE FROM schema_migrations WHERE version = ?', [behind.version]);
        });
        await store.close();
        const before = await site.fingerprint();
        await refused(openStore(site.database, 'require-current'), new RegExp(`${behind.version} pending. Run \`alcor db upgrade\``));
        assert.equal(await site.fingerprint(), before);
        const upgraded = await openStore(site.database, 'apply');
        const rows = await upgraded.read((q) => q.all<{ version: number }>('SELECT version FROM schema_migrations WHERE version = ?', [behind.version]));
        await upgraded.close();
        assert.equal(rows.length, 1);
        await (await openStore(site.database, 'require-current')).close();
      } finally {
        await site.cleanup();
      }
    });

    test(`schema - ${engine}: a migration killed (SIGKILL) between its statements is not applied at all, and the next run applies it whole`, async (t) => {
      const site = await makeSite(t);
      if (!site) return;
      try {
        await killHalfway(site.url);
        const store = await openStore(site.database);
        try {
          assert.equal(await tableExists(store, 'upgrade_probe_a'), false, 'the first statement of the killed migration was rolled back');
          assert.equal(await store.read((q) => q.get('SELECT version FROM schema_migrations WHERE version = ?', [PROBE_MIGRATION.version])), undefined);
          assert.deepEqual((await applyMigrations(store, [PROBE_MIGRATION])).map((m) => m.version), [PROBE_MIGRATION.version]);
          assert.ok((await tableExists(store, 'upgrade_probe_a')) && (await tableExists(store, 'upgrade_probe_b')));
          assert.deepEqual(await applyMigrations(store, [PROBE_MIGRATION]), [], 'a recorded migration never runs again');
        } finally {
          await store.close();
        }
      } finally {
        await site.cleanup();
      }
    });
  });
}
