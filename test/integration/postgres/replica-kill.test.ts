/**
 * A replica killed with SIGKILL under load: two `alcor-server` processes share one PostgreSQL schema, an
 * agent holds a stream to the first and knows both addresses. Port creates go to both replicas until the
 * first is killed mid-load. Every acknowledged create must survive, no address may be leaked or handed
 * out twice, and the agent must resume on the surviving replica and get every port programmed (ACTIVE).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openStore } from '../../../src/store/open-store.js';
import { createTestSchema, requirePostgresUrl } from '../../harness/postgres.js';
import { startServerProcess, type ServerProcess } from '../../harness/server-process.js';
import { waitFor } from '../../harness/wait-for.js';
import { cleanup, startAgent, type TestAgent } from '../southbound/harness.js';


async function call(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

test('postgres - a replica killed under load loses no acknowledged write, leaks nothing, and its agent resumes on another', { timeout: 240_000 }, async (t) => {
  const baseUrl = await requirePostgresUrl(t, 'the replica kill test');
  if (!baseUrl) return;
  const schema = await createTestSchema(baseUrl);
  const servers: ServerProcess[] = [];
  const agents: TestAgent[] = [];
  try {
    const env = { ALCOR_DATABASE_URL: schema.url, ALCOR_SOUTHBOUND_LISTEN: '127.0.0.1:0', ALCOR_LOG_LEVEL: 'info' };
    const r1 = await startServerProcess(env, 30_000);
    servers.push(r1);
    const r2 = await startServerProcess(env, 30_000);
    servers.push(r2);
    assert.ok(r1.southbound && r2.southbound, 'both replicas logged their southbound address');

    const net = (await call(r1.url, 'POST', '/v2.0/networks', { network: { name: 'kill' } })).body.network.id;
    assert.equal((await call(r1.url, 'POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '10.60.0.0/24', ip_version: 4 } })).status, 201);
    const h1 = await startAgent(`${r1.southbound},${r2.southbound}`, 'h1');
    agents.push(h1);

    const acknowledged: string[] = [];
    let killed = false;
    const create = async (url: string) => {
      const r = await call(url, 'POST', '/v2.0/ports', { port: { network_id: net, 'binding:host_id': 'h1' } }).catch(() => undefined);
      if (r?.status === 201) acknowledged.push(r.body.port.id);
    };
    // Four clients alternate between the replicas; the first replica is killed after 20 acknowledged creates.
    await Promise.all(
      Array.from({ length: 4 }, async (_, worker) => {
        for (let i = 0; acknowledged.length < 80 && i < 400; i++) {
          const target = (i + worker) % 2 === 0 && !killed ? r1 : r2;
          await create(target.url);
          if (!killed && acknowledged.length >= 20) {
            killed = true;
            await r1.kill();
          }
        }
      }),
    );
    assert.ok(killed, 'the first replica was killed mid-load');
    assert.ok(acknowledged.length >= 80, `creates continued on the surviving replica (${acknowledged.length})`);

    for (const id of acknowledged) assert.equal((await call(r2.url, 'GET', `/v2.0/ports/${id}`)).status, 200, `acknowledged port ${id} survived`);
    const store = await openStore({ engine: 'postgres', url: schema.url });
    try {
      await store.read(async (q) => {
        const orphans = await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM ip_allocations a WHERE NOT EXISTS (SELECT 1 FROM ports p WHERE p.id = a.port_id)');
        assert.equal(Number(orphans?.n), 0, 'no allocation without its port');
        const wrong = await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM ports p WHERE (SELECT COUNT(*) FROM ip_allocations a WHERE a.port_id = p.id) <> 1');
        assert.equal(Number(wrong?.n), 0, 'every port holds exactly one address');
        const ports = await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM ports');
        assert.ok(Number(ports?.n) >= acknowledged.length, 'no acknowledged port is missing');
      });
    } finally {
      await store.close();
    }

    await waitFor(() => acknowledged.every((id) => h1.agent.desired.view.port.has(id)), 60_000, 'every acknowledged port programmed on the agent');
    await waitFor(
      async () => {
        const list = await call(r2.url, 'GET', `/v2.0/ports?network_id=${net}&binding:host_id=h1&fields=id&fields=status`);
        const status = new Map<string, string>(list.body.ports.map((p: { id: string; status: string }) => [p.id, p.status]));
        return acknowledged.every((id) => status.get(id) === 'ACTIVE');
      },
      60_000,
      'every acknowledged port ACTIVE through the surviving replica',
    );
  } finally {
    await cleanup({ agents });
    for (const s of servers) await s.stop().catch(() => undefined);
    await schema.drop();
  }
});
