/**
 * The `alcor migrate` commands as an operator runs them: a child process against the stand-in (token
 * or Keystone credentials) and a SQLite file; `verify` exits 0 on a match and 1 with a readable diff.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { openSqliteStore } from '../../../src/store/sqlite.js';
import { FIXTURE_QUOTA_DEFAULTS } from './migrate-helpers.js';
import { startNeutronStandIn, type NeutronStandIn } from './neutron-stand-in.js';

const CLI = fileURLToPath(new URL('../../../src/cli/alcor.js', import.meta.url));
const TOKEN = 'stand-in-secret';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function alcor(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('migrate - command line', () => {
  let standIn: NeutronStandIn;
  let dir: string;
  let env: Record<string, string>;

  before(async () => {
    standIn = await startNeutronStandIn(undefined, { token: TOKEN, keystoneUser: { name: 'admin', password: 'pw', project: 'admin' } });
    dir = mkdtempSync(join(tmpdir(), 'alcor-migrate-cli-'));
    env = { ALCOR_DATABASE_URL: `sqlite:${join(dir, 'alcor.db')}`, ALCOR_QUOTA_DEFAULTS: FIXTURE_QUOTA_DEFAULTS };
  });
  after(async () => {
    await standIn?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('migrate - from-neutron with a token imports and prints a JSON summary', async () => {
    const run = await alcor(['migrate', 'from-neutron', '--url', standIn.url, '--token', TOKEN, '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as { created: Record<string, number>; conflicts: unknown[] };
    assert.equal(summary.created.port, 41);
    assert.deepEqual(summary.conflicts, []);
    assert.equal(run.stderr, '', 'no progress bar when stderr is not a terminal');
  });

  test('migrate - from-neutron with Keystone options obtains a token and finds Neutron in the catalog; a rerun changes nothing', async () => {
    const keystone = ['--os-auth-url', standIn.url, '--os-username', 'admin', '--os-password', 'pw', '--os-project-name', 'admin'];
    const run = await alcor(['migrate', 'from-neutron', ...keystone], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /import from http:\/\/127\.0\.0\.1:\d+ in/);
    // Second run over the same store: everything unchanged, nothing created.
    assert.match(run.stdout, /port\s+0\s+0\s+0\s+0\s+41\n/);
    assert.doesNotMatch(run.stdout, /conflict/);
    assert.ok(standIn.requests.includes('POST /v3/auth/tokens'));
    const refused = await alcor(['migrate', 'from-neutron', ...keystone.slice(0, 5), 'wrong', ...keystone.slice(6)], env);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Keystone refused the credentials of admin/);
  });

  test('migrate - Keystone credentials from a cloud of clouds.yaml (--os-cloud or OS_CLOUD), an unknown cloud explained', async () => {
    const clouds = join(dir, 'clouds.yaml');
    writeFileSync(clouds, `clouds:\n  lab:\n    auth:\n      auth_url: ${standIn.url}\n      username: admin\n      password: pw\n      project_name: admin\n`);
    const withFile = { ...env, OS_CLIENT_CONFIG_FILE: clouds };
    const tokens = standIn.requests.filter((r) => r === 'POST /v3/auth/tokens').length;
    const flag = await alcor(['migrate', 'verify', '--os-cloud', 'lab'], withFile);
    assert.equal(flag.code, 0, flag.stdout + flag.stderr);
    assert.match(flag.stdout, /Alcor matches Neutron/);
    const variable = await alcor(['migrate', 'verify'], { ...withFile, OS_CLOUD: 'lab' });
    assert.equal(variable.code, 0, variable.stdout + variable.stderr);
    assert.equal(standIn.requests.filter((r) => r === 'POST /v3/auth/tokens').length, tokens + 2, 'each run obtained a token from Keystone');
    const unknown = await alcor(['migrate', 'verify', '--os-cloud', 'nope'], withFile);
    assert.notEqual(unknown.code, 0);
    assert.ok(unknown.stderr.includes(`no cloud "nope" in ${clouds} (it has: lab)`), unknown.stderr);
  });

  test('migrate - verify exits 0 on a match and 1 with a field-by-field diff', async () => {
    const ok = await alcor(['migrate', 'verify', '--url', standIn.url, '--token', TOKEN], env);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /Alcor matches Neutron/);
    const vm1 = standIn.body<{ ports: { id: string; name: string }[] }>('ports.json').ports.find((p) => p.name === 'alpha-vm-1');
    assert.ok(vm1);
    const store = await openSqliteStore(join(dir, 'alcor.db'));
    try {
      await store.write((tx) => tx.run("UPDATE ports SET name = 'renamed-in-alcor' WHERE id = ?", [vm1.id]));
      await store.write((tx) => tx.run("DELETE FROM tags WHERE resource_type = 'networks' AND tag = 'external'"));
    } finally {
      await store.close();
    }
    const bad = await alcor(['migrate', 'verify', '--url', standIn.url, '--token', TOKEN], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, new RegExp(`~ port ${vm1.id} \\(alpha-vm-1\\):\\n    name: neutron "alpha-vm-1"  alcor "renamed-in-alcor"`));
    assert.match(bad.stdout, /~ network 1139ccd3-9629-474c-a5ba-9428c793e320 \(public\):\n    tags: neutron \["external"\]  alcor \[\]/);
    assert.match(bad.stdout, /2 differ/);
  });
});
