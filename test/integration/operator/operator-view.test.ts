// Test responses are arbitrary JSON.
/* eslint-disable @typescript-eslint/no-explicit-any */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../../harness/wait-for.js';
import { withSouthbound, type TestStack } from '../southbound/harness.js';

/** Creates a network with one subnet; returns both ids. */
async function network(s: TestStack, cidr: string): Promise<{ network: string; subnet: string }> {
  const network = (await s.request('POST', '/v2.0/networks', { network: { name: cidr } })).body.network.id;
  const subnet = (await s.request('POST', '/v2.0/subnets', { subnet: { network_id: network, cidr, ip_version: 4 } })).body.subnet.id;
  return { network, subnet };
}

async function port(s: TestStack, networkId: string, host: string, extra: Record<string, unknown> = {}): Promise<any> {
  const res = await s.request('POST', '/v2.0/ports', { port: { network_id: networkId, 'binding:host_id': host, ...extra } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.port;
}

const active = (s: TestStack, id: string) => waitFor(async () => (await s.request('GET', `/v2.0/ports/${id}`)).body.port.status === 'ACTIVE', 10_000, `port ${id} ACTIVE`);

test('operator view - status, hosts and port programming with real agents', async () => {
  await withSouthbound(async (f) => {
    const s = await f.stack();
    await f.agent(s.address, 'op-h1');
    const h2 = await f.agent(s.address, 'op-h2');
    await waitFor(async () => (await s.request('GET', '/alcor/v1/hosts')).body.hosts.filter((h: any) => h.live).length === 2, 10_000, 'two hosts live');
    const a = await network(s, '10.41.0.0/24');
    const p1 = await port(s, a.network, 'op-h1');
    const p2 = await port(s, a.network, 'op-h2');
    const unbound = await port(s, a.network, '');
    const orphan = await port(s, a.network, 'op-never');
    await active(s, p1.id);
    await active(s, p2.id);

    const status = (await s.request('GET', '/alcor/v1/status')).body.status;
    assert.deepEqual(status.hosts, { total: 2, alive: 2, lost: 0 });
    assert.equal(status.store.engine, 'sqlite');
    assert.ok(status.outbox.head_revision >= 6 && status.outbox.compiled_revision <= status.outbox.head_revision, JSON.stringify(status.outbox));
    assert.deepEqual(status.replicas, [{ controller_id: status.controller_id, hosts: 2, this: true }]);
    assert.deepEqual(status.slowest_hosts.map((h: any) => h.host).sort(), ['op-h1', 'op-h2']);

    const hosts = (await s.request('GET', '/alcor/v1/hosts')).body.hosts;
    assert.deepEqual(hosts.map((h: any) => [h.host, h.alive, h.ports]), [['op-h1', true, 1], ['op-h2', true, 1]]);
    const h1 = (await s.request('GET', '/alcor/v1/hosts/op-h1')).body.host;
    assert.equal(h1.live.transport, 'grpc');
    assert.ok(h1.live.acked_revision > 0 && h1.live.last_ack_at !== null, JSON.stringify(h1));
    assert.equal((await s.request('GET', '/alcor/v1/hosts/op-nope')).body.NeutronError.type, 'AgentNotFound');

    const shown = (await s.request('GET', `/alcor/v1/ports/${p1.id}`)).body.port;
    assert.equal(shown.status, 'ACTIVE');
    assert.equal(shown.reason, null);
    assert.equal(shown.programmed.host, 'op-h1');
    assert.ok(shown.programmed.host_acked_revision >= shown.programmed.revision);
    assert.ok(shown.programmed.commit_to_active_ms >= 0 && shown.programmed.active_at !== null, JSON.stringify(shown.programmed));
    assert.match((await s.request('GET', `/alcor/v1/ports/${unbound.id}`)).body.port.reason, /not bound to a host/);
    assert.match((await s.request('GET', `/alcor/v1/ports/${orphan.id}`)).body.port.reason, /op-never, where no agent has ever connected/);
    assert.equal((await s.request('GET', '/alcor/v1/ports/no-such-port')).status, 404);

    await h2.agent.close();
    await waitFor(async () => (await s.request('GET', `/alcor/v1/ports/${p2.id}`)).body.port.reason?.includes('agent of host op-h2 is not connected'), 10_000, 'p2 explained as host lost');
    const after = (await s.request('GET', '/alcor/v1/status')).body.status;
    assert.deepEqual(after.hosts, { total: 2, alive: 1, lost: 1 });

    const member = await fetch(`${s.url}/alcor/v1/status`, { headers: { 'x-project-id': 'someone', 'x-roles': 'member' } });
    assert.equal(member.status, 403);
    assert.equal(((await member.json()) as any).NeutronError.type, 'PolicyNotAuthorized');
    assert.equal((await s.request('POST', '/alcor/v1/status', {})).status, 405);
  });
});

test('operator view - programming latency of the last ports and the southbound\'s recent refusals, bounded', async () => {
  await withSouthbound(async (f) => {
    const s = await f.stack();
    await f.agent(s.address, 'ev-h1');
    const before = (await s.request('GET', '/alcor/v1/programming')).body.programming;
    assert.deepEqual(before, { count: 0, p50_ms: null, p90_ms: null, p99_ms: null, max_ms: null, recent: [] });
    const a = await network(s, '10.43.0.0/24');
    const p1 = await port(s, a.network, 'ev-h1');
    await active(s, p1.id);
    const programming = (await s.request('GET', '/alcor/v1/programming')).body.programming;
    assert.equal(programming.count, 1);
    assert.deepEqual(programming.recent.map((r: any) => [r.port, r.host]), [[p1.id, 'ev-h1']]);
    assert.ok(programming.p50_ms >= 0 && programming.p50_ms === programming.max_ms, JSON.stringify(programming));

    assert.deepEqual((await s.request('GET', '/alcor/v1/events')).body.events, []);
    // An impostor claims the connected host id: each of its attempts is refused and recorded, newest first.
    await f.agent(s.address, 'ev-h1', { datapathIp: '198.51.100.7' });
    await waitFor(async () => (await s.request('GET', '/alcor/v1/events')).body.events.length >= 2, 10_000, 'refusals recorded');
    const [latest] = (await s.request('GET', '/alcor/v1/events?limit=1')).body.events;
    assert.equal(latest.level, 'warn');
    assert.equal(latest.host, 'ev-h1');
    assert.equal(latest.message, 'agent refused');
    assert.match(latest.details, /details=host ev-h1 is already connected/);
    assert.equal((await s.request('GET', '/alcor/v1/events?limit=1')).body.events.length, 1);
    for (const bad of ['0', '201', 'x', '-1']) {
      const res = await s.request('GET', `/alcor/v1/events?limit=${bad}`);
      assert.equal(res.status, 400, bad);
      assert.equal(res.body.NeutronError.type, 'HTTPBadRequest');
    }
    assert.equal((await s.request('DELETE', '/alcor/v1/events')).status, 405);
  });
});
