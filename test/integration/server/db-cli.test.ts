/** `alcor db status|upgrade`, `alcor-server --check-migrations` and ALCOR_AUTO_MIGRATE, run as the real binaries. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { KNOWN_MIGRATIONS } from '../../../src/store/migrations.js';
import { openStore } from '../../../src/store/open-store.js';

function run(binary: string, args: string[], env: Record<string, string> = {}): { status: number | null; out: string } {
  const path = fileURLToPath(new URL(`../../../src/cli/${binary}.js`, import.meta.url));
  const result = spawnSync(process.execPath, [path, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

test('db cli - status lists applied and pending migrations and writes nothing; upgrade applies them; a server with auto-migration off refuses a schema behind it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'alcor-db-cli-'));
  try {
    const path = join(dir, 'alcor.db');
    const url = `sqlite:${path}`;
    const missing = run('alcor', ['db', 'status', '--database-url', url]);
    assert.equal(missing.status, 1);
    assert.match(missing.out, /does not exist/);

    const store = await openStore({ engine: 'sqlite', path });
    await store.write(async (tx) => {
      await tx.run('DROP INDEX ports_device_owner');
      await tx.run('DELETE FROM schema_migrations WHERE version = 202');
    });
    await store.close();

    const behind = run('alcor', ['db', 'status', '--database-url', url, '--json']);
    assert.equal(behind.status, 1, behind.out);
    const status = JSON.parse(behind.out) as { applied: { version: number }[]; pending: { version: number }[] };
    assert.deepEqual(status.pending.map((m) => m.version), [202]);
    assert.equal(status.applied.length, KNOWN_MIGRATIONS.length - 1);
    assert.equal(run('alcor', ['db', 'status', '--database-url', url]).status, 1, 'status applied nothing');

    const check = run('alcor-server', ['--check-migrations', '--database-url', url]);
    assert.equal(check.status, 1);
    assert.match(check.out, /202 {2}pending/);

    const refused = run('alcor-server', ['--database-url', url], { ALCOR_AUTO_MIGRATE: 'false', ALCOR_LISTEN: '127.0.0.1:0' });
    assert.equal(refused.status, 1);
    assert.match(refused.out, /202 pending\. Run `alcor db upgrade`/);

    const upgrade = run('alcor', ['db', 'upgrade', '--database-url', url]);
    assert.equal(upgrade.status, 0, upgrade.out);
    assert.match(upgrade.out, /0 pending/);
    assert.equal(run('alcor-server', ['--check-migrations', '--database-url', url]).status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
