/**
 * Fault: an agent whose state directory cannot be written (the disk is full, then the file system is
 * read-only) or whose state file cannot be read (damaged). The agent must keep programming and acking
 * (ports turn ACTIVE), say what is wrong once rather than on every batch, count it in a metric, write
 * again once it can, and start — never crash-loop — on a state it cannot use. Real processes (controller
 * and agent) and a real tmpfs of a few KiB mounted for the test, so root is needed.
 */
// Test responses are arbitrary JSON.
/* eslint-disable @typescript-eslint/no-explicit-any */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { startAgentProcess, type AgentProcess } from '../harness/agent-process.js';
import { sample, scrape } from '../harness/prometheus.js';
import { startServerProcess, type ServerProcess } from '../harness/server-process.js';
import { missingPrerequisite } from '../harness/services.js';
import { waitFor } from '../harness/wait-for.js';

const HOST = 'state-dir-host';
const STATE_FILE = 'desired-state.bin';

async function call(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
}

/** Creates a port bound to the host and waits until the controller reports it ACTIVE (the agent acked it). */
async function activePort(server: ServerProcess, networkId: string): Promise<string> {
  const port = (await call(server.url, 'POST', '/v2.0/ports', { port: { network_id: networkId, 'binding:host_id': HOST } })).body.port;
  await waitFor(async () => (await call(server.url, 'GET', `/v2.0/ports/${port.id}`)).body.port.status === 'ACTIVE', 15_000, `port ${port.id} ACTIVE`);
  return port.id;
}

async function persistFailures(agent: AgentProcess): Promise<number> {
  return sample(await scrape(agent.metrics), 'alcor_agent_state_persist_failures_total') ?? -1;
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

function requireRoot(t: TestContext): boolean {
  if (process.getuid?.() === 0) return true;
  return missingPrerequisite(t, 'the state-directory fault test mounts a tmpfs and needs root', 'ALCOR_TEST_E2E');
}

test('fault - an agent whose state directory is full, then read-only, then damaged keeps programming, reports it, and never crash-loops', { timeout: 120_000 }, async (t) => {
  if (!requireRoot(t)) return;
  const work = mkdtempSync(join(tmpdir(), 'alcor-state-fault-'));
  const mnt = join(work, 'state');
  execFileSync('mkdir', ['-p', mnt]);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]);
  let server: ServerProcess | undefined;
  let agent: AgentProcess | undefined;
  try {
    server = await startServerProcess({ ALCOR_DATABASE_URL: `sqlite:${join(work, 'alcor.db')}` });
    assert.ok(server.southbound);
    const network = (await call(server.url, 'POST', '/v2.0/networks', { network: { name: 'state-dir' } })).body.network;
    await call(server.url, 'POST', '/v2.0/subnets', { subnet: { network_id: network.id, cidr: '10.7.0.0/24', ip_version: 4 } });

    // 1. Disk full: dd stops with ENOSPC once the tmpfs is full.
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${join(mnt, 'filler')}`, 'bs=4k'], { stdio: 'ignore' });
    } catch {
      // "No space left on device" is the point.
    }
    agent = await startAgentProcess(server.southbound, HOST, { stateDir: mnt });
    // Two batches far enough apart (writes are coalesced for a second) to fail twice.
    const full = [await activePort(server, network.id)];
    await waitFor(async () => (await persistFailures(agent!)) >= 1, 10_000, 'a failed write counted');
    const first = await persistFailures(agent);
    full.push(await activePort(server, network.id));
    await waitFor(async () => (await persistFailures(agent!)) > first, 10_000, 'the next failed write counted');
    assert.equal(count(agent.log(), '"persisting agent state failed"'), 1, 'a full disk is logged once, not on every batch');
    assert.match(agent.log(), /ENOSPC/);
    assert.ok(!existsSync(join(mnt, STATE_FILE)), 'nothing was written');

    // 2. Space returns: the next batch is persisted and the recovery is logged.
    rmSync(join(mnt, 'filler'));
    full.push(await activePort(server, network.id));
    await waitFor(() => existsSync(join(mnt, STATE_FILE)) && statSync(join(mnt, STATE_FILE)).size > 0, 10_000, 'state persisted once space returned');
    await waitFor(() => agent!.log().includes('"persisting agent state works again"'), 10_000, 'recovery logged');

    // 3. Read-only file system: programming goes on; a clean stop still exits 0 (its last persist fails).
    execFileSync('mount', ['-o', 'remount,ro', mnt]);
    const before = await persistFailures(agent);
    full.push(await activePort(server, network.id));
    await waitFor(async () => (await persistFailures(agent!)) > before, 10_000, 'read-only writes counted');
    assert.match(agent.log(), /EROFS/);
    assert.equal(await agent.stop(), 0, 'the agent stops cleanly with a read-only state directory');

    // 4. Restart on the read-only directory: it reads its (older) state, resumes and converges.
    agent = await startAgentProcess(server.southbound, HOST, { stateDir: mnt });
    const onRestart = await activePort(server, network.id);
    for (const id of [...full, onRestart]) assert.equal((await call(server.url, 'GET', `/v2.0/ports/${id}`)).body.port.status, 'ACTIVE');
    assert.ok(!agent.log().includes('cannot be used'), 'a readable state is used');
    await agent.stop();

    // 5. A damaged state file: the agent logs it, starts without it, takes a snapshot and acks.
    execFileSync('mount', ['-o', 'remount,rw', mnt]);
    writeFileSync(join(mnt, STATE_FILE), Buffer.from('not a snapshot chunk: \u00ff\u00fe garbage', 'latin1'));
    agent = await startAgentProcess(server.southbound, HOST, { stateDir: mnt });
    await waitFor(() => agent!.log().includes('"the persisted agent state cannot be used'), 10_000, 'the damaged state is reported');
    await activePort(server, network.id);
    assert.equal(agent.child.exitCode, null, 'the agent is running');
  } finally {
    await agent?.stop();
    await server?.stop();
    try {
      execFileSync('umount', [mnt]);
    } catch {
      // Not mounted (the test failed before mounting).
    }
    rmSync(work, { recursive: true, force: true });
  }
});
