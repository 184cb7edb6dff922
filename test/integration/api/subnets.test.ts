import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApi, type TestApi } from '../../harness/api-server.js';

describe('subnets', () => {
  let api: TestApi;
  let networkId: string;
  before(async () => {
    api = await startTestApi();
    networkId = (await api.request('POST', '/v2.0/networks', { body: { network: { name: 'sn' } } })).body.network.id;
  });
  after(() => api.close());

  const create = (subnet: Record<string, unknown>) =>
    api.request('POST', '/v2.0/subnets', { body: { subnet: { network_id: networkId, ip_version: 4, ...subnet } } });

  test('subnets - IPv4 defaults: first address is the gateway, pool is the rest', async () => {
    const r = await create({ cidr: '10.1.0.0/24', name: 'a', dns_nameservers: ['192.0.2.9', '192.0.2.1'] });
    assert.equal(r.status, 201);
    assert.equal(r.body.subnet.gateway_ip, '10.1.0.1');
    assert.deepEqual(r.body.subnet.allocation_pools, [{ start: '10.1.0.2', end: '10.1.0.254' }]);
    assert.deepEqual(r.body.subnet.dns_nameservers, ['192.0.2.9', '192.0.2.1'], 'DNS order is kept');
    const net = await api.request('GET', `/v2.0/networks/${networkId}`);
    assert.deepEqual(net.body.network.subnets, [r.body.subnet.id]);
  });

  test('subnets - invalid CIDRs, host bits, overlap and bad pools answer 400 InvalidInput', async () => {
    for (const body of [
      { cidr: '10.9.0.1/24' },
      { cidr: 'garbage' },
      { cidr: '10.1.0.128/25' },
      { cidr: 'fd00::/64' },
      { cidr: '10.2.0.0/24', allocation_pools: [{ start: '10.3.0.2', end: '10.3.0.9' }] },
      { cidr: '10.2.0.0/24', allocation_pools: [{ start: '10.2.0.1', end: '10.2.0.9' }] },
      { cidr: '10.2.0.0/24', gateway_ip: '10.5.0.1' },
      { cidr: '10.2.0.0/24', dns_nameservers: ['not-an-ip'] },
      { cidr: '10.2.0.0/24', host_routes: [{ destination: '10.0.0.0/8', nexthop: 'x' }] },
      { cidr: '10.2.0.0/24', ipv6_address_mode: 'slaac' },
    ]) {
      const r = await create(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.ok(['InvalidInput', 'HTTPBadRequest'].includes(r.body.NeutronError.type), JSON.stringify(r.body));
    }
    const missing = await api.request('POST', '/v2.0/subnets', { body: { subnet: { network_id: '00000000-0000-4000-8000-000000000000', cidr: '10.7.0.0/24', ip_version: 4 } } });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.NeutronError.type, 'NetworkNotFound');
  });

  test('subnets - gateway_ip null gives a pool from the first address; IPv6 gateway is the anycast address', async () => {
    const v4 = await create({ cidr: '10.4.0.0/29', gateway_ip: null });
    assert.equal(v4.body.subnet.gateway_ip, null);
    assert.deepEqual(v4.body.subnet.allocation_pools, [{ start: '10.4.0.1', end: '10.4.0.6' }]);
    const v6 = await create({ cidr: 'FD00:A1:0:0::/64', ip_version: 6, ipv6_address_mode: 'slaac', ipv6_ra_mode: 'slaac' });
    assert.equal(v6.status, 201);
    assert.equal(v6.body.subnet.cidr, 'fd00:a1::/64');
    assert.equal(v6.body.subnet.gateway_ip, 'fd00:a1::');
    assert.deepEqual(v6.body.subnet.allocation_pools, [{ start: 'fd00:a1::1', end: 'fd00:a1::ffff:ffff:ffff:ffff' }]);
  });

  test('subnets - update bumps the network revision; delete in use answers 409 SubnetInUse', async () => {
    const s = (await create({ cidr: '10.5.0.0/24' })).body.subnet;
    const before = (await api.request('GET', `/v2.0/networks/${networkId}`)).body.network.revision_number;
    const u = await api.request('PUT', `/v2.0/subnets/${s.id}`, { body: { subnet: { dns_nameservers: ['192.0.2.54'], allocation_pools: [{ start: '10.5.0.2', end: '10.5.0.200' }] } } });
    assert.equal(u.status, 200);
    assert.equal(u.body.subnet.revision_number, 1);
    assert.deepEqual(u.body.subnet.allocation_pools, [{ start: '10.5.0.2', end: '10.5.0.200' }]);
    const after = (await api.request('GET', `/v2.0/networks/${networkId}`)).body.network.revision_number;
    assert.equal(after, before + 1);
    const readOnly = await api.request('PUT', `/v2.0/subnets/${s.id}`, { body: { subnet: { cidr: '10.6.0.0/24' } } });
    assert.equal(readOnly.status, 400);
    const port = await api.request('POST', '/v2.0/ports', { body: { port: { network_id: networkId, fixed_ips: [{ subnet_id: s.id }] } } });
    assert.equal(port.status, 201);
    const inUse = await api.request('DELETE', `/v2.0/subnets/${s.id}`);
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.NeutronError.type, 'SubnetInUse');
    assert.equal((await api.request('DELETE', `/v2.0/ports/${port.body.port.id}`)).status, 204);
    assert.equal((await api.request('DELETE', `/v2.0/subnets/${s.id}`)).status, 204);
  });
});
