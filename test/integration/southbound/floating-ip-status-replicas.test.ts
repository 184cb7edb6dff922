import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FloatingIpStatusTracker } from '../../../src/dataplane/floating-ip-status.js';
import { PortStatusTracker } from '../../../src/dataplane/port-status.js';
import { startTestApi, type TestApi } from '../../harness/api-server.js';

/** Two hosts, a router between an external and an inner network, a port per host and a floating IP on the first. */
async function setup(api: TestApi) {
  const register = (host: string, ip: string) =>
    api.services.hosts.register({ host, datapathIp: ip, capabilities: ['sim'], agentVersion: '0.2.0', availabilityZone: '', bridgeMappings: [], controllerId: 'c1' });
  await register('host-a', '192.0.2.1');
  await register('host-b', '192.0.2.2');
  const network = async (cidr: string, extra: Record<string, unknown> = {}) => {
    const net = (await api.request('POST', '/v2.0/networks', { body: { network: { name: cidr, ...extra } } })).body.network;
    const subnet = (await api.request('POST', '/v2.0/subnets', { body: { subnet: { network_id: net.id, cidr, ip_version: 4 } } })).body.subnet;
    return { net, subnet };
  };
  const ext = await network('198.51.100.0/24', { 'router:external': true });
  const inner = await network('10.50.0.0/24');
  const router = (await api.request('POST', '/v2.0/routers', { body: { router: { external_gateway_info: { network_id: ext.net.id } } } })).body.router;
  await api.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { body: { subnet_id: inner.subnet.id } });
  const port = async (host: string) => (await api.request('POST', '/v2.0/ports', { body: { port: { network_id: inner.net.id, 'binding:host_id': host } } })).body.port.id as string;
  const onB = await port('host-b');
  const other = await port('host-a');
  const fip = (await api.request('POST', '/v2.0/floatingips', { body: { floatingip: { floating_network_id: ext.net.id, port_id: onB } } })).body.floatingip.id as string;
  const status = async () => (await api.store.read((q) => q.get<{ status: string }>('SELECT status FROM floatingips WHERE id = ?', [fip])))?.status;
  return { onB, other, fip, status };
}

// Two replicas each track the hosts they hold streams for (as port-status-replicas tests for ports).
test('floating IP status - replicas: the old host\'s replica never overwrites the new host\'s ACTIVE; a late ack of a moved association writes nothing', async () => {
  const api = await startTestApi();
  try {
    const { onB, other, fip, status } = await setup(api);
    const none = new Set<string>();
    const errors: unknown[] = [];
    const replica = () => {
      const ports = new PortStatusTracker(api.store, (err) => errors.push(err));
      return { ports, fips: new FloatingIpStatusTracker(ports) };
    };
    const a = replica();
    const b = replica();
    assert.equal(await status(), 'DOWN', 'created associated: DOWN until programmed');
    b.ports.programmed('host-b', onB, 3);
    b.fips.carried('host-b', onB, [fip]);
    assert.equal(await status(), 'DOWN');
    b.ports.ack('host-b', 3, none);
    await b.ports.idle();
    assert.equal(await status(), 'ACTIVE', 'host-b acked the port state carrying it');

    // The port moves to host-a (held by replica a): the API writes DOWN, a's host acks, b hears of it late.
    assert.equal((await api.request('PUT', `/v2.0/ports/${onB}`, { body: { port: { 'binding:host_id': 'host-a' } } })).status, 200);
    assert.equal(await status(), 'DOWN', 'the port changed host');
    a.ports.programmed('host-a', onB, 4);
    a.fips.carried('host-a', onB, [fip]);
    a.ports.ack('host-a', 4, none);
    await a.ports.idle();
    assert.equal(await status(), 'ACTIVE', 'ACTIVE on the new host');
    b.ports.unprogrammed('host-b', onB, false);
    b.fips.dropped('host-b', onB);
    await b.ports.idle();
    assert.equal(await status(), 'ACTIVE', 'the old host\'s replica leaves it alone');

    // The API moves the floating IP to another port; an ack of the old port state (not compiled yet) writes nothing.
    assert.equal((await api.request('PUT', `/v2.0/floatingips/${fip}`, { body: { floatingip: { port_id: other } } })).status, 200);
    a.ports.hostDown('host-a');
    a.ports.programmed('host-a', onB, 4);
    a.ports.ack('host-a', 5, none);
    await a.ports.idle();
    assert.equal(await status(), 'DOWN', 'associated elsewhere: the ack of the old carrier does not count');
    assert.deepEqual(errors, []);
  } finally {
    await api.close();
  }
});

test('floating IP status - start-up resets floating IPs whose port is on no connected host', async () => {
  const api = await startTestApi();
  try {
    const { fip, status } = await setup(api);
    await api.store.write((tx) => tx.run("UPDATE floatingips SET status = 'ACTIVE' WHERE id = ?", [fip]));
    await api.store.write((tx) => FloatingIpStatusTracker.reset(tx));
    assert.equal(await status(), 'ACTIVE', 'host-b is connected (to some replica): left alone');
    await api.services.hosts.disconnect('host-b', 'c1');
    await api.store.write((tx) => FloatingIpStatusTracker.reset(tx));
    assert.equal(await status(), 'DOWN', 'host-b is connected nowhere');
  } finally {
    await api.close();
  }
});
