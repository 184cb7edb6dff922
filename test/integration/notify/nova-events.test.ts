/** Events to Nova through the whole controller: Nova's boot, binding failure, updates and delete, against the Nova stand-in. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { NovaStandIn } from '../../harness/nova-stand-in.js';
import { waitFor } from '../../harness/wait-for.js';
import { cleanup, startAgent, type TestAgent } from '../southbound/harness.js';
import { bootPort, networkWithSubnet, startNovaStack, type NovaStack } from './nova-stack.js';

type AgentStarter = (host: string, driverOptions?: Record<string, string>) => Promise<TestAgent>;

async function withNova(body: (nova: NovaStandIn, stack: NovaStack, agent: AgentStarter) => Promise<void>): Promise<void> {
  const nova = new NovaStandIn();
  await nova.start();
  const stack = await startNovaStack({ novaUrl: nova.url });
  const agents: TestAgent[] = [];
  try {
    await body(nova, stack, async (host, driverOptions) => {
      const a = await startAgent(stack.address, host, driverOptions ? { driverOptions } : {});
      agents.push(a);
      await waitFor(() => stack.southbound.server.sessions.size === agents.length, 10_000, `${host} connected`);
      return a;
    });
    assert.deepEqual(nova.refused, [], 'every request kept to Nova\'s contract');
  } finally {
    await cleanup({ agents });
    await stack.close();
    await nova.close();
  }
}

test('nova - boot: the bound port turns ACTIVE and network-vif-plugged completed reaches Nova', { timeout: 60_000 }, () =>
  withNova(async (nova, stack, agent) => {
    await agent('compute-1');
    const server = randomUUID();
    nova.servers.set(server, 'compute-1');
    const net = await networkWithSubnet(stack);
    const port = await bootPort(stack, net, server, 'compute-1');
    assert.equal(port['binding:vif_type'], 'ovs');
    const plugged = await waitFor(() => nova.eventsFor(server, 'network-vif-plugged')[0], 10_000, 'vif-plugged');
    assert.deepEqual({ ...plugged, at: 0 }, { name: 'network-vif-plugged', server_uuid: server, tag: port.id, status: 'completed', at: 0 });
    assert.equal((await stack.request('GET', `/v2.0/ports/${port.id}`)).body.port.status, 'ACTIVE');
    assert.equal(nova.eventsFor(server).length, 1, 'nothing else for a boot');
  }),
);

test('nova - a fixed-IP change sends network-changed, unbinding network-vif-unplugged, delete network-vif-deleted', { timeout: 60_000 }, () =>
  withNova(async (nova, stack, agent) => {
    await agent('compute-1');
    const server = randomUUID();
    nova.servers.set(server, 'compute-1');
    const net = await networkWithSubnet(stack, '10.61.0.0/24');
    const port = await bootPort(stack, net, server, 'compute-1');
    await waitFor(() => nova.eventsFor(server, 'network-vif-plugged').length === 1, 10_000, 'vif-plugged');

    const subnet = port.fixed_ips[0].subnet_id;
    const changed = await stack.request('PUT', `/v2.0/ports/${port.id}`, { port: { fixed_ips: [{ subnet_id: subnet, ip_address: '10.61.0.77' }] } });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    await waitFor(() => nova.eventsFor(server, 'network-changed').length === 1, 10_000, 'network-changed');
    await stack.request('PUT', `/v2.0/ports/${port.id}`, { port: { name: 'renamed' } });

    await stack.request('PUT', `/v2.0/ports/${port.id}`, { port: { 'binding:host_id': '' } });
    await waitFor(() => nova.eventsFor(server, 'network-vif-unplugged').length === 1, 10_000, 'vif-unplugged');
    assert.equal((await stack.request('DELETE', `/v2.0/ports/${port.id}`)).status, 204);
    await waitFor(() => nova.eventsFor(server, 'network-vif-deleted').length === 1, 10_000, 'vif-deleted');
    assert.deepEqual(
      nova.eventsFor(server).map((e) => `${e.name} ${e.tag} ${e.status ?? ''}`),
      [`network-vif-plugged ${port.id} completed`, `network-changed ${port.id} `, `network-vif-unplugged ${port.id} `, `network-vif-deleted ${port.id} `],
      'a rename changes nothing Nova cares about',
    );
  }),
);

test('nova - binding to a host without a live agent fails: binding_failed and network-vif-plugged failed', { timeout: 60_000 }, () =>
  withNova(async (nova, stack) => {
    const server = randomUUID();
    nova.servers.set(server, 'nowhere-1');
    const net = await networkWithSubnet(stack, '10.62.0.0/24');
    const port = await bootPort(stack, net, server, 'nowhere-1');
    assert.equal(port['binding:vif_type'], 'binding_failed');
    const failed = await waitFor(() => nova.eventsFor(server, 'network-vif-plugged')[0], 10_000, 'vif-plugged failed');
    assert.equal(failed.status, 'failed');
    assert.equal(failed.tag, port.id);
  }),
);

test('nova - ports that are not an instance\'s send nothing; 207 drops the event of an unknown instance', { timeout: 60_000 }, () =>
  withNova(async (nova, stack, agent) => {
    await agent('compute-1');
    const net = await networkWithSubnet(stack, '10.63.0.0/24');
    const known = randomUUID();
    nova.servers.set(known, 'compute-1');
    const unknown = randomUUID();
    const plain = await stack.request('POST', '/v2.0/ports', { port: { network_id: net, device_id: 'not-a-uuid', device_owner: 'compute:nova', 'binding:host_id': 'compute-1' } });
    const dhcp = await stack.request('POST', '/v2.0/ports', { port: { network_id: net, device_id: randomUUID(), device_owner: 'network:dhcp', 'binding:host_id': 'compute-1' } });
    assert.equal(plain.status, 201);
    assert.equal(dhcp.status, 201);
    const lost = await bootPort(stack, net, unknown, 'compute-1');
    const kept = await bootPort(stack, net, known, 'compute-1');
    await waitFor(() => nova.eventsFor(known, 'network-vif-plugged').length === 1, 10_000, 'known instance plugged');
    const queued = async () => Number((await stack.store.read((q) => q.get<{ n: number }>('SELECT COUNT(*) AS n FROM nova_events')))?.n);
    // A retried 404 would stay in the queue: the queue empties only when the event is dropped.
    await waitFor(async () => stack.notifier.sender.counters.dropped === 1 && (await queued()) === 0, 10_000, 'unknown instance dropped, not retried');
    assert.equal(nova.eventsFor(unknown).length, 0);
    assert.equal(nova.accepted.length, 1, `only the instance's port: ${JSON.stringify(nova.accepted)}`);
    assert.notEqual(lost.id, kept.id);
  }),
);

test('nova - binding details for os-vif: ovs with the datapath type the agent reports, unbound without a host', { timeout: 60_000 }, () =>
  withNova(async (_nova, stack, agent) => {
    await agent('compute-1', { 'datapath-type': 'netdev' });
    await agent('compute-2');
    const net = await networkWithSubnet(stack, '10.66.0.0/24');
    const unbound = (await stack.request('POST', '/v2.0/ports', { port: { network_id: net } })).body.port;
    assert.equal(unbound['binding:vif_type'], 'unbound');
    assert.deepEqual(unbound['binding:vif_details'], {});
    const ovsDetails = (datapath: string) => ({ port_filter: true, connectivity: 'l2', bridge_name: 'br-int', datapath_type: datapath, ovs_hybrid_plug: false });
    const onNetdev = await bootPort(stack, net, randomUUID(), 'compute-1');
    assert.deepEqual(onNetdev['binding:vif_details'], ovsDetails('netdev'));
    const onSystem = await bootPort(stack, net, randomUUID(), 'compute-2');
    assert.deepEqual((await stack.request('GET', `/v2.0/ports/${onSystem.id}`)).body.port['binding:vif_details'], ovsDetails('system'));
    const direct = await stack.request('PUT', `/v2.0/ports/${onSystem.id}`, { port: { 'binding:vnic_type': 'direct' } });
    assert.equal(direct.body.port['binding:vif_type'], 'binding_failed', 'the OVS agent binds vnic_type normal only');
    assert.deepEqual(direct.body.port['binding:vif_details'], {});
    const agents = (await stack.request('GET', '/v2.0/agents')).body.agents as { host: string; configurations: { datapath_type: string } }[];
    assert.deepEqual(agents.map((a) => `${a.host} ${a.configurations.datapath_type}`).sort(), ['compute-1 netdev', 'compute-2 system']);
  }),
);

test('nova - associating and disassociating a floating IP sends network-changed', { timeout: 60_000 }, () =>
  withNova(async (nova, stack, agent) => {
    await agent('compute-1');
    const server = randomUUID();
    nova.servers.set(server, 'compute-1');
    const ext = (await stack.request('POST', '/v2.0/networks', { network: { name: 'ext', 'router:external': true } })).body.network;
    await stack.request('POST', '/v2.0/subnets', { subnet: { network_id: ext.id, cidr: '198.51.100.0/24', ip_version: 4 } });
    const net = await networkWithSubnet(stack, '10.69.0.0/24');
    const subnet = (await stack.request('GET', `/v2.0/subnets?network_id=${net}`)).body.subnets[0].id;
    const router = (await stack.request('POST', '/v2.0/routers', { router: { external_gateway_info: { network_id: ext.id } } })).body.router;
    await stack.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: subnet });
    const port = await bootPort(stack, net, server, 'compute-1');
    await waitFor(() => nova.eventsFor(server, 'network-vif-plugged').length === 1, 10_000, 'vif-plugged');
    const fip = await stack.request('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, port_id: port.id } });
    assert.equal(fip.status, 201, JSON.stringify(fip.body));
    await waitFor(() => nova.eventsFor(server, 'network-changed').length === 1, 10_000, 'network-changed on association');
    await stack.request('PUT', `/v2.0/floatingips/${fip.body.floatingip.id}`, { floatingip: { port_id: null } });
    await waitFor(() => nova.eventsFor(server, 'network-changed').length === 2, 10_000, 'network-changed on disassociation');
    await stack.request('PUT', `/v2.0/floatingips/${fip.body.floatingip.id}`, { floatingip: { port_id: port.id } });
    await waitFor(() => nova.eventsFor(server, 'network-changed').length === 3, 10_000, 'network-changed on association again');
    assert.equal((await stack.request('DELETE', `/v2.0/floatingips/${fip.body.floatingip.id}`)).status, 204);
    await waitFor(() => nova.eventsFor(server, 'network-changed').length === 4, 10_000, 'network-changed when the floating IP is deleted');
    assert.deepEqual(nova.eventsFor(server).map((e) => e.name), ['network-vif-plugged', 'network-changed', 'network-changed', 'network-changed', 'network-changed']);
  }),
);
