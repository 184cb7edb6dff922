/**
 * The controller and agent executables with mutual TLS: alcor-server refuses a southbound reachable from
 * other machines without TLS, serves one with TLS, an alcor-agent with its certificate registers, and
 * SIGHUP re-reads the files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCa, makeCertificate } from '../../../src/southbound/pki.js';
import { startServerProcess } from '../../harness/server-process.js';
import { waitFor } from '../../harness/wait-for.js';

const AGENT = fileURLToPath(new URL('../../../src/cli/alcor-agent.js', import.meta.url));

test('server - a southbound on a non-loopback address without TLS refuses to start; the insecure flag allows it', { timeout: 60_000 }, async () => {
  const env = { ALCOR_DATABASE_URL: 'sqlite::memory:', ALCOR_SOUTHBOUND_LISTEN: '0.0.0.0:0' };
  await assert.rejects(startServerProcess(env), /exited with 2[\s\S]*ALCOR_SOUTHBOUND_LISTEN: 0\.0\.0\.0:0 is reachable from other machines/);
  const insecure = await startServerProcess({ ...env, ALCOR_SOUTHBOUND_INSECURE: 'true' });
  await insecure.stop();
});

test('server - alcor-server and alcor-agent over mutual TLS: the agent registers, SIGHUP re-reads the files', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'alcor-tls-proc-'));
  const ca = makeCa(dir);
  const controller = makeCertificate(dir, ca, { name: 'alcor-controller', dns: ['localhost'], ips: ['127.0.0.1'] });
  const host = makeCertificate(dir, ca, { name: 'compute-tls', ips: ['192.0.2.77'] });
  const server = await startServerProcess({
    ALCOR_DATABASE_URL: 'sqlite::memory:', ALCOR_SOUTHBOUND_LISTEN: '0.0.0.0:0',
    ALCOR_SOUTHBOUND_TLS_CA: ca.cert, ALCOR_SOUTHBOUND_TLS_CERT: controller.cert, ALCOR_SOUTHBOUND_TLS_KEY: controller.key,
  });
  let log = '';
  server.child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const agent = spawn(process.execPath, [
    AGENT, '--host-id', 'compute-tls', '--datapath-ip', '192.0.2.77', '--controller', server.southbound ?? '', '--state-dir', join(dir, 'agent'),
    '--tls-ca', ca.cert, '--tls-cert', host.cert, '--tls-key', host.key,
  ], { stdio: 'ignore' });
  try {
    await waitFor(async () => {
      const body = (await (await fetch(`${server.url}/v2.0/agents`)).json()) as { agents: { host: string; alive: boolean }[] };
      return body.agents.some((a) => a.host === 'compute-tls' && a.alive);
    }, 20_000, 'the TLS agent registered');
    server.child.kill('SIGHUP');
    await waitFor(() => /"reloaded":true[^\n]*southbound TLS files re-read/.test(log), 10_000, 'SIGHUP reloaded the files');
  } finally {
    agent.kill('SIGTERM');
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
