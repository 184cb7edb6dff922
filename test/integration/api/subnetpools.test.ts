import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fault, startTestApi, type TestApi } from '../../harness/api-server.js';

describe('subnet pools', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.close());

  const member = (project: string) => ({ project, roles: 'member' });
  const post = (collection: string, key: string, body: object, as: { project?: string; roles?: string } = {}) =>
    api.request('POST', `/v2.0/${collection}`, { ...as, body: { [key]: body } });
  const network = async (project: string, name: string) => (await post('networks', 'network', { name }, member(project))).body.network;
  const subnet = (project: string, body: object) => post('subnets', 'subnet', { ip_version: 4, ...body }, member(project));

  test('subnet pools - create with Neutron defaults, carve subnets by prefixlen and by cidr, refuse what does not fit', async () => {
    const P = 'sp-p1';
    const created = await post('subnetpools', 'subnetpool', { name: 'pool', prefixes: ['10.100.0.0/17', '10.100.128.0/17', '10.100.3.0/24'], default_prefixlen: 24 }, member(P));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const pool = created.body.subnetpool;
    assert.deepEqual(pool.prefixes, ['10.100.0.0/16'], 'prefixes are merged');
    assert.deepEqual([pool.ip_version, pool.min_prefixlen, pool.max_prefixlen, pool.default_prefixlen], [4, 8, 32, 24]);
    assert.deepEqual([pool.shared, pool.is_default, pool.default_quota, pool.address_scope_id, pool.project_id], [false, false, null, null, P]);

    const net = await network(P, 'sp-net');
    const first = await subnet(P, { network_id: net.id, subnetpool_id: pool.id });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.deepEqual([first.body.subnet.cidr, first.body.subnet.subnetpool_id, first.body.subnet.gateway_ip], ['10.100.0.0/24', pool.id, '10.100.0.1']);
    const small = await subnet(P, { network_id: net.id, subnetpool_id: pool.id, prefixlen: 26 });
    assert.equal(small.body.subnet.cidr, '10.100.1.0/26', 'the lowest free block of the size');
    const explicit = await subnet(P, { network_id: net.id, subnetpool_id: pool.id, cidr: '10.100.7.0/24' });
    assert.equal(explicit.body.subnet.cidr, '10.100.7.0/24');
    const next = await subnet(P, { network_id: net.id, subnetpool_id: pool.id, prefixlen: 23 });
    assert.equal(next.body.subnet.cidr, '10.100.2.0/23', 'steps over the used blocks');

    assert.deepEqual(fault(await subnet(P, { network_id: net.id, subnetpool_id: pool.id, cidr: '10.100.7.128/25' })), [409, 'SubnetAllocationError'], 'overlaps an allocation');
    assert.deepEqual(fault(await subnet(P, { network_id: net.id, subnetpool_id: pool.id, cidr: '10.200.0.0/24' })), [409, 'SubnetAllocationError'], 'outside the pool');
    assert.deepEqual(fault(await subnet(P, { network_id: net.id, subnetpool_id: pool.id, prefixlen: 7 })), [400, 'MinPrefixSubnetAllocationError']);
    assert.deepEqual(fault(await subnet(P, { network_id: net.id, subnetpool_id: pool.id, prefixlen: 16 })), [409, 'SubnetAllocationError'], 'no free /16 left');
    assert.deepEqual(fault(await subnet(P, { network_id: net.id, ip_version: 6, subnetpool_id: pool.id })), [400, 'BadRequest']);
    assert.deepEqual(fault(await subnet(P, { network_id: net.id })), [400, 'BadRequest'], 'no cidr and no pool');
    assert.deepEqual(fault(await subnet(P, { network_id: net.id, subnetpool_id: '3f1ad0e2-8bd1-4c4b-9a7c-5d6f9e0b1a2c' })), [404, 'SubnetPoolNotFound']);

    const listed = await api.request('GET', `/v2.0/subnets?subnetpool_id=${pool.id}&fields=cidr&fields=id`, member(P));
    assert.deepEqual(listed.body.subnets.map((s: { cidr: string }) => s.cidr).sort(), ['10.100.0.0/24', '10.100.1.0/26', '10.100.2.0/23', '10.100.7.0/24']);
    assert.deepEqual(fault(await api.request('DELETE', `/v2.0/subnetpools/${pool.id}`, member(P))), [400, 'SubnetPoolDeleteError']);
    for (const s of listed.body.subnets) assert.equal((await api.request('DELETE', `/v2.0/subnets/${s.id}`, member(P))).status, 204);
    assert.equal((await api.request('DELETE', `/v2.0/subnetpools/${pool.id}`, member(P))).status, 204);
    assert.deepEqual(fault(await api.request('GET', `/v2.0/subnetpools/${pool.id}`, member(P))), [404, 'SubnetPoolNotFound']);
  });

  test('subnet pools - validation of prefixes, bounds and updates', async () => {
    const P = 'sp-p2';
    const bad = async (body: object) => fault(await post('subnetpools', 'subnetpool', { name: 'bad', ...body }, member(P)));
    assert.deepEqual(await bad({ prefixes: ['10.0.0.0/8', '2001:db8::/32'] }), [400, 'PrefixVersionMismatch']);
    assert.deepEqual(await bad({ prefixes: ['not-a-prefix'] }), [400, 'InvalidInput']);
    assert.deepEqual(await bad({ prefixes: [] }), [400, 'EmptySubnetPoolPrefixList']);
    assert.deepEqual(await bad({ prefixes: ['10.0.0.0/8'], min_prefixlen: 28, max_prefixlen: 24 }), [400, 'IllegalSubnetPoolPrefixBounds']);
    assert.deepEqual(await bad({ prefixes: ['10.0.0.0/8'], default_prefixlen: 33 }), [400, 'IllegalSubnetPoolPrefixBounds']);
    assert.deepEqual(await bad({ prefixes: ['10.0.0.0/8'], shared: true }), [403, 'PolicyNotAuthorized']);
    assert.deepEqual(await bad({ prefixes: ['10.0.0.0/8'], is_default: true }), [403, 'PolicyNotAuthorized']);

    const v6 = (await post('subnetpools', 'subnetpool', { name: 'v6', prefixes: ['2001:db8:1::1/48'] }, member(P))).body.subnetpool;
    assert.deepEqual([v6.ip_version, v6.prefixes, v6.min_prefixlen, v6.max_prefixlen, v6.default_prefixlen], [6, ['2001:db8:1::/48'], 64, 128, 64]);
    const grown = await api.request('PUT', `/v2.0/subnetpools/${v6.id}`, { ...member(P), body: { subnetpool: { prefixes: ['2001:db8:1::/48', '2001:db8:2::/48'], name: 'v6b', max_prefixlen: 120 } } });
    assert.equal(grown.status, 200, JSON.stringify(grown.body));
    assert.deepEqual([grown.body.subnetpool.prefixes, grown.body.subnetpool.name, grown.body.subnetpool.max_prefixlen, grown.body.subnetpool.revision_number], [['2001:db8:1::/48', '2001:db8:2::/48'], 'v6b', 120, 1]);
    const shrunk = await api.request('PUT', `/v2.0/subnetpools/${v6.id}`, { ...member(P), body: { subnetpool: { prefixes: ['2001:db8:1::/48'] } } });
    assert.deepEqual(fault(shrunk), [400, 'IllegalSubnetPoolPrefixUpdate']);
    const crossed = await api.request('PUT', `/v2.0/subnetpools/${v6.id}`, { ...member(P), body: { subnetpool: { min_prefixlen: 124 } } });
    assert.deepEqual(fault(crossed), [400, 'IllegalSubnetPoolPrefixBounds']);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/subnetpools/${v6.id}`, { project: 'sp-other', roles: 'member', body: { subnetpool: { name: 'x' } } })), [404, 'SubnetPoolNotFound']);
    // Neutron converts these attributes from text, and the openstack CLI sends prefixlen as text.
    const texts = (await post('subnetpools', 'subnetpool', { name: 'texts', prefixes: ['10.30.0.0/16'], min_prefixlen: '20', default_prefixlen: '24', default_quota: '4096' }, member(P))).body.subnetpool;
    assert.deepEqual([texts.min_prefixlen, texts.default_prefixlen, texts.default_quota], [20, 24, 4096]);
    const net = (await post('networks', 'network', { name: 'texts' }, member(P))).body.network;
    const carved = await post('subnets', 'subnet', { network_id: net.id, ip_version: 4, subnetpool_id: texts.id, prefixlen: '26' }, member(P));
    assert.equal(carved.body.subnet?.cidr, '10.30.0.0/26', JSON.stringify(carved.body));
    assert.deepEqual(fault(await post('subnets', 'subnet', { network_id: net.id, ip_version: 4, subnetpool_id: texts.id, prefixlen: 'x' }, member(P))), [400, 'HTTPBadRequest']);
    const tooSmall = await post('subnets', 'subnet', { network_id: net.id, ip_version: 6, subnetpool_id: v6.id, prefixlen: 124 }, member(P));
    assert.deepEqual(fault(tooSmall), [400, 'MaxPrefixSubnetAllocationError'], 'max_prefixlen is 120 since the update');
    const unchanged = (await api.request('GET', `/v2.0/subnetpools/${v6.id}`, member(P))).body.subnetpool;
    assert.deepEqual([unchanged.prefixes.length, unchanged.min_prefixlen, unchanged.revision_number], [2, 64, 1], 'refused updates change nothing');
  });

  test('subnet pools - add_prefixes and remove_prefixes', async () => {
    const P = 'sp-p3';
    const pool = (await post('subnetpools', 'subnetpool', { name: 'ops', prefixes: ['192.168.0.0/24'], default_prefixlen: 26 }, member(P))).body.subnetpool;
    const added = await api.request('PUT', `/v2.0/subnetpools/${pool.id}/add_prefixes`, { ...member(P), body: { prefixes: ['192.168.1.0/24', '172.16.0.0/16'] } });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.deepEqual(added.body.prefixes, ['172.16.0.0/16', '192.168.0.0/23'], 'adjacent prefixes merge');
    const net = await network(P, 'ops-net');
    const carved = (await subnet(P, { network_id: net.id, subnetpool_id: pool.id, cidr: '192.168.1.64/26' })).body.subnet;
    const inUse = await api.request('PUT', `/v2.0/subnetpools/${pool.id}/remove_prefixes`, { ...member(P), body: { prefixes: ['192.168.1.0/24'] } });
    assert.deepEqual(fault(inUse), [400, 'IllegalSubnetPoolPrefixUpdate']);
    const removed = await api.request('PUT', `/v2.0/subnetpools/${pool.id}/remove_prefixes`, { ...member(P), body: { prefixes: ['192.168.0.0/24', '172.16.128.0/17'] } });
    assert.deepEqual(removed.body.prefixes, ['172.16.0.0/17', '192.168.1.0/24'], 'a removed part splits its prefix');
    const shown = (await api.request('GET', `/v2.0/subnetpools/${pool.id}`, member(P))).body.subnetpool;
    assert.deepEqual([shown.prefixes, shown.revision_number], [['172.16.0.0/17', '192.168.1.0/24'], 2]);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/subnetpools/${pool.id}/add_prefixes`, { ...member(P), body: { prefixes: ['2001:db8::/32'] } })), [400, 'PrefixVersionMismatch']);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/subnetpools/${pool.id}/add_prefixes`, { project: 'sp-other', roles: 'member', body: { prefixes: ['10.9.0.0/16'] } })), [404, 'SubnetPoolNotFound']);
    assert.deepEqual(fault(await api.request('POST', `/v2.0/subnetpools/${pool.id}/add_prefixes`, { ...member(P), body: { prefixes: ['10.9.0.0/16'] } })), [405, 'HTTPMethodNotAllowed']);
    assert.equal((await api.request('DELETE', `/v2.0/subnets/${carved.id}`, member(P))).status, 204);
  });

  test('subnet pools - default pools and use_default_subnetpool', async () => {
    const P = 'sp-p4';
    const v4 = await post('subnetpools', 'subnetpool', { name: 'default-v4', prefixes: ['100.64.0.0/16'], default_prefixlen: 28, is_default: true, shared: true });
    assert.equal(v4.status, 201, JSON.stringify(v4.body));
    assert.deepEqual([v4.body.subnetpool.is_default, v4.body.subnetpool.shared], [true, true]);
    const second = await post('subnetpools', 'subnetpool', { name: 'second-v4', prefixes: ['100.65.0.0/16'], is_default: true });
    assert.deepEqual(fault(second), [400, 'InvalidInput'], 'one default per IP version');
    const other = (await post('subnetpools', 'subnetpool', { name: 'other-v4', prefixes: ['100.66.0.0/16'] })).body.subnetpool;
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/subnetpools/${other.id}`, { body: { subnetpool: { is_default: true } } })), [400, 'InvalidInput']);

    const net = await network(P, 'default-net');
    const made = await subnet(P, { network_id: net.id, use_default_subnetpool: true });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.deepEqual([made.body.subnet.cidr, made.body.subnet.subnetpool_id, made.body.subnet.project_id], ['100.64.0.0/28', v4.body.subnetpool.id, P]);
    const both = await subnet(P, { network_id: net.id, use_default_subnetpool: true, subnetpool_id: v4.body.subnetpool.id });
    assert.deepEqual(fault(both), [400, 'BadRequest']);
    const outside = await subnet(P, { network_id: net.id, use_default_subnetpool: true, cidr: '192.0.2.0/28' });
    assert.deepEqual(fault(outside), [409, 'SubnetAllocationError'], 'a cidr with the default pool must lie in it');
    const v6 = await subnet(P, { network_id: net.id, ip_version: 6, use_default_subnetpool: true });
    assert.deepEqual(fault(v6), [400, 'BadRequest'], 'no default IPv6 pool');
    const seen = await api.request('GET', '/v2.0/subnetpools?is_default=true', member(P));
    assert.deepEqual(seen.body.subnetpools.map((p: { name: string }) => p.name), ['default-v4'], 'the shared default pool is visible to members');
    assert.deepEqual((await api.request('GET', '/v2.0/subnetpools?shared=false', member(P))).body.subnetpools, []);
    assert.equal((await api.request('DELETE', `/v2.0/subnets/${made.body.subnet.id}`, member(P))).status, 204);
    const unset = await api.request('PUT', `/v2.0/subnetpools/${v4.body.subnetpool.id}`, { body: { subnetpool: { is_default: false } } });
    assert.equal(unset.body.subnetpool.is_default, false);
    assert.deepEqual(fault(await subnet(P, { network_id: net.id, use_default_subnetpool: true })), [400, 'BadRequest']);
  });

  test("subnet pools - default_quota limits each project's share; the subnetpool quota limits pools", async () => {
    const shared = (await post('subnetpools', 'subnetpool', { name: 'quota-pool', prefixes: ['10.150.0.0/16'], default_prefixlen: 24, default_quota: 512, shared: true })).body.subnetpool;
    for (const P of ['sp-q1', 'sp-q2']) {
      const net = await network(P, 'quota-net');
      assert.equal((await subnet(P, { network_id: net.id, subnetpool_id: shared.id })).status, 201);
      assert.equal((await subnet(P, { network_id: net.id, subnetpool_id: shared.id, prefixlen: 25 })).status, 201);
      assert.equal((await subnet(P, { network_id: net.id, subnetpool_id: shared.id, prefixlen: 25 })).status, 201, 'exactly 512 addresses');
      assert.deepEqual(fault(await subnet(P, { network_id: net.id, subnetpool_id: shared.id, prefixlen: 30 })), [409, 'SubnetPoolQuotaExceeded']);
    }
    const v6 = (await post('subnetpools', 'subnetpool', { name: 'v6-quota', prefixes: ['2001:db8:100::/48'], default_quota: 2, shared: true })).body.subnetpool;
    const net6 = await network('sp-q1', 'quota-net6');
    const v6subnet = (body: object) => subnet('sp-q1', { network_id: net6.id, ip_version: 6, subnetpool_id: v6.id, ...body });
    assert.equal((await v6subnet({ prefixlen: 64 })).status, 201);
    assert.equal((await v6subnet({ prefixlen: 64 })).status, 201, 'IPv6 quota counts /64 networks');
    assert.deepEqual(fault(await v6subnet({ prefixlen: 64 })), [409, 'SubnetPoolQuotaExceeded']);

    assert.equal((await api.request('PUT', '/v2.0/quotas/sp-q3', { body: { quota: { subnetpool: 1 } } })).status, 200);
    assert.equal((await post('subnetpools', 'subnetpool', { name: 'a', prefixes: ['10.151.0.0/16'] }, member('sp-q3'))).status, 201);
    assert.deepEqual(fault(await post('subnetpools', 'subnetpool', { name: 'b', prefixes: ['10.152.0.0/16'] }, member('sp-q3'))), [409, 'OverQuota']);
    const details = await api.request('GET', '/v2.0/quotas/sp-q3/details', member('sp-q3'));
    assert.deepEqual(details.body.quota.subnetpool, { used: 1, limit: 1, reserved: 0 });
  });

  test('subnet pools - tags on pools and address scopes', async () => {
    const P = 'sp-tags';
    const pool = (await post('subnetpools', 'subnetpool', { name: 'tagged', prefixes: ['10.160.0.0/16'], tags: ['blue'] }, member(P))).body.subnetpool;
    assert.deepEqual(pool.tags, ['blue']);
    assert.equal((await api.request('PUT', `/v2.0/subnetpools/${pool.id}/tags/red`, member(P))).status, 201);
    assert.deepEqual((await api.request('GET', `/v2.0/subnetpools/${pool.id}/tags`, member(P))).body.tags, ['blue', 'red']);
    assert.deepEqual((await api.request('GET', '/v2.0/subnetpools?tags=red', member(P))).body.subnetpools.map((p: { id: string }) => p.id), [pool.id]);
    const aliased = await api.request('GET', `/project/${P}/subnetpools?tags=red`, { roles: 'member' });
    assert.deepEqual(aliased.body.subnetpools.map((p: { id: string }) => p.id), [pool.id], 'the project-scoped alias');
    const scope = (await post('address-scopes', 'address_scope', { name: 'tagged-scope', ip_version: 4 }, member(P))).body.address_scope;
    const put = await api.request('PUT', `/v2.0/address-scopes/${scope.id}/tags`, { ...member(P), body: { tags: ['green'] } });
    assert.deepEqual(put.body.tags, ['green']);
    assert.deepEqual((await api.request('GET', '/v2.0/address-scopes?not-tags=green', member(P))).body.address_scopes, []);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/address-scopes/${scope.id}/tags/x`, member('sp-stranger'))), [404, 'AddressScopeNotFound']);
  });
});
