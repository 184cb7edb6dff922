// Test responses are arbitrary JSON.
/* eslint-disable @typescript-eslint/no-explicit-any */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../harness/wait-for.js';
import { withSouthbound } from '../southbound/harness.js';

const ALCOR = fileURLToPath(new URL('../../../src/cli/alcor.js', import.meta.url));

/** Runs `alcor` with `args`; resolves with its exit code and output. */
function alcor(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    for (const name of ['OS_AUTH_URL', 'OS_TOKEN', 'ALCOR_URL']) delete env[name];
    const child = spawn(process.execPath, [ALCOR, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('alcor status, hosts and port show - tables for people, JSON for scripts, clear errors', async () => {
  await withSouthbound(async (f) => {
    const s = await f.stack();
    await f.agent(s.address, 'cli-h1');
    const network = (await s.request('POST', '/v2.0/networks', { network: { name: 'cli' } })).body.network.id;
    await s.request('POST', '/v2.0/subnets', { subnet: { network_id: network, cidr: '10.42.0.0/24', ip_version: 4 } });
    const port = (await s.request('POST', '/v2.0/ports', { port: { network_id: network, 'binding:host_id': 'cli-h1' } })).body.port;
    await waitFor(async () => (await s.request('GET', `/v2.0/ports/${port.id}`)).body.port.status === 'ACTIVE', 10_000, 'port ACTIVE');
    const url = ['--url', s.url];

    const status = await alcor(['status', ...url]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^store\s+sqlite$/m);
    assert.match(status.stdout, /^hosts\s+1 alive, 0 lost, 1 in all$/m);
    assert.match(status.stdout, /^cli-h1\s+alive\s+192\.0\.2\.1\s+1\s/m);
    const json = await alcor(['status', ...url, '--json']);
    assert.equal(JSON.parse(json.stdout).hosts.alive, 1);

    const list = await alcor(['hosts', 'list', ...url, '--json']);
    assert.deepEqual(JSON.parse(list.stdout).map((h: any) => h.host), ['cli-h1']);
    const show = await alcor(['hosts', 'show', 'cli-h1', ...url]);
    assert.match(show.stdout, /^stream here\s+grpc$/m);

    const shown = await alcor(['port', 'show', port.id, ...url]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^status\s+ACTIVE$/m);
    assert.match(shown.stdout, /^programmed on\s+cli-h1$/m);
    assert.match(shown.stdout, /^commit → ACTIVE\s+\d+ ms$/m);

    const missing = await alcor(['port', 'show', 'no-such-port', ...url]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, 'alcor: Port no-such-port could not be found.\n');
    const member = await alcor(['hosts', 'list', ...url, '--token', 'not-checked-under-noauth']);
    assert.equal(member.code, 0, 'noauth ignores tokens: still admin');
  });
  const unreachable = await alcor(['status', '--url', 'http://127.0.0.1:9']);
  assert.equal(unreachable.code, 2);
  assert.match(unreachable.stderr, /^alcor: the controller at http:\/\/127\.0\.0\.1:9 is unreachable/);
});
