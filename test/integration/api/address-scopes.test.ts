import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fault, startTestApi, type TestApi } from '../../harness/api-server.js';

describe('address scopes', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.close());

  const member = (project: string) => ({ project, roles: 'member' });
  const post = (collection: string, key: string, body: object, as: { project?: string; roles?: string } = {}) =>
    api.request('POST', `/v2.0/${collection}`, { ...as, body: { [key]: body } });

  test('address scopes - create, show, update, list, delete; shared is admin only', async () => {
    const P = 'as-p1';
    const created = await post('address-scopes', 'address_scope', { name: 'scope', ip_version: 4, description: 'd' }, member(P));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const scope = created.body.address_scope;
    assert.deepEqual([scope.name, scope.ip_version, scope.shared, scope.project_id, scope.tenant_id, scope.description, scope.revision_number], ['scope', 4, false, P, P, 'd', 0]);
    assert.deepEqual(fault(await post('address-scopes', 'address_scope', { name: 'x', ip_version: 4, shared: true }, member(P))), [403, 'PolicyNotAuthorized']);
    assert.deepEqual(fault(await post('address-scopes', 'address_scope', { name: 'x', ip_version: 5 }, member(P))), [400, 'HTTPBadRequest']);
    assert.deepEqual(fault(await post('address-scopes', 'address_scope', { ip_version: 4 }, member(P))), [400, 'HTTPBadRequest']);
    const renamed = await api.request('PUT', `/v2.0/address-scopes/${scope.id}`, { ...member(P), body: { address_scope: { name: 'renamed' } } });
    assert.deepEqual([renamed.body.address_scope.name, renamed.body.address_scope.revision_number], ['renamed', 1]);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/address-scopes/${scope.id}`, { ...member(P), body: { address_scope: { shared: true } } })), [403, 'PolicyNotAuthorized']);
    assert.deepEqual(fault(await api.request('GET', `/v2.0/address-scopes/${scope.id}`, member('as-stranger'))), [404, 'AddressScopeNotFound']);
    const shared = await api.request('PUT', `/v2.0/address-scopes/${scope.id}`, { body: { address_scope: { shared: true } } });
    assert.equal(shared.body.address_scope.shared, true);
    const unshare = await api.request('PUT', `/v2.0/address-scopes/${scope.id}`, { body: { address_scope: { shared: false } } });
    assert.deepEqual(fault(unshare), [400, 'AddressScopeUpdateError'], 'a shared scope stays shared, as in Neutron');
    const seen = await api.request('GET', `/v2.0/address-scopes/${scope.id}`, member('as-stranger'));
    assert.deepEqual([seen.status, seen.body.address_scope.shared], [200, true], 'shared scopes are visible to every project');
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/address-scopes/${scope.id}`, { ...member('as-stranger'), body: { address_scope: { name: 'mine' } } })), [403, 'PolicyNotAuthorized']);
    assert.deepEqual((await api.request('GET', '/v2.0/address-scopes?ip_version=4&shared=true', member('as-stranger'))).body.address_scopes.map((s: { id: string }) => s.id), [scope.id]);
    assert.equal((await api.request('DELETE', `/v2.0/address-scopes/${scope.id}`, member(P))).status, 204);
    assert.deepEqual(fault(await api.request('GET', `/v2.0/address-scopes/${scope.id}`, member(P))), [404, 'AddressScopeNotFound']);
    const rbac = await api.request('GET', `/v2.0/rbac-policies?object_id=${scope.id}`);
    assert.deepEqual(rbac.body.rbac_policies, [], 'the scope takes its RBAC entries with it');
  });

  test('address scopes - pools join scopes of their version without overlap; networks report their scopes', async () => {
    const P = 'as-p2';
    const scope4 = (await post('address-scopes', 'address_scope', { name: 's4', ip_version: 4 }, member(P))).body.address_scope;
    const scope6 = (await post('address-scopes', 'address_scope', { name: 's6', ip_version: 6 }, member(P))).body.address_scope;
    const pool = async (name: string, prefixes: string[], scopeId: string | null) => post('subnetpools', 'subnetpool', { name, prefixes, address_scope_id: scopeId, default_prefixlen: 24 }, member(P));
    const a = (await pool('a', ['10.40.0.0/16'], scope4.id)).body.subnetpool;
    assert.equal(a.address_scope_id, scope4.id);
    assert.deepEqual(fault(await pool('b', ['10.40.128.0/20'], scope4.id)), [409, 'AddressScopePrefixConflict']);
    assert.deepEqual(fault(await pool('c', ['10.41.0.0/16'], scope6.id)), [400, 'IllegalSubnetPoolIpVersionAssociationToAddressScope']);
    assert.deepEqual(fault(await pool('d', ['10.41.0.0/16'], '0d2f5b8e-4b1c-4f6a-9a54-3f2b1c0d9e8f')), [404, 'AddressScopeNotFound']);
    const b = (await pool('b', ['10.42.0.0/16'], scope4.id)).body.subnetpool;
    const free = (await pool('free', ['10.40.0.0/16'], null)).body.subnetpool;
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/subnetpools/${free.id}`, { ...member(P), body: { subnetpool: { address_scope_id: scope4.id } } })), [409, 'AddressScopePrefixConflict']);
    const theirs = (await post('address-scopes', 'address_scope', { name: 'theirs', ip_version: 4 }, member('as-p3'))).body.address_scope;
    const join = (scopeId: string) => api.request('PUT', `/v2.0/subnetpools/${free.id}`, { ...member(P), body: { subnetpool: { address_scope_id: scopeId } } });
    assert.deepEqual(fault(await join(theirs.id)), [404, 'AddressScopeNotFound'], "another project's unshared scope");
    const byAdmin = await api.request('PUT', `/v2.0/subnetpools/${free.id}`, { body: { subnetpool: { address_scope_id: theirs.id } } });
    assert.deepEqual(fault(byAdmin), [400, 'IllegalSubnetPoolAssociationToAddressScope'], "neither the pool owner's nor shared with it");
    const common = (await post('address-scopes', 'address_scope', { name: 'common', ip_version: 4, shared: true })).body.address_scope;
    assert.equal((await join(common.id)).body.subnetpool?.address_scope_id, common.id, 'a shared scope takes pools of every project');
    assert.equal((await join(null as unknown as string)).body.subnetpool.address_scope_id, null);

    const net = (await post('networks', 'network', { name: 'scoped' }, member(P))).body.network;
    assert.deepEqual([net.ipv4_address_scope, net.ipv6_address_scope], [null, null]);
    const subnet = (body: object) => post('subnets', 'subnet', { network_id: net.id, ip_version: 4, ...body }, member(P));
    assert.equal((await subnet({ subnetpool_id: a.id })).status, 201);
    const shown = (await api.request('GET', `/v2.0/networks/${net.id}`, member(P))).body.network;
    assert.deepEqual([shown.ipv4_address_scope, shown.ipv6_address_scope], [scope4.id, null]);
    assert.equal((await subnet({ subnetpool_id: b.id })).status, 201, 'another pool of the same scope');
    assert.deepEqual(fault(await subnet({ subnetpool_id: free.id, prefixlen: 24 })), [400, 'NetworkAddressScopeAffinityError']);
    assert.deepEqual(fault(await subnet({ cidr: '192.0.2.0/24' })), [400, 'NetworkAddressScopeAffinityError']);
    assert.deepEqual(fault(await api.request('DELETE', `/v2.0/address-scopes/${scope4.id}`, member(P))), [409, 'AddressScopeInUse']);
    const rescoped = await api.request('PUT', `/v2.0/subnetpools/${a.id}`, { ...member(P), body: { subnetpool: { address_scope_id: null } } });
    assert.deepEqual(fault(rescoped), [400, 'NetworkAddressScopeAffinityError'], "the network's other subnet would stay in the scope");

    const plain = (await post('networks', 'network', { name: 'plain' }, member(P))).body.network;
    assert.equal((await post('subnets', 'subnet', { network_id: plain.id, ip_version: 4, subnetpool_id: free.id }, member(P))).status, 201);
    const mixed = await post('subnets', 'subnet', { network_id: plain.id, ip_version: 4, cidr: '192.0.2.0/24' }, member(P));
    assert.deepEqual(fault(mixed), [400, 'NetworkSubnetPoolAffinityError']);
    const listed = await api.request('GET', `/v2.0/networks?id=${net.id}&id=${plain.id}&fields=id&fields=ipv4_address_scope`, member(P));
    assert.deepEqual(listed.body.networks.map((n: { ipv4_address_scope: string | null }) => n.ipv4_address_scope).sort(), [null, scope4.id].sort());
  });
});
