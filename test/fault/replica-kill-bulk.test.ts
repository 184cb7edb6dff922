// API responses are arbitrary JSON.
/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Fault: two `alcor-server` replicas share one PostgreSQL schema; one is killed with SIGKILL while it
 * serves a bulk create of 1,000 ports, while another client keeps bulk-creating on the other replica.
 * The client whose request died retries it on the surviving replica. Afterwards the API lists every port
 * it acknowledged exactly once; the killed request left all of its ports or none (bulk create is all or
 * nothing); and no fixed IP or MAC is held twice. (test/integration/postgres/replica-kill covers single
 * creates and the agent's failover.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestSchema, requirePostgresUrl } from '../harness/postgres.js';
import { startServerProcess, type ServerProcess } from '../harness/server-process.js';
import { HEAVY } from './harness.js';

/** Ports in the bulk create the kill interrupts, and in each of the other client's bulks. */
const SIZE = HEAVY ? { killedBulk: 5000, otherBulk: 250, otherBulks: 20 } : { killedBulk: 1000, otherBulk: 100, otherBulks: 10 };

interface ListedPort {
  id: string;
  name: string;
  mac_address: string;
  fixed_ips: { ip_address: string }[];
}

async function call(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Bulk-creates `count` ports named `<name>`; the ids on 201, undefined when the replica died under it. */
async function bulkCreate(url: string, net: string, name: string, count: number): Promise<string[] | undefined> {
  const ports = Array.from({ length: count }, () => ({ network_id: net, name }));
  const r = await call(url, 'POST', '/v2.0/ports', { ports }).catch(() => undefined);
  if (!r) return undefined;
  assert.equal(r.status, 201, `bulk create: ${JSON.stringify(r.body)}`);
  return (r.body.ports as { id: string }[]).map((p) => p.id);
}

test(`fault - a replica killed with SIGKILL during a bulk create of ${SIZE.killedBulk} ports: every acknowledged port exists once, the bulk is all or nothing, no address or MAC twice`, { timeout: 240_000 }, async (t) => {
  const baseUrl = await requirePostgresUrl(t, 'the replica kill fault');
  if (!baseUrl) return;
  const schema = await createTestSchema(baseUrl);
  const servers: ServerProcess[] = [];
  try {
    const env = { ALCOR_DATABASE_URL: schema.url, ALCOR_QUOTA_DEFAULTS: 'port=-1', ALCOR_SOUTHBOUND_LISTEN: '127.0.0.1:0' };
    const [victim, survivor] = [await startServerProcess(env, 30_000), await startServerProcess(env, 30_000)] as [ServerProcess, ServerProcess];
    servers.push(victim, survivor);
    const net = (await call(victim.url, 'POST', '/v2.0/networks', { network: { name: 'fault-kill' } })).body.network.id as string;
    assert.equal((await call(victim.url, 'POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '10.61.0.0/16', ip_version: 4 } })).status, 201);

    const acknowledged: string[] = [];
    // How long one bulk of that size takes on this machine now, so that the kill lands inside the next one.
    const warmStarted = Date.now();
    acknowledged.push(...((await bulkCreate(victim.url, net, 'warm-up', SIZE.killedBulk)) ?? []));
    const bulkMs = Date.now() - warmStarted;
    assert.equal(acknowledged.length, SIZE.killedBulk, 'the warm-up bulk was acknowledged');

    // The other client: bulks on the survivor before, during and after the kill.
    const other = (async () => {
      for (let i = 0; i < SIZE.otherBulks; i++) acknowledged.push(...((await bulkCreate(survivor.url, net, `other-${i}`, SIZE.otherBulk)) ?? assert.fail('the survivor dropped a request')));
    })();
    // Awaited below; should an assertion fail first, that one is reported.
    other.catch(() => undefined);
    const killed = bulkCreate(victim.url, net, 'killed', SIZE.killedBulk);
    // check-style: allow-timeout the fault lands a set time into the request (injection, not a wait for state)
    await new Promise((resolve) => setTimeout(resolve, bulkMs / 3));
    await victim.kill();
    assert.equal(await killed, undefined, `the kill (${Math.round(bulkMs / 3)} ms into a bulk that took ${bulkMs} ms before) landed before its answer`);
    // The client retries the request that died on the surviving replica.
    const retried = await bulkCreate(survivor.url, net, 'retried', SIZE.killedBulk);
    assert.ok(retried, 'the retry on the survivor was acknowledged');
    acknowledged.push(...retried);
    await other;

    const listed = (await call(survivor.url, 'GET', `/v2.0/ports?network_id=${net}`)).body.ports as ListedPort[];
    const ids = listed.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'no port listed twice');
    const present = new Set(ids);
    assert.deepEqual(acknowledged.filter((id) => !present.has(id)), [], 'every acknowledged port survived');
    const fromKilled = listed.filter((p) => p.name === 'killed').length;
    assert.ok(fromKilled === 0 || fromKilled === SIZE.killedBulk, `the killed bulk left all of its ports or none (${fromKilled})`);
    assert.equal(listed.length, acknowledged.length + fromKilled, 'nothing else was created');
    for (const p of listed) assert.equal(p.fixed_ips.length, 1, `port ${p.id} holds exactly one address`);
    assert.equal(new Set(listed.map((p) => p.fixed_ips[0]?.ip_address)).size, listed.length, 'no fixed IP held twice');
    assert.equal(new Set(listed.map((p) => p.mac_address)).size, listed.length, 'no MAC held twice');
    t.diagnostic(`bulk of ${SIZE.killedBulk} took ${bulkMs} ms; killed ${Math.round(bulkMs / 3)} ms into the next; it left ${fromKilled} ports; ${acknowledged.length} acknowledged`);
  } finally {
    for (const s of servers) await s.stop().catch(() => undefined);
    await schema.drop();
  }
});
