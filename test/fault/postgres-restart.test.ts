// API responses are arbitrary JSON.
/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Fault: PostgreSQL is stopped (fast shutdown: every connection cut) and started again while two
 * `alcor-server` replicas take a steady load of port creates, each replica with an agent on it. While
 * the database is down clients get 503 with Retry-After, never a 500 or a hang; once it is back both
 * replicas write again, every acknowledged port exists exactly once with its own address and MAC, and
 * every one of them turns ACTIVE (the replicas' change listeners and the agents' streams recover).
 * The server is a private one (test/harness/private-postgres): the shared one must stay up.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startAgentProcess, type AgentProcess } from '../harness/agent-process.js';
import { privatePostgresUnavailable, startPrivatePostgres, type PrivatePostgres } from '../harness/private-postgres.js';
import { startServerProcess, type ServerProcess } from '../harness/server-process.js';
import { missingPrerequisite } from '../harness/services.js';
import { waitFor } from '../harness/wait-for.js';
import { HEAVY, pause } from './harness.js';

const SIZE = HEAVY ? { clients: 16, loadMs: 60_000, downMs: 20_000 } : { clients: 4, loadMs: 12_000, downMs: 4000 };
const HOSTS = ['pg-host-a', 'pg-host-b'];

async function call(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; retryAfter: string | null }> {
  const res = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, retryAfter: res.headers.get('retry-after') };
}

test(`fault - PostgreSQL restarted under write load with 2 replicas: 503 with Retry-After while it is down, nothing lost, every port ACTIVE after`, { timeout: 240_000 }, async (t) => {
  const unavailable = privatePostgresUnavailable();
  if (unavailable) {
    missingPrerequisite(t, unavailable, 'ALCOR_TEST_PG_URL');
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'alcor-pg-restart-'));
  let pg: PrivatePostgres | undefined;
  const servers: ServerProcess[] = [];
  const agents: AgentProcess[] = [];
  try {
    pg = await startPrivatePostgres();
    const env = { ALCOR_DATABASE_URL: pg.url, ALCOR_QUOTA_DEFAULTS: 'port=-1' };
    for (let i = 0; i < 2; i++) servers.push(await startServerProcess(env, 30_000));
    for (const [i, host] of HOSTS.entries()) agents.push(await startAgentProcess(servers[i]!.southbound!, host));
    const api = servers.map((s) => s.url);
    await waitFor(async () => (await call(api[0]!, 'GET', '/v2.0/agents')).body.agents.filter((a: any) => a.alive).length === 2, 15_000, 'both agents registered');
    const net = (await call(api[0]!, 'POST', '/v2.0/networks', { network: { name: 'pg-restart' } })).body.network.id as string;
    assert.equal((await call(api[1]!, 'POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '10.62.0.0/16', ip_version: 4 } })).status, 201);

    const acknowledged: string[] = [];
    const statuses = new Map<number, number>();
    let unavailableWithoutRetryAfter = 0;
    let downAt = 0;
    let upAt = 0;
    /** Per replica: when it first acknowledged a create after the database was back. */
    const recoveredAt: (number | undefined)[] = [undefined, undefined];
    const stopAt = Date.now() + SIZE.loadMs;
    const client = async (c: number) => {
      for (let i = 0; Date.now() < stopAt; i++) {
        const replica = (c + i) % 2;
        const r = await call(api[replica]!, 'POST', '/v2.0/ports', { port: { network_id: net, 'binding:host_id': HOSTS[(c + i) % 2] } });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 201) {
          acknowledged.push(r.body.port.id);
          if (upAt && recoveredAt[replica] === undefined) recoveredAt[replica] = Date.now();
        } else {
          if (r.status === 503 && !r.retryAfter) unavailableWithoutRetryAfter++;
          await pause(200);
        }
      }
    };
    const load = Promise.all(Array.from({ length: SIZE.clients }, (_, c) => client(c)));
    load.catch(() => undefined);
    await pause(SIZE.loadMs / 4);
    downAt = Date.now();
    pg.stop();
    await pause(SIZE.downMs);
    pg.start();
    upAt = Date.now();
    await load;

    const summary = [...statuses].map(([s, n]) => `${s}: ${n}`).join(', ');
    assert.deepEqual([...statuses.keys()].filter((s) => s !== 201 && s !== 503), [], `only 201 and 503 answered (${summary})`);
    assert.ok((statuses.get(503) ?? 0) > 0, `the outage was seen by the clients (${summary})`);
    assert.equal(unavailableWithoutRetryAfter, 0, 'every 503 carries Retry-After');
    assert.ok(recoveredAt.every((at) => at !== undefined), 'both replicas wrote again after the restart');

    const listed = (await call(api[0]!, 'GET', `/v2.0/ports?network_id=${net}`)).body.ports as { id: string; mac_address: string; fixed_ips: { ip_address: string }[] }[];
    const present = new Set(listed.map((p) => p.id));
    assert.equal(present.size, listed.length, 'no port listed twice');
    assert.deepEqual(acknowledged.filter((id) => !present.has(id)), [], 'every acknowledged port exists');
    assert.equal(new Set(listed.map((p) => p.fixed_ips[0]?.ip_address)).size, listed.length, 'no fixed IP held twice');
    assert.equal(new Set(listed.map((p) => p.mac_address)).size, listed.length, 'no MAC held twice');
    const convergeStarted = Date.now();
    await waitFor(
      async () => ((await call(api[1]!, 'GET', `/v2.0/ports?network_id=${net}&status=ACTIVE&fields=id`)).body.ports as unknown[]).length === listed.length,
      60_000,
      'every port ACTIVE after the restart',
    );
    t.diagnostic(
      `${SIZE.clients} clients for ${SIZE.loadMs} ms, database down ${upAt - downAt} ms: ${summary}; ${acknowledged.length} acknowledged, ${listed.length - acknowledged.length} committed without an answer; ` +
        `replicas wrote again ${recoveredAt.map((at) => (at ?? upAt) - upAt).join(' / ')} ms after the start; all ACTIVE ${Date.now() - convergeStarted} ms after the load ended`,
    );
  } catch (err) {
    t.diagnostic(`failed: ${err instanceof Error ? err.stack : String(err)}`);
    for (const [i, s] of servers.entries()) t.diagnostic(`replica ${i} (exit ${s.child.exitCode}):\n${s.log().split('\n').filter((l) => !l.includes('"level":30')).slice(-60).join('\n')}`);
    throw err;
  } finally {
    // Killed, not drained: a failure above may have left requests waiting on the database.
    for (const a of agents) a.child.kill('SIGKILL');
    for (const s of servers) await s.kill();
    pg?.destroy();
    rmSync(work, { recursive: true, force: true });
  }
});
