/**
 * Two controller replicas on one PostgreSQL database, each with its agents and its notifier: every event
 * reaches Nova exactly once, whichever replica derived it (API write or status write) and whichever sent it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { createTestSchema, postgresUnavailable } from '../../harness/postgres.js';
import { missingPrerequisite } from '../../harness/services.js';
import { NovaStandIn } from '../../harness/nova-stand-in.js';
import { waitFor } from '../../harness/wait-for.js';
import { cleanup, startAgent, type TestAgent } from '../southbound/harness.js';
import { bootPort, networkWithSubnet, startNovaStack, type NovaStack } from './nova-stack.js';

test('nova - two replicas on PostgreSQL: each event is sent once', { timeout: 120_000 }, async (t) => {
  const base = process.env.ALCOR_TEST_PG_URL;
  if (!base) {
    missingPrerequisite(t, 'events to Nova across replicas need ALCOR_TEST_PG_URL=postgres://...', 'ALCOR_TEST_PG_URL');
    return;
  }
  const down = await postgresUnavailable(base);
  if (down) {
    missingPrerequisite(t, down, 'ALCOR_TEST_PG_URL');
    return;
  }
  const schema = await createTestSchema(base);
  const nova = new NovaStandIn();
  await nova.start();
  const stacks: NovaStack[] = [];
  const agents: TestAgent[] = [];
  try {
    for (let i = 0; i < 2; i++) stacks.push(await startNovaStack({ novaUrl: nova.url, databaseUrl: schema.url }));
    const [a, b] = stacks as [NovaStack, NovaStack];
    agents.push(await startAgent(a.address, 'compute-1', { datapathIp: '192.0.2.31' }));
    agents.push(await startAgent(b.address, 'compute-2', { datapathIp: '192.0.2.32' }));
    await waitFor(() => a.southbound.server.sessions.size === 1 && b.southbound.server.sessions.size === 1, 10_000, 'agents connected');
    const net = await networkWithSubnet(a, '10.65.0.0/24');
    const expected: string[] = [];
    const ports: { id: string; server: string; via: NovaStack }[] = [];
    for (let i = 0; i < 12; i++) {
      const server = randomUUID();
      const host = i % 2 === 0 ? 'compute-1' : 'compute-2';
      nova.servers.set(server, host);
      // Through one replica's API, bound to the other replica's agent half of the time.
      const via = i % 3 === 0 ? b : a;
      const port = await bootPort(via, net, server, host);
      ports.push({ id: port.id as string, server, via });
      expected.push(`network-vif-plugged ${server} ${port.id} completed`);
    }
    await waitFor(() => nova.accepted.length >= 12, 20_000, 'vif-plugged of every port');
    for (const p of ports.slice(0, 4)) {
      assert.equal((await p.via.request('DELETE', `/v2.0/ports/${p.id}`)).status, 204);
      expected.push(`network-vif-deleted ${p.server} ${p.id} `);
    }
    const queued = async () => Number((await a.store.read((q) => q.get<{ n: number }>('SELECT COUNT(*) AS n FROM nova_events')))?.n);
    await waitFor(async () => nova.accepted.length >= 16 && (await queued()) === 0, 20_000, 'every event sent');
    // A live migration across replicas: the binding made through one, activated through the other.
    const migrating = ports[5] as { id: string; server: string };
    const bindings = `/v2.0/ports/${migrating.id}/bindings`;
    assert.equal((await a.request('POST', bindings, { binding: { host: 'compute-1' } })).status, 201);
    assert.equal((await b.request('PUT', `${bindings}/compute-1/activate`)).status, 200);
    expected.push(`network-vif-plugged ${migrating.server} ${migrating.id} completed`);
    await waitFor(() => nova.eventsFor(migrating.server, 'network-vif-plugged').length === 2, 20_000, 'plugged on the destination');
    assert.equal((await a.request('DELETE', `${bindings}/compute-2`)).status, 204);
    assert.equal((await b.request('DELETE', `/v2.0/ports/${migrating.id}`)).status, 204);
    expected.push(`network-vif-deleted ${migrating.server} ${migrating.id} `);
    await waitFor(async () => nova.eventsFor(migrating.server, 'network-vif-deleted').length === 1 && (await queued()) === 0, 20_000, 'the migration\'s events sent');
    // The port's move may also show as network-vif-unplugged (DOWN between the hosts); Nova ignores it.
    const unplugged = nova.accepted.filter((e) => e.name === 'network-vif-unplugged');
    assert.ok(unplugged.every((e) => e.tag === migrating.id) && unplugged.length <= 1, JSON.stringify(unplugged));
    nova.accepted.splice(0, nova.accepted.length, ...nova.accepted.filter((e) => e.name !== 'network-vif-unplugged'));
    const left = await a.store.read((q) => q.get<{ n: number }>('SELECT COUNT(*) AS n FROM port_bindings'));
    assert.equal(Number(left?.n), 0, 'bindings go with their port');
    assert.deepEqual(nova.accepted.map((e) => `${e.name} ${e.server_uuid} ${e.tag ?? ''} ${e.status ?? ''}`).sort(), expected.sort());
    assert.deepEqual(nova.refused, []);
  } finally {
    await cleanup({ agents });
    for (const s of stacks) await s.close();
    await nova.close();
    await schema.drop();
  }
});
