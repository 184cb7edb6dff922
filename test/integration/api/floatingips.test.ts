import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fault, startTestApi, type TestApi } from '../../harness/api-server.js';

describe('floating IPs', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.close());

  const P = 'fip-p1';

  async function network(project: string | undefined, cidr: string, extra: Record<string, unknown> = {}) {
    const net = (await api.request('POST', '/v2.0/networks', { project, body: { network: { name: `n-${cidr}`, ...extra } } })).body.network;
    const subnet = (await api.request('POST', '/v2.0/subnets', { project, body: { subnet: { network_id: net.id, cidr, ip_version: 4 } } })).body.subnet;
    return { net, subnet };
  }

  test('floating IPs - allocate, associate through a router, disassociate, delete', async () => {
    const ext = await network(undefined, '198.51.100.0/24', { 'router:external': true });
    const inner = await network(P, '10.30.0.0/24');
    const port = (await api.request('POST', '/v2.0/ports', { project: P, body: { port: { network_id: inner.net.id } } })).body.port;
    const created = await api.request('POST', '/v2.0/floatingips', { project: P, body: { floatingip: { floating_network_id: ext.net.id, description: 'web' } } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const fip = created.body.floatingip;
    assert.match(fip.floating_ip_address, /^198\.51\.100\./);
    assert.equal(fip.status, 'DOWN');
    assert.equal(fip.port_id, null);
    assert.equal(fip.project_id, P);

    const noRouter = await api.request('PUT', `/v2.0/floatingips/${fip.id}`, { project: P, body: { floatingip: { port_id: port.id } } });
    assert.deepEqual(fault(noRouter), [404, 'ExternalGatewayForFloatingIPNotFound']);
    const router = (await api.request('POST', '/v2.0/routers', { project: P, body: { router: { external_gateway_info: { network_id: ext.net.id } } } })).body.router;
    await api.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { project: P, body: { subnet_id: inner.subnet.id } });
    const associated = await api.request('PUT', `/v2.0/floatingips/${fip.id}`, { project: P, body: { floatingip: { port_id: port.id } } });
    assert.equal(associated.status, 200, JSON.stringify(associated.body));
    assert.equal(associated.body.floatingip.port_id, port.id);
    assert.equal(associated.body.floatingip.fixed_ip_address, port.fixed_ips[0].ip_address);
    assert.equal(associated.body.floatingip.router_id, router.id);
    assert.equal(associated.body.floatingip.status, 'DOWN', 'no host has programmed it (the port is unbound)');
    const byPort = await api.request('GET', `/v2.0/floatingips?port_id=${port.id}`, { project: P });
    assert.equal(byPort.body.floatingips.length, 1);

    const second = await api.request('POST', '/v2.0/floatingips', { project: P, body: { floatingip: { floating_network_id: ext.net.id, port_id: port.id } } });
    assert.deepEqual(fault(second), [409, 'FloatingIPPortAlreadyAssociated']);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/routers/${router.id}/remove_router_interface`, { project: P, body: { subnet_id: inner.subnet.id } })), [409, 'RouterInterfaceInUseByFloatingIP']);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/routers/${router.id}`, { project: P, body: { router: { external_gateway_info: null } } })), [409, 'RouterExternalGatewayInUseByFloatingIp']);
    const wrongIp = await api.request('PUT', `/v2.0/floatingips/${fip.id}`, { project: P, body: { floatingip: { port_id: port.id, fixed_ip_address: '10.30.0.254' } } });
    assert.deepEqual(fault(wrongIp), [400, 'BadRequest']);

    const freed = await api.request('PUT', `/v2.0/floatingips/${fip.id}`, { project: P, body: { floatingip: { port_id: null } } });
    assert.equal(freed.body.floatingip.port_id, null);
    assert.equal(freed.body.floatingip.router_id, null);
    assert.equal(freed.body.floatingip.status, 'DOWN');
    const extPorts = await api.request('GET', `/v2.0/ports?network_id=${ext.net.id}&device_owner=network:floatingip`);
    assert.equal(extPorts.body.ports.length, 1);
    assert.equal(extPorts.body.ports[0].device_id, fip.id);
    assert.equal(extPorts.body.ports[0].project_id, '');
    assert.equal((await api.request('DELETE', `/v2.0/floatingips/${fip.id}`, { project: P })).status, 204);
    assert.equal((await api.request('GET', `/v2.0/ports?network_id=${ext.net.id}&device_owner=network:floatingip`)).body.ports.length, 0, 'address released');
    assert.deepEqual(fault(await api.request('GET', `/v2.0/floatingips/${fip.id}`, { project: P })), [404, 'FloatingIPNotFound']);
    const changes = await api.store.read((q) => q.all<{ operation: string }>("SELECT operation FROM changes WHERE resource_type = 'floatingip' AND resource_id = ?", [fip.id]));
    assert.deepEqual(changes.map((c) => c.operation), ['create', 'update', 'update', 'delete']);
  });

  test('floating IPs - deleting the associated port disassociates the floating IP', async () => {
    const ext = await network(undefined, '198.51.101.0/24', { 'router:external': true });
    const inner = await network(P, '10.32.0.0/24');
    const router = (await api.request('POST', '/v2.0/routers', { project: P, body: { router: { external_gateway_info: { network_id: ext.net.id } } } })).body.router;
    await api.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { project: P, body: { subnet_id: inner.subnet.id } });
    const port = (await api.request('POST', '/v2.0/ports', { project: P, body: { port: { network_id: inner.net.id } } })).body.port;
    const fip = (await api.request('POST', '/v2.0/floatingips', { project: P, body: { floatingip: { floating_network_id: ext.net.id, port_id: port.id } } })).body.floatingip;
    assert.equal(fip.port_id, port.id);
    assert.equal((await api.request('DELETE', `/v2.0/ports/${port.id}`, { project: P })).status, 204);
    const afterPort = (await api.request('GET', `/v2.0/floatingips/${fip.id}`, { project: P })).body.floatingip;
    assert.deepEqual([afterPort.port_id, afterPort.fixed_ip_address, afterPort.router_id, afterPort.status], [null, null, null, 'DOWN']);
    const changes = await api.store.read((q) => q.all<{ operation: string }>("SELECT operation FROM changes WHERE resource_type = 'floatingip' AND resource_id = ?", [fip.id]));
    assert.deepEqual(changes.map((c) => c.operation), ['create', 'update'], 'the disassociation reaches the outbox');
  });

  test('floating IPs - bad input, policy and quota', async () => {
    const priv = await network(P, '10.31.0.0/24');
    const ext = await network(undefined, '192.0.2.0/24', { 'router:external': true });
    assert.deepEqual(fault(await api.request('POST', '/v2.0/floatingips', { project: P, body: { floatingip: { floating_network_id: priv.net.id } } })), [400, 'BadRequest']);
    assert.deepEqual(fault(await api.request('POST', '/v2.0/floatingips', { project: P, body: { floatingip: { floating_network_id: '00000000-0000-4000-8000-000000000001' } } })), [404, 'NetworkNotFound']);
    assert.deepEqual(fault(await api.request('POST', '/v2.0/floatingips', { project: P, body: { floatingip: {} } })), [400, 'HTTPBadRequest']);
    assert.deepEqual(fault(await api.request('POST', '/v2.0/floatingips', { project: P, body: { floatingip: { floating_network_id: ext.net.id, floating_ip_address: '192.0.2.9' } } })), [403, 'PolicyNotAuthorized']);
    const chosen = await api.request('POST', '/v2.0/floatingips', { body: { floatingip: { floating_network_id: ext.net.id, floating_ip_address: '192.0.2.9', project_id: P } } });
    assert.equal(chosen.status, 201);
    assert.equal(chosen.body.floatingip.floating_ip_address, '192.0.2.9');
    assert.deepEqual(fault(await api.request('POST', '/v2.0/floatingips', { body: { floatingip: { floating_network_id: ext.net.id, floating_ip_address: '192.0.2.9' } } })), [409, 'IpAddressAlreadyAllocated']);
    assert.deepEqual(fault(await api.request('GET', `/v2.0/floatingips/${chosen.body.floatingip.id}`, { project: 'fip-other' })), [404, 'FloatingIPNotFound']);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/floatingips/${chosen.body.floatingip.id}`, { project: P, body: { floatingip: { port_id: '00000000-0000-4000-8000-000000000001' } } })), [404, 'PortNotFound']);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/floatingips/${chosen.body.floatingip.id}`, { project: P, body: { floatingip: { floating_network_id: ext.net.id } } })), [400, 'HTTPBadRequest']);
    await api.request('PUT', '/v2.0/quotas/fip-q', { body: { quota: { floatingip: 1 } } });
    const bulk = await api.request('POST', '/v2.0/floatingips', { project: 'fip-q', body: { floatingips: [{ floating_network_id: ext.net.id }, { floating_network_id: ext.net.id }] } });
    assert.deepEqual(fault(bulk), [409, 'OverQuota']);
    assert.equal((await api.request('GET', `/v2.0/ports?network_id=${ext.net.id}&device_owner=network:floatingip`)).body.ports.length, 1, 'nothing left from the failed bulk');
  });
});
