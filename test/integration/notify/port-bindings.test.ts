/**
 * Multiple port bindings as Nova's live migration drives them (binding-extended): an inactive binding on
 * the destination, activation that moves the port, the source binding deleted, network-vif-plugged for the
 * destination; and the API's errors, as Neutron's.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { NovaStandIn } from '../../harness/nova-stand-in.js';
import { waitFor } from '../../harness/wait-for.js';
import { cleanup, startAgent, type TestAgent } from '../southbound/harness.js';
import { bootPort, networkWithSubnet, startNovaStack } from './nova-stack.js';

test('bindings - live migration: inactive binding, activation moves the port, source binding deleted, vif-plugged for the destination', { timeout: 90_000 }, async () => {
  const nova = new NovaStandIn();
  await nova.start();
  const stack = await startNovaStack({ novaUrl: nova.url });
  const agents: TestAgent[] = [];
  try {
    agents.push(await startAgent(stack.address, 'compute-1', { datapathIp: '192.0.2.41' }));
    agents.push(await startAgent(stack.address, 'compute-2', { datapathIp: '192.0.2.42', driverOptions: { 'datapath-type': 'netdev' } }));
    const [source, destination] = agents as [TestAgent, TestAgent];
    await waitFor(() => stack.southbound.server.sessions.size === 2, 10_000, 'agents connected');
    const ext = await stack.request('GET', '/v2.0/extensions/binding-extended');
    assert.equal(ext.status, 200, 'Nova uses the bindings API only when the extension is listed');
    const server = randomUUID();
    nova.servers.set(server, 'compute-1');
    const net = await networkWithSubnet(stack, '10.67.0.0/24');
    const port = await bootPort(stack, net, server, 'compute-1');
    await waitFor(() => nova.eventsFor(server, 'network-vif-plugged').length === 1, 10_000, 'plugged on the source');
    const bindings = `/v2.0/ports/${port.id}/bindings`;

    const created = await stack.request('POST', bindings, { binding: { host: 'compute-2', vnic_type: 'normal', profile: {} } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.binding, {
      host: 'compute-2', vif_type: 'ovs', vnic_type: 'normal', status: 'INACTIVE', profile: {},
      vif_details: { port_filter: true, connectivity: 'l2', bridge_name: 'br-int', datapath_type: 'netdev', ovs_hybrid_plug: false },
    });
    const profile = await stack.request('PUT', `/v2.0/ports/${port.id}`, { port: { 'binding:profile': { migrating_to: 'compute-2' } } });
    assert.equal(profile.status, 200);
    const inactive = await stack.request('GET', `${bindings}/compute-2`);
    assert.equal(inactive.body.binding.status, 'INACTIVE');
    await waitFor(() => destination.agent.desired.view.port.has(port.id), 10_000, 'the destination programs the port ahead of activation');
    assert.ok(source.agent.desired.view.port.has(port.id), 'still on the source');
    await stack.southbound.manager.portStatus.idle();
    assert.equal((await stack.request('GET', `/v2.0/ports/${port.id}`)).body.port.status, 'ACTIVE', 'the destination\'s ack does not move the port');
    assert.equal(nova.eventsFor(server).length, 1, 'nothing for Nova before activation');

    const activated = await stack.request('PUT', `${bindings}/compute-2/activate`);
    assert.equal(activated.status, 200, JSON.stringify(activated.body));
    assert.equal(activated.body.status, 'ACTIVE', 'the bare binding object');
    assert.equal(activated.body.host, 'compute-2');
    await waitFor(() => destination.agent.desired.view.port.has(port.id) && !source.agent.desired.view.port.has(port.id), 10_000, 'moved');
    await waitFor(() => nova.eventsFor(server, 'network-vif-plugged').length === 2, 10_000, 'plugged on the destination');
    const shown = (await stack.request('GET', `/v2.0/ports/${port.id}`)).body.port;
    assert.equal(shown['binding:host_id'], 'compute-2');
    assert.equal(shown.status, 'ACTIVE');
    const listed = (await stack.request('GET', bindings)).body.bindings.map((b: { host: string; status: string }) => `${b.host} ${b.status}`);
    assert.deepEqual(listed, ['compute-2 ACTIVE', 'compute-1 INACTIVE']);
    assert.deepEqual((await stack.request('GET', `${bindings}?status=INACTIVE`)).body.bindings.map((b: { host: string }) => b.host), ['compute-1']);

    assert.equal((await stack.request('DELETE', `${bindings}/compute-1`)).status, 204);
    assert.deepEqual((await stack.request('GET', bindings)).body.bindings.map((b: { host: string }) => b.host), ['compute-2']);
    assert.equal(nova.eventsFor(server).filter((e) => e.name === 'network-vif-plugged' && e.status !== 'completed').length, 0);
  } finally {
    await cleanup({ agents });
    await stack.close();
    await nova.close();
  }
});

test('bindings - errors as Neutron: existing binding 409, already active 409, unbindable host or vnic_type 409, missing 404, non-compute 400, non-admin 403', { timeout: 60_000 }, async () => {
  const nova = new NovaStandIn();
  await nova.start();
  const stack = await startNovaStack({ novaUrl: nova.url });
  const agents: TestAgent[] = [];
  try {
    agents.push(await startAgent(stack.address, 'compute-1'), await startAgent(stack.address, 'compute-2'));
    await waitFor(() => stack.southbound.server.sessions.size === 2, 10_000, 'agents connected');
    const net = await networkWithSubnet(stack, '10.68.0.0/24');
    const port = await bootPort(stack, net, randomUUID(), 'compute-1');
    const bindings = `/v2.0/ports/${port.id}/bindings`;
    const fault = async (method: string, path: string, body?: unknown) => {
      const res = await stack.request(method, path, body);
      return `${res.status} ${res.body?.NeutronError?.type ?? JSON.stringify(res.body)}`;
    };
    assert.equal(await fault('POST', bindings, { binding: { host: 'compute-1' } }), '409 PortBindingAlreadyExists', 'the active host');
    assert.equal((await stack.request('POST', bindings, { binding: { host: 'compute-2' } })).status, 201);
    assert.equal(await fault('POST', bindings, { binding: { host: 'compute-2' } }), '409 PortBindingAlreadyExists');
    assert.equal(await fault('POST', bindings, { binding: { host: 'ghost-host' } }), '409 PortBindingError', 'no agent on the host');
    assert.equal(await fault('POST', bindings, { binding: { host: 'ghost-host', vnic_type: 'bogus' } }), '400 HTTPBadRequest', 'not a vnic_type');
    await waitFor(() => agents[1]?.agent.desired.view.port.has(port.id), 10_000, 'prepared on compute-2');
    assert.equal(await fault('DELETE', `${bindings}/compute-2`), '204 undefined');
    await waitFor(() => !agents[1]?.agent.desired.view.port.has(port.id), 10_000, 'compute-2 drops the port with its binding');
    assert.equal(await fault('POST', bindings, { binding: { host: 'compute-2', vnic_type: 'direct' } }), '409 PortBindingError', 'the OVS agent binds normal only');
    assert.equal(await fault('POST', bindings, { binding: { host: 'compute-2', extra: 1 } }), '400 HTTPBadRequest');
    assert.equal(await fault('PUT', `${bindings}/compute-1/activate`), '409 PortBindingAlreadyActive');
    assert.equal(await fault('PUT', `${bindings}/compute-2/activate`), '404 PortBindingNotFound');
    assert.equal(await fault('GET', `${bindings}/compute-2`), '404 PortBindingNotFound');
    assert.equal(await fault('DELETE', `${bindings}/compute-1`), '404 PortBindingNotFound', 'the active binding is not deleted this way');
    assert.equal(await fault('GET', `/v2.0/ports/${randomUUID()}/bindings`), '404 PortNotFound');
    assert.equal(await fault('POST', `${bindings}/compute-1`, {}), '405 HTTPMethodNotAllowed');
    const plain = (await stack.request('POST', '/v2.0/ports', { port: { network_id: net } })).body.port;
    assert.equal(await fault('POST', `/v2.0/ports/${plain.id}/bindings`, { binding: { host: 'compute-2' } }), '400 HTTPBadRequest', 'not a compute port');
    const member = await fetch(`${stack.url}${bindings}`, { headers: { 'x-project-id': 'p1', 'x-roles': 'member' } });
    assert.equal(member.status, 403);
    const before = (await stack.request('GET', bindings)).body.bindings;
    assert.deepEqual(before.map((b: { host: string; status: string }) => `${b.host} ${b.status}`), ['compute-1 ACTIVE'], 'refused requests changed nothing');
  } finally {
    await cleanup({ agents });
    await stack.close();
    await nova.close();
  }
});
