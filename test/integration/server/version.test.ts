/** The build's version: one number (package.json) on every binary and every place the controller reports it. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestApi } from '../../harness/api-server.js';

const PACKAGE_VERSION = (JSON.parse(readFileSync(fileURLToPath(new URL('../../../../package.json', import.meta.url)), 'utf8')) as { version: string }).version;

test('version - alcor, alcor-server and alcor-agent print the package version with --version', () => {
  assert.match(PACKAGE_VERSION, /^\d+\.\d+\.\d+/);
  for (const binary of ['alcor', 'alcor-server', 'alcor-agent']) {
    const path = fileURLToPath(new URL(`../../../src/cli/${binary}.js`, import.meta.url));
    assert.equal(execFileSync(process.execPath, [path, '--version'], { encoding: 'utf8' }).trim(), PACKAGE_VERSION, binary);
  }
});

test('version - GET / names the server version beside the API versions; /healthz reports it too', async () => {
  const api = await startTestApi();
  try {
    const doc = await api.request('GET', '/');
    assert.equal(doc.status, 200);
    assert.equal(doc.body['alcor:version'], PACKAGE_VERSION);
    assert.deepEqual(doc.body.versions.map((v: { id: string; status: string }) => [v.id, v.status]), [['v2.0', 'CURRENT']]);
    assert.equal((await api.request('GET', '/healthz')).body.version, PACKAGE_VERSION);
  } finally {
    await api.close();
  }
});
