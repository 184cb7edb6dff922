/**
 * The import, catch-up and conflict suites again on PostgreSQL: a child `node --test` with
 * ALCOR_TEST_DATABASE_URL set, so every `startTestApi` opens its store on a fresh PostgreSQL schema.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { postgresUnavailable } from '../../harness/postgres.js';
import { missingPrerequisite } from '../../harness/services.js';

const here = dirname(fileURLToPath(import.meta.url));
const SUITES = ['from-neutron.test.js', 'catch-up.test.js', 'conflicts.test.js'];

test('migrate - import, catch-up and conflicts pass on PostgreSQL', { timeout: 5 * 60_000 }, async (t) => {
  const base = process.env.ALCOR_TEST_PG_URL;
  if (!base) {
    missingPrerequisite(t, 'migration suites on PostgreSQL need ALCOR_TEST_PG_URL=postgres://...', 'ALCOR_TEST_PG_URL');
    return;
  }
  const down = await postgresUnavailable(base);
  if (down) {
    missingPrerequisite(t, down, 'ALCOR_TEST_PG_URL');
    return;
  }
  // NODE_TEST_CONTEXT would make the child think it is a file of this run and refuse to run files.
  const { NODE_TEST_CONTEXT: _inherited, ...env } = process.env;
  const child = spawn(process.execPath, ['--test', '--test-reporter=tap', ...SUITES.map((f) => join(here, f))], {
    env: { ...env, ALCOR_TEST_DATABASE_URL: base },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const failures = output.split('\n').filter((line) => /^\s*not ok /.test(line)).join('\n');
  assert.equal(code, 0, `migration suites failed on PostgreSQL:\n${failures}\n--- output ---\n${output.slice(-20000)}`);
  assert.match(output, /^# pass [1-9]/m);
});
