/**
 * The whole API suite again, on PostgreSQL: runs every compiled `test/integration/api/*.test.js` in a
 * child `node --test` with ALCOR_TEST_DATABASE_URL set, so `startTestApi` opens each controller on a
 * fresh PostgreSQL schema. New API test files are picked up without touching this file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { postgresUnavailable } from '../../harness/postgres.js';
import { missingPrerequisite } from '../../harness/services.js';

const apiTestDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'api');

test('postgres - the API integration suite passes on PostgreSQL', { timeout: 15 * 60_000 }, async (t) => {
  const base = process.env.ALCOR_TEST_PG_URL;
  if (!base) {
    missingPrerequisite(t, 'API suite on PostgreSQL needs ALCOR_TEST_PG_URL=postgres://...', 'ALCOR_TEST_PG_URL');
    return;
  }
  const down = await postgresUnavailable(base);
  if (down) {
    missingPrerequisite(t, down, 'ALCOR_TEST_PG_URL');
    return;
  }
  const files = readdirSync(apiTestDir)
    .filter((f) => f.endsWith('.test.js'))
    .sort()
    .map((f) => join(apiTestDir, f));
  assert.ok(files.length > 0, `no compiled API tests in ${apiTestDir}`);
  // NODE_TEST_CONTEXT would make the child think it is a file of this run and refuse to run files.
  const { NODE_TEST_CONTEXT: _inherited, ...env } = process.env;
  const child = spawn(process.execPath, ['--test', '--test-reporter=tap', ...files], {
    env: { ...env, ALCOR_TEST_DATABASE_URL: base },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const failures = output
    .split('\n')
    .filter((line) => /^\s*not ok /.test(line))
    .join('\n');
  const summary = output.split('\n').filter((line) => /^# (tests|pass|fail|skipped|todo) /.test(line)).join(', ');
  t.diagnostic(`API suite on PostgreSQL (${files.length} files): ${summary}`);
  // On failure the child's whole report is the useful evidence, so it goes into the assertion message.
  assert.equal(code, 0, `API suite failed on PostgreSQL:\n${failures}\n--- full output ---\n${output.slice(-20000)}`);
  assert.match(output, /^# pass [1-9]/m);
});
