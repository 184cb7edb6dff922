/**
 * Delivery of events to Nova when things go wrong: Nova unreachable or failing for a while, keystone mode
 * with an expiring token and the endpoint from the catalog, and a controller killed mid-batch.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { metricsRegistry } from '../../../src/metrics/registry.js';
import { KeystoneStandIn } from '../../harness/keystone-stand-in.js';
import { NovaStandIn } from '../../harness/nova-stand-in.js';
import { startServerProcess } from '../../harness/server-process.js';
import { waitFor } from '../../harness/wait-for.js';
import { cleanup, startAgent, tempDir, type TestAgent } from '../southbound/harness.js';
import { bootPort, networkWithSubnet, startNovaStack, type NovaStack } from './nova-stack.js';

/** The value of one unlabelled metric of this process's registry. */
async function metric(name: string): Promise<number> {
  const json = await metricsRegistry.getSingleMetric(name)?.get();
  return json?.values[0]?.value ?? Number.NaN;
}

async function queueLength(stack: NovaStack): Promise<number> {
  return Number((await stack.store.read((q) => q.get<{ n: number }>('SELECT COUNT(*) AS n FROM nova_events')))?.n);
}

test('nova - Nova refusing connections, then failing with 503, then back: every event delivered exactly once', { timeout: 90_000 }, async () => {
  const nova = new NovaStandIn();
  await nova.start();
  const stack = await startNovaStack({ novaUrl: nova.url });
  let agent: TestAgent | undefined;
  try {
    agent = await startAgent(stack.address, 'compute-1');
    const net = await networkWithSubnet(stack);
    await nova.down();
    const servers = Array.from({ length: 4 }, () => randomUUID());
    for (const s of servers) nova.servers.set(s, 'compute-1');
    const ports: string[] = [];
    for (const s of servers.slice(0, 2)) ports.push((await bootPort(stack, net, s, 'compute-1')).id);
    await waitFor(() => stack.notifier.sender.counters.retries >= 2, 10_000, 'retries while Nova is down');
    // The metrics show the queue waiting and the retries (this process runs one sender: the stack's).
    const retriesBefore = await metric('alcor_nova_request_retries_total');
    const deliveredBefore = await metric('alcor_nova_events_delivered_total');
    assert.ok(retriesBefore >= 2, `retries metric ${retriesBefore}`);
    assert.ok((await metric('alcor_nova_events_queued')) >= 1, 'queued events while Nova is down');
    await nova.up();
    nova.failWith(503);
    for (const s of servers.slice(2)) ports.push((await bootPort(stack, net, s, 'compute-1')).id);
    await waitFor(() => nova.refused.length >= 2, 10_000, 'requests refused with 503');
    nova.failWith(undefined);
    await waitFor(async () => nova.accepted.length >= 4 && (await queueLength(stack)) === 0, 20_000, 'all delivered');
    assert.deepEqual(
      nova.accepted.map((e) => `${e.name} ${e.server_uuid} ${e.tag ?? ''} ${e.status ?? ''}`).sort(),
      servers.map((s, i) => `network-vif-plugged ${s} ${ports[i] ?? ''} completed`).sort(),
      'each event once, none lost',
    );
    assert.ok(nova.refused.every((r) => r.status === 503), JSON.stringify(nova.refused));
    await waitFor(async () => (await metric('alcor_nova_events_queued')) === 0, 10_000, 'the queue metric drained');
    assert.equal((await metric('alcor_nova_events_delivered_total')) - deliveredBefore, 4, 'four events delivered');
  } finally {
    await cleanup({ agents: agent ? [agent] : [] });
    await stack.close();
    await nova.close();
  }
});

test('nova - keystone mode: a service token on every request, the endpoint from the catalog, a new token after a 401', { timeout: 60_000 }, async () => {
  const keystone = new KeystoneStandIn();
  await keystone.start();
  keystone.users.set('neutron', { password: 'secret', roles: ['admin', 'service'] });
  const nova = new NovaStandIn(keystone);
  await nova.start();
  keystone.catalog.push({ type: 'compute', interface: 'public', region: 'elsewhere', url: 'http://127.0.0.1:9/v2.1' });
  keystone.catalog.push({ type: 'compute', interface: 'internal', region: 'RegionOne', url: nova.url });
  const admin = await fetch(`${keystone.url}/v3/auth/tokens`, {
    method: 'POST',
    body: JSON.stringify({ auth: { identity: { password: { user: { name: 'neutron', password: 'secret' } } } } }),
  });
  const stack = await startNovaStack({
    auth: 'keystone',
    keystoneUrl: keystone.url,
    keystonePassword: 'secret',
    novaUrl: 'catalog',
    novaRegion: 'RegionOne',
    novaInterface: 'internal',
    apiToken: admin.headers.get('x-subject-token') ?? '',
  });
  let agent: TestAgent | undefined;
  try {
    agent = await startAgent(stack.address, 'compute-1');
    const net = await networkWithSubnet(stack);
    const first = randomUUID();
    nova.servers.set(first, 'compute-1');
    await bootPort(stack, net, first, 'compute-1');
    await waitFor(() => nova.eventsFor(first).length === 1, 10_000, 'delivered with a token');
    const issued = keystone.issued;
    keystone.revokeAll();
    const second = randomUUID();
    nova.servers.set(second, 'compute-1');
    // The API still takes the test's token (validated tokens are cached); Nova refuses the notifier's.
    await bootPort(stack, net, second, 'compute-1');
    await waitFor(() => nova.eventsFor(second).length === 1, 10_000, 'delivered with a renewed token');
    assert.equal(nova.refused.length, 1, 'one request refused with the revoked token');
    assert.equal(nova.refused[0]?.status, 401);
    assert.ok(keystone.issued > issued, 'a new service token was issued');
  } finally {
    await cleanup({ agents: agent ? [agent] : [] });
    await stack.close();
    await nova.close();
    await keystone.close();
  }
});

test('nova - a controller killed while Nova holds its batch: the restarted controller sends the events again', { timeout: 90_000 }, async () => {
  const nova = new NovaStandIn();
  await nova.start();
  const dir = tempDir('nova-restart');
  const env = {
    ALCOR_DATABASE_URL: `sqlite:${join(dir, 'alcor.db')}`,
    ALCOR_SOUTHBOUND_LISTEN: '127.0.0.1:0',
    ALCOR_NOVA_URL: nova.url,
    ALCOR_NOVA_EVENT_INTERVAL_MS: '20',
  };
  let server = await startServerProcess(env);
  const agents: TestAgent[] = [];
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return (await res.json()) as Record<string, Record<string, string>>;
  };
  try {
    agents.push(await startAgent(server.southbound ?? '', 'compute-1'));
    const instance = randomUUID();
    nova.servers.set(instance, 'compute-1');
    const net = (await api('POST', '/v2.0/networks', { network: { name: 'n' } })).network?.id ?? '';
    await api('POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '10.64.0.0/24', ip_version: 4 } });
    nova.hold();
    const port = (await api('POST', '/v2.0/ports', { port: { network_id: net, device_id: instance, device_owner: 'compute:nova', 'binding:host_id': 'compute-1' } })).port?.id;
    await waitFor(() => nova.heldCount === 1, 15_000, 'the batch reached Nova');
    await server.kill();
    nova.unhold();
    server = await startServerProcess(env);
    await waitFor(() => nova.eventsFor(instance, 'network-vif-plugged').length === 1, 15_000, 'vif-plugged sent again');
    assert.deepEqual({ ...nova.eventsFor(instance, 'network-vif-plugged')[0], at: 0 }, { name: 'network-vif-plugged', server_uuid: instance, tag: port, status: 'completed', at: 0 });
    // The restarted controller has no agent stream yet: the port went DOWN, and Nova hears that after the plug.
    await waitFor(() => nova.eventsFor(instance).length === 2, 15_000, 'vif-unplugged');
    assert.deepEqual(nova.eventsFor(instance).map((e) => e.name), ['network-vif-plugged', 'network-vif-unplugged']);
  } finally {
    await cleanup({ agents });
    await server.stop();
    await nova.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nova - malformed answers from Nova are retried, never taken as delivered, and the controller keeps serving', { timeout: 60_000 }, async () => {
  const nova = new NovaStandIn();
  await nova.start();
  const stack = await startNovaStack({ novaUrl: nova.url });
  let agent: TestAgent | undefined;
  try {
    agent = await startAgent(stack.address, 'compute-1');
    const net = await networkWithSubnet(stack);
    const server = randomUUID();
    nova.servers.set(server, 'compute-1');
    const bad = [
      { status: 200, body: 'not json' },
      { status: 200, body: '{"events": []}' },
      { status: 207, body: '{"events": [{"code": "200"}]}' },
      { status: 200, body: '[]' },
    ];
    nova.answerRaw(bad[0]);
    const port = await bootPort(stack, net, server, 'compute-1');
    for (const answer of bad) {
      const seen = nova.refused.length;
      nova.answerRaw(answer);
      await waitFor(() => nova.refused.length > seen, 10_000, `a request answered ${answer.body}`);
    }
    assert.equal(await queueLength(stack), 1, 'the event is still queued');
    assert.equal((await stack.request('GET', `/v2.0/ports/${port.id}`)).status, 200, 'the API serves');
    nova.answerRaw(undefined);
    await waitFor(async () => nova.eventsFor(server).length === 1 && (await queueLength(stack)) === 0, 10_000, 'delivered once Nova answers properly');
  } finally {
    await cleanup({ agents: agent ? [agent] : [] });
    await stack.close();
    await nova.close();
  }
});
