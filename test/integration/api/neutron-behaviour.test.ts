/**
 * Answers clients match on, made to equal Neutron's: subnet overlap text, router routes reset, what a
 * network delete takes with it (and what blocks it), IPv6 auto-address subnets, external subnets' visibility.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fault, startTestApi, type TestApi } from '../../harness/api-server.js';

describe('neutron behaviour', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.close());

  const P = 'nb-p1';

  async function network(project: string | undefined, extra: Record<string, unknown> = {}) {
    return (await api.request('POST', '/v2.0/networks', { project, body: { network: { name: 'nb', ...extra } } })).body.network;
  }
  async function subnet(project: string | undefined, networkId: string, cidr: string, extra: Record<string, unknown> = {}) {
    const r = await api.request('POST', '/v2.0/subnets', { project, body: { subnet: { network_id: networkId, cidr, ip_version: cidr.includes(':') ? 6 : 4, ...extra } } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.subnet;
  }

  test('subnets - an overlapping CIDR answers 400 InvalidInput with the text clients search for', async () => {
    const net = await network(P);
    await subnet(P, net.id, '10.60.0.0/16');
    const r = await api.request('POST', '/v2.0/subnets', { project: P, body: { subnet: { network_id: net.id, cidr: '10.60.3.0/24', ip_version: 4 } } });
    assert.deepEqual(fault(r), [400, 'InvalidInput']);
    assert.equal(
      r.body.NeutronError.message,
      `Invalid input for operation: Requested subnet with cidr: 10.60.3.0/24 for network: ${net.id} overlaps with another subnet.`,
    );
  });

  test('routers - PUT with routes null removes every extra route', async () => {
    const net = await network(P);
    const s = await subnet(P, net.id, '10.61.0.0/24');
    const router = (await api.request('POST', '/v2.0/routers', { project: P, body: { router: { name: 'r' } } })).body.router;
    await api.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { project: P, body: { subnet_id: s.id } });
    const routes = [{ destination: '192.0.2.0/24', nexthop: '10.61.0.9' }];
    assert.deepEqual((await api.request('PUT', `/v2.0/routers/${router.id}`, { project: P, body: { router: { routes } } })).body.router.routes, routes);
    const cleared = await api.request('PUT', `/v2.0/routers/${router.id}`, { project: P, body: { router: { routes: null } } });
    assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
    assert.deepEqual(cleared.body.router.routes, []);
    assert.deepEqual((await api.request('GET', `/v2.0/routers/${router.id}`, { project: P })).body.router.routes, []);
  });

  test('networks - delete with a port nobody owns answers 409 NetworkInUse and keeps the port; DHCP ports go with it', async () => {
    const net = await network(P);
    await subnet(P, net.id, '10.62.0.0/24');
    const loose = (await api.request('POST', '/v2.0/ports', { project: P, body: { port: { network_id: net.id } } })).body.port;
    const dhcp = (await api.request('POST', '/v2.0/ports', { body: { port: { network_id: net.id, device_owner: 'network:dhcp' } } })).body.port;
    const refused = await api.request('DELETE', `/v2.0/networks/${net.id}`, { project: P });
    assert.deepEqual(fault(refused), [409, 'NetworkInUse']);
    assert.equal(
      refused.body.NeutronError.message,
      `Unable to complete operation on network ${net.id}. There are one or more ports still in use on the network, id for these ports is: ${loose.id}.`,
    );
    assert.equal((await api.request('GET', `/v2.0/ports/${loose.id}`, { project: P })).status, 200);
    assert.equal((await api.request('DELETE', `/v2.0/ports/${loose.id}`, { project: P })).status, 204);
    assert.equal((await api.request('DELETE', `/v2.0/networks/${net.id}`, { project: P })).status, 204);
    assert.deepEqual(fault(await api.request('GET', `/v2.0/ports/${dhcp.id}`)), [404, 'PortNotFound']);
  });

  test('networks - an external network goes with its unassociated floating IPs and their ports', async () => {
    const ext = await network(undefined, { 'router:external': true });
    await subnet(undefined, ext.id, '198.51.62.0/24');
    const fip = (await api.request('POST', '/v2.0/floatingips', { project: P, body: { floatingip: { floating_network_id: ext.id } } })).body.floatingip;
    assert.ok(fip.id);
    const deleted = await api.request('DELETE', `/v2.0/networks/${ext.id}`);
    assert.equal(deleted.status, 204, JSON.stringify(deleted.body));
    assert.deepEqual(fault(await api.request('GET', `/v2.0/floatingips/${fip.id}`)), [404, 'FloatingIPNotFound']);
    assert.deepEqual((await api.request('GET', `/v2.0/ports?device_id=${fip.id}`)).body.ports, []);
  });

  test('subnets - deleting a SLAAC or DHCPv6-stateless subnet drops the auto addresses of ports, not a router interface', async () => {
    for (const mode of ['slaac', 'dhcpv6-stateless']) {
      const net = await network(P);
      const v4 = await subnet(P, net.id, '10.63.0.0/24');
      const v6 = await subnet(P, net.id, 'fd00:63::/64', { ipv6_ra_mode: mode, ipv6_address_mode: mode });
      const port = (await api.request('POST', '/v2.0/ports', { project: P, body: { port: { network_id: net.id } } })).body.port;
      assert.equal(port.fixed_ips.length, 2, JSON.stringify(port.fixed_ips));
      const deleted = await api.request('DELETE', `/v2.0/subnets/${v6.id}`, { project: P });
      assert.equal(deleted.status, 204, JSON.stringify(deleted.body));
      const after = (await api.request('GET', `/v2.0/ports/${port.id}`, { project: P })).body.port;
      assert.deepEqual(after.fixed_ips.map((ip: { subnet_id: string }) => ip.subnet_id), [v4.id]);
      assert.equal(after.revision_number, port.revision_number + 1);
    }
    const net = await network(P);
    const v6 = await subnet(P, net.id, 'fd00:64::/64', { ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' });
    const router = (await api.request('POST', '/v2.0/routers', { project: P, body: { router: { name: 'r6' } } })).body.router;
    assert.equal((await api.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { project: P, body: { subnet_id: v6.id } })).status, 200);
    assert.deepEqual(fault(await api.request('DELETE', `/v2.0/subnets/${v6.id}`, { project: P })), [409, 'SubnetInUse']);
  });

  test('subnets - a subnet of a non-shared external network is hidden from other projects', async () => {
    const ext = await network(undefined, { 'router:external': true });
    const s = await subnet(undefined, ext.id, '198.51.65.0/24');
    assert.deepEqual(fault(await api.request('GET', `/v2.0/subnets/${s.id}`, { project: P })), [404, 'SubnetNotFound']);
    assert.deepEqual((await api.request('GET', `/v2.0/subnets?network_id=${ext.id}`, { project: P })).body.subnets, []);
    assert.equal((await api.request('GET', `/v2.0/networks/${ext.id}`, { project: P })).status, 200, 'the network itself stays visible');
    const fip = await api.request('POST', '/v2.0/floatingips', { project: P, body: { floatingip: { floating_network_id: ext.id } } });
    assert.equal(fip.status, 201, 'floating IPs are still allocated from it');
    const shared = await network(undefined, { 'router:external': true, shared: true });
    const sharedSubnet = await subnet(undefined, shared.id, '198.51.66.0/24');
    assert.equal((await api.request('GET', `/v2.0/subnets/${sharedSubnet.id}`, { project: P })).status, 200);
  });
});
