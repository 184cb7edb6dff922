import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fault, startTestApi, type TestApi } from '../../harness/api-server.js';

describe('routers', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.close());

  const P = 'rt-p1';

  async function network(project: string | undefined, cidr: string, extra: Record<string, unknown> = {}) {
    const net = (await api.request('POST', '/v2.0/networks', { project, body: { network: { name: `n-${cidr}`, ...extra } } })).body.network;
    const subnet = await api.request('POST', '/v2.0/subnets', { project, body: { subnet: { network_id: net.id, cidr, ip_version: 4 } } });
    assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
    return { net, subnet: subnet.body.subnet };
  }

  test('routers - gateway, interfaces by subnet and port, extra routes, delete rules', async () => {
    const ext = await network(undefined, '203.0.113.0/24', { 'router:external': true });
    const a = await network(P, '10.10.1.0/24');
    const b = await network(P, '10.10.2.0/24');
    const created = await api.request('POST', '/v2.0/routers', {
      project: P,
      body: { router: { name: 'r1', external_gateway_info: { network_id: ext.net.id } } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const router = created.body.router;
    assert.equal(router.external_gateway_info.network_id, ext.net.id);
    assert.equal(router.external_gateway_info.enable_snat, true);
    assert.equal(router.external_gateway_info.external_fixed_ips.length, 1);
    assert.equal(router.external_gateway_info.external_fixed_ips[0].subnet_id, ext.subnet.id);
    assert.equal(router.status, 'ACTIVE');
    assert.deepEqual(router.routes, []);

    const add = await api.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { project: P, body: { subnet_id: a.subnet.id } });
    assert.equal(add.status, 200, JSON.stringify(add.body));
    assert.equal(add.body.subnet_id, a.subnet.id);
    assert.equal(add.body.network_id, a.net.id);
    const iface = (await api.request('GET', `/v2.0/ports/${add.body.port_id}`, { project: P })).body.port;
    assert.equal(iface.device_owner, 'network:router_interface');
    assert.equal(iface.device_id, router.id);
    assert.deepEqual(iface.fixed_ips, [{ subnet_id: a.subnet.id, ip_address: a.subnet.gateway_ip }]);
    assert.deepEqual(iface.security_groups, []);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { project: P, body: { subnet_id: a.subnet.id } })), [400, 'BadRequest']);
    const other = (await api.request('POST', '/v2.0/routers', { project: P, body: { router: { name: 'r2' } } })).body.router;
    const twice = await api.request('PUT', `/v2.0/routers/${other.id}/add_router_interface`, { project: P, body: { subnet_id: a.subnet.id } });
    assert.equal(twice.status, 409, 'the subnet gateway already belongs to r1');

    const port = (await api.request('POST', '/v2.0/ports', { project: P, body: { port: { network_id: b.net.id } } })).body.port;
    const byPort = await api.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { project: P, body: { port_id: port.id } });
    assert.equal(byPort.status, 200);
    assert.equal(byPort.body.subnet_id, b.subnet.id);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/routers/${other.id}/add_router_interface`, { project: P, body: { port_id: port.id } })), [409, 'PortInUse']);
    const listed = await api.request('GET', `/v2.0/ports?device_id=${router.id}&device_owner=network:router_interface`, { project: P });
    assert.equal(listed.body.ports.length, 2);

    const nexthop = port.fixed_ips[0].ip_address === '10.10.2.50' ? '10.10.2.51' : '10.10.2.50';
    const routes = await api.request('PUT', `/v2.0/routers/${router.id}/add_extraroutes`, {
      project: P,
      body: { router: { routes: [{ destination: '192.168.5.7/24', nexthop }] } },
    });
    assert.equal(routes.status, 200, JSON.stringify(routes.body));
    assert.deepEqual(routes.body.router.routes, [{ destination: '192.168.5.0/24', nexthop }]);
    const unreachable = await api.request('PUT', `/v2.0/routers/${router.id}/add_extraroutes`, {
      project: P,
      body: { router: { routes: [{ destination: '192.168.6.0/24', nexthop: '172.16.0.1' }] } },
    });
    assert.deepEqual(fault(unreachable), [400, 'InvalidRoutes']);
    const viaPut = await api.request('PUT', `/v2.0/routers/${router.id}`, { project: P, body: { router: { routes: [{ destination: '0.0.0.0/0', nexthop: 'x' }] } } });
    assert.deepEqual(fault(viaPut), [400, 'InvalidRoutes']);
    const inUse = await api.request('PUT', `/v2.0/routers/${router.id}/remove_router_interface`, { project: P, body: { port_id: port.id } });
    assert.deepEqual(fault(inUse), [409, 'RouterInterfaceInUseByRoute']);
    const removed = await api.request('PUT', `/v2.0/routers/${router.id}/remove_extraroutes`, { project: P, body: { router: { routes: [{ destination: '192.168.5.0/24', nexthop }] } } });
    assert.deepEqual(removed.body.router.routes, []);

    assert.deepEqual(fault(await api.request('DELETE', `/v2.0/subnets/${a.subnet.id}`, { project: P })), [409, 'SubnetInUse']);
    assert.deepEqual(fault(await api.request('DELETE', `/v2.0/networks/${a.net.id}`, { project: P })), [409, 'NetworkInUse']);
    assert.deepEqual(fault(await api.request('DELETE', `/v2.0/routers/${router.id}`, { project: P })), [409, 'RouterInUse']);
    assert.deepEqual(fault(await api.request('DELETE', `/v2.0/ports/${add.body.port_id}`, { project: P })).slice(0, 1), [409]);

    assert.equal((await api.request('PUT', `/v2.0/routers/${router.id}/remove_router_interface`, { project: P, body: { subnet_id: a.subnet.id } })).status, 200);
    assert.equal((await api.request('PUT', `/v2.0/routers/${router.id}/remove_router_interface`, { project: P, body: { port_id: port.id } })).status, 200);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/routers/${router.id}/remove_router_interface`, { project: P, body: { subnet_id: a.subnet.id } })), [404, 'RouterInterfaceNotFoundForSubnet']);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/routers/${router.id}/remove_router_interface`, { project: P, body: { port_id: port.id } })), [404, 'RouterInterfaceNotFound']);
    assert.equal((await api.request('GET', `/v2.0/ports/${port.id}`, { project: P })).status, 404, 'the attached port is removed with the interface, as in Neutron');

    const cleared = await api.request('PUT', `/v2.0/routers/${router.id}`, { project: P, body: { router: { external_gateway_info: {} } } });
    assert.equal(cleared.status, 200);
    assert.equal(cleared.body.router.external_gateway_info, null);
    assert.ok(cleared.body.router.revision_number > router.revision_number);
    assert.equal((await api.request('DELETE', `/v2.0/routers/${router.id}`, { project: P })).status, 204);
    assert.equal((await api.request('DELETE', `/v2.0/subnets/${a.subnet.id}`, { project: P })).status, 204);
    const changes = await api.store.read((q) => q.all<{ operation: string }>("SELECT operation FROM changes WHERE resource_type = 'router' AND resource_id = ?", [router.id]));
    assert.deepEqual([changes[0]?.operation, changes.at(-1)?.operation], ['create', 'delete']);
  });

  test('routers - bad input, visibility and policy', async () => {
    const priv = await network(P, '10.20.0.0/24');
    const r = (await api.request('POST', '/v2.0/routers', { project: P, body: { router: { name: 'rb' } } })).body.router;
    const notExternal = await api.request('PUT', `/v2.0/routers/${r.id}`, { project: P, body: { router: { external_gateway_info: { network_id: priv.net.id } } } });
    assert.deepEqual(fault(notExternal), [400, 'BadRequest']);
    const missingNet = await api.request('POST', '/v2.0/routers', { project: P, body: { router: { external_gateway_info: { network_id: '00000000-0000-4000-8000-000000000001' } } } });
    assert.deepEqual(fault(missingNet), [404, 'NetworkNotFound']);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/routers/${r.id}/add_router_interface`, { project: P, body: {} })), [400, 'BadRequest']);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/routers/${r.id}/add_router_interface`, { project: P, body: { subnet_id: 'x' } })), [400, 'HTTPBadRequest']);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/routers/${r.id}/add_router_interface`, { project: P, body: { subnet_id: '00000000-0000-4000-8000-000000000001' } })), [404, 'SubnetNotFound']);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/routers/${r.id}/add_router_interface`, { project: P, body: { port_id: '00000000-0000-4000-8000-000000000001' } })), [404, 'PortNotFound']);
    const overlapping = await network(P, '10.20.0.0/25');
    assert.equal((await api.request('PUT', `/v2.0/routers/${r.id}/add_router_interface`, { project: P, body: { subnet_id: priv.subnet.id } })).status, 200);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/routers/${r.id}/add_router_interface`, { project: P, body: { subnet_id: overlapping.subnet.id } })), [400, 'BadRequest']);
    assert.deepEqual(fault(await api.request('GET', `/v2.0/routers/${r.id}`, { project: 'rt-other' })), [404, 'RouterNotFound']);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/routers/${r.id}/add_router_interface`, { project: 'rt-other', body: { subnet_id: priv.subnet.id } })), [404, 'RouterNotFound']);
    assert.deepEqual(fault(await api.request('POST', '/v2.0/routers', { project: P, body: { router: { distributed: true } } })), [403, 'PolicyNotAuthorized']);
    const ext = await network(undefined, '198.18.0.0/24', { 'router:external': true });
    const snat = await api.request('PUT', `/v2.0/routers/${r.id}`, { project: P, body: { router: { external_gateway_info: { network_id: ext.net.id, enable_snat: false } } } });
    assert.deepEqual(fault(snat), [403, 'PolicyNotAuthorized'], 'enable_snat is admin-only in Neutron');
    const fixedGw = await api.request('POST', '/v2.0/routers', { project: P, body: { router: { external_gateway_info: { network_id: ext.net.id, external_fixed_ips: [{ ip_address: '198.18.0.9' }] } } } });
    assert.deepEqual(fault(fixedGw), [403, 'PolicyNotAuthorized']);
    const asAdmin = await api.request('PUT', `/v2.0/routers/${r.id}`, { body: { router: { external_gateway_info: { network_id: ext.net.id, enable_snat: false, external_fixed_ips: [{ ip_address: '198.18.0.9' }] } } } });
    assert.equal(asAdmin.status, 200);
    assert.deepEqual(asAdmin.body.router.external_gateway_info, { network_id: ext.net.id, enable_snat: false, external_fixed_ips: [{ subnet_id: ext.subnet.id, ip_address: '198.18.0.9' }] });
    assert.deepEqual(fault(await api.request('POST', '/v2.0/routers', { project: P, body: { router: { bogus: 1 } } })), [400, 'HTTPBadRequest']);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/routers/${r.id}/add_extraroutes`, { project: P, body: { routes: [] } })), [400, 'HTTPBadRequest']);
    assert.deepEqual(fault(await api.request('POST', `/v2.0/routers/${r.id}/add_router_interface`, { project: P, body: {} })), [405, 'HTTPMethodNotAllowed']);
    assert.deepEqual(fault(await api.request('GET', '/v2.0/routers?bogus=1', { project: P })), [400, 'HTTPBadRequest']);
    await api.request('PUT', '/v2.0/quotas/rt-q', { body: { quota: { router: 1 } } });
    const bulk = await api.request('POST', '/v2.0/routers', { project: 'rt-q', body: { routers: [{ name: 'a' }, { name: 'b' }] } });
    assert.deepEqual(fault(bulk), [409, 'OverQuota']);
    assert.equal((await api.request('GET', '/v2.0/routers', { project: 'rt-q' })).body.routers.length, 0);
  });
});
