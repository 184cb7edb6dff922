import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fault, startTestApi, type TestApi } from '../../harness/api-server.js';

describe('rbac policies', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.close());

  const member = (project: string) => ({ project, roles: 'member' });
  const post = (collection: string, key: string, body: object, as: { project?: string; roles?: string } = {}) =>
    api.request('POST', `/v2.0/${collection}`, { ...as, body: { [key]: body } });
  const rbac = (body: object, as: { project?: string; roles?: string } = {}) => post('rbac-policies', 'rbac_policy', body, as);
  const ids = (items: { id: string }[]) => items.map((i) => i.id);

  test('rbac policies - a network shared with one project: it sees and uses it, cannot change it, others see nothing', async () => {
    const [OWNER, TARGET, OTHER] = ['rb-owner', 'rb-target', 'rb-other'];
    const net = (await post('networks', 'network', { name: 'private' }, member(OWNER))).body.network;
    const sub = (await post('subnets', 'subnet', { network_id: net.id, cidr: '10.70.0.0/24', ip_version: 4 }, member(OWNER))).body.subnet;
    assert.deepEqual(fault(await api.request('GET', `/v2.0/networks/${net.id}`, member(TARGET))), [404, 'NetworkNotFound'], 'invisible before');

    const before = (await api.request('GET', `/v2.0/networks/${net.id}`, member(OWNER))).body.network.revision_number as number;
    const created = await rbac({ object_type: 'network', object_id: net.id, action: 'access_as_shared', target_tenant: TARGET }, member(OWNER));
    assert.ok((await api.request('GET', `/v2.0/networks/${net.id}`, member(OWNER))).body.network.revision_number > before, 'an entry bumps the revision of its object');
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const policy = created.body.rbac_policy;
    assert.deepEqual([policy.object_type, policy.object_id, policy.action, policy.target_tenant, policy.project_id, policy.tenant_id], ['network', net.id, 'access_as_shared', TARGET, OWNER, OWNER]);

    const seen = await api.request('GET', `/v2.0/networks/${net.id}`, member(TARGET));
    assert.deepEqual([seen.status, seen.body.network.shared], [200, true], 'shared for the target');
    assert.equal((await api.request('GET', `/v2.0/networks/${net.id}`, member(OWNER))).body.network.shared, false, 'not shared with everyone');
    assert.deepEqual(ids((await api.request('GET', '/v2.0/networks', member(TARGET))).body.networks), [net.id]);
    // The shared= filter answers as the attribute does, for the caller.
    assert.deepEqual(ids((await api.request('GET', '/v2.0/networks?shared=true', member(TARGET))).body.networks), [net.id]);
    assert.deepEqual(ids((await api.request('GET', '/v2.0/networks?shared=false', member(TARGET))).body.networks), []);
    assert.deepEqual(ids((await api.request('GET', '/v2.0/networks?shared=false', member(OWNER))).body.networks), [net.id]);
    assert.deepEqual(ids((await api.request('GET', '/v2.0/subnets?shared=true', member(TARGET))).body.subnets), [sub.id]);
    assert.deepEqual(ids((await api.request('GET', `/v2.0/subnets?network_id=${net.id}`, member(TARGET))).body.subnets), [sub.id]);
    assert.deepEqual((await api.request('GET', '/v2.0/networks', member(OTHER))).body.networks, []);
    assert.deepEqual(fault(await api.request('GET', `/v2.0/subnets/${sub.id}`, member(OTHER))), [404, 'SubnetNotFound']);
    assert.deepEqual(fault(await post('ports', 'port', { network_id: net.id }, member(OTHER))), [404, 'NetworkNotFound']);

    const port = await post('ports', 'port', { network_id: net.id, name: 'guest' }, member(TARGET));
    assert.equal(port.status, 201, JSON.stringify(port.body));
    assert.equal(port.body.port.project_id, TARGET);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/networks/${net.id}`, { ...member(TARGET), body: { network: { name: 'taken' } } })), [403, 'PolicyNotAuthorized']);
    assert.deepEqual(fault(await api.request('DELETE', `/v2.0/networks/${net.id}`, member(TARGET))), [403, 'PolicyNotAuthorized']);
    assert.deepEqual(fault(await post('subnets', 'subnet', { network_id: net.id, cidr: '10.71.0.0/24', ip_version: 4 }, member(TARGET))), [403, 'PolicyNotAuthorized']);

    // The target cannot see or remove the owner's policy; the owner cannot withdraw it while the target has a port.
    assert.deepEqual((await api.request('GET', '/v2.0/rbac-policies', member(TARGET))).body.rbac_policies, []);
    assert.deepEqual(fault(await api.request('DELETE', `/v2.0/rbac-policies/${policy.id}`, member(TARGET))), [404, 'RbacPolicyNotFound']);
    assert.deepEqual(fault(await api.request('DELETE', `/v2.0/rbac-policies/${policy.id}`, member(OWNER))), [409, 'RbacPolicyInUse']);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/rbac-policies/${policy.id}`, { ...member(OWNER), body: { rbac_policy: { target_tenant: OTHER } } })), [409, 'RbacPolicyInUse']);
    assert.equal((await api.request('GET', `/v2.0/rbac-policies/${policy.id}`, member(OWNER))).body.rbac_policy.target_tenant, TARGET);

    assert.equal((await api.request('DELETE', `/v2.0/ports/${port.body.port.id}`, member(TARGET))).status, 204);
    const moved = await api.request('PUT', `/v2.0/rbac-policies/${policy.id}`, { ...member(OWNER), body: { rbac_policy: { target_tenant: OTHER } } });
    assert.equal(moved.body.rbac_policy.target_tenant, OTHER);
    assert.deepEqual(fault(await api.request('GET', `/v2.0/networks/${net.id}`, member(TARGET))), [404, 'NetworkNotFound'], 'the old target lost it');
    assert.equal((await api.request('GET', `/v2.0/networks/${net.id}`, member(OTHER))).status, 200, 'the new target has it');
    assert.equal((await api.request('DELETE', `/v2.0/rbac-policies/${policy.id}`, member(OWNER))).status, 204);
    assert.deepEqual(fault(await api.request('GET', `/v2.0/networks/${net.id}`, member(OTHER))), [404, 'NetworkNotFound']);
  });

  test('rbac policies - shared: true is the entry for every project; refusals follow Neutron', async () => {
    const [OWNER, USER] = ['rb-s-owner', 'rb-s-user'];
    const net = (await post('networks', 'network', { name: 'public', shared: true, project_id: OWNER })).body.network;
    assert.equal(net.shared, true);
    const entries = (await api.request('GET', `/v2.0/rbac-policies?object_id=${net.id}`)).body.rbac_policies;
    const sharedSubnets = async (value: string) => ids((await api.request('GET', `/v2.0/subnets?shared=${value}&network_id=${net.id}`)).body.subnets);
    assert.deepEqual(entries.map((e: { action: string; target_tenant: string; project_id: string }) => [e.action, e.target_tenant, e.project_id]), [['access_as_shared', '*', OWNER]]);
    const sub = (await post('subnets', 'subnet', { network_id: net.id, cidr: '10.72.0.0/24', ip_version: 4 }, member(OWNER))).body.subnet;
    assert.deepEqual([await sharedSubnets('true'), await sharedSubnets('false')], [[sub.id], []], 'subnets filter on their network being shared');
    const port = (await post('ports', 'port', { network_id: net.id }, member(USER))).body.port;
    assert.ok(port?.id, 'any project can use a shared network');
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/networks/${net.id}`, { body: { network: { shared: false } } })), [409, 'InvalidSharedSetting']);
    assert.deepEqual(fault(await api.request('DELETE', `/v2.0/rbac-policies/${entries[0].id}`)), [409, 'RbacPolicyInUse']);
    assert.equal((await api.request('GET', `/v2.0/networks/${net.id}`, member(USER))).body.network.shared, true, 'still shared after the refusals');

    assert.deepEqual(fault(await rbac({ object_type: 'network', object_id: net.id, action: 'access_as_shared', target_tenant: '*' })), [409, 'DuplicateRbacPolicy']);
    const own = (await post('networks', 'network', { name: 'own' }, member(USER))).body.network;
    assert.deepEqual(fault(await rbac({ object_type: 'network', object_id: own.id, action: 'access_as_shared', target_tenant: '*' }, member(USER))), [403, 'PolicyNotAuthorized']);
    assert.deepEqual(fault(await rbac({ object_type: 'network', object_id: net.id, action: 'access_as_shared', target_tenant: 'x' }, member(USER))), [400, 'InvalidInput'], 'not the owner');
    assert.deepEqual(fault(await rbac({ object_type: 'network', object_id: '9c6a3e0f-2d7b-4a51-8e3c-1b2a3c4d5e6f', action: 'access_as_shared', target_tenant: 'x' })), [404, 'NetworkNotFound']);
    assert.deepEqual(fault(await rbac({ object_type: 'qos_policy', object_id: own.id, action: 'access_as_shared', target_tenant: 'x' })), [400, 'HTTPBadRequest']);

    assert.equal((await api.request('DELETE', `/v2.0/ports/${port.id}`, member(USER))).status, 204);
    const unshared = await api.request('PUT', `/v2.0/networks/${net.id}`, { body: { network: { shared: false } } });
    assert.equal(unshared.body.network.shared, false);
    assert.deepEqual((await api.request('GET', `/v2.0/rbac-policies?object_id=${net.id}`)).body.rbac_policies, []);
    assert.deepEqual(fault(await api.request('GET', `/v2.0/networks/${net.id}`, member(USER))), [404, 'NetworkNotFound']);
  });

  test('rbac policies - access_as_external makes a network external for its target only', async () => {
    const net = (await post('networks', 'network', { name: 'uplink' })).body.network;
    assert.equal(net['router:external'], false);
    const external = await rbac({ object_type: 'network', object_id: net.id, action: 'access_as_external', target_tenant: 'rb-e-target' });
    assert.equal(external.status, 201, JSON.stringify(external.body));
    const seen = await api.request('GET', `/v2.0/networks/${net.id}`, member('rb-e-target'));
    assert.deepEqual([seen.status, seen.body.network['router:external'], seen.body.network.shared], [200, true, false]);
    assert.deepEqual(fault(await api.request('GET', `/v2.0/networks/${net.id}`, member('rb-e-other'))), [404, 'NetworkNotFound']);
    assert.deepEqual(ids((await api.request('GET', '/v2.0/networks?router:external=true', member('rb-e-target'))).body.networks), [net.id]);
    assert.equal((await api.request('DELETE', `/v2.0/rbac-policies/${external.body.rbac_policy.id}`)).status, 204);
    assert.equal((await api.request('GET', `/v2.0/networks/${net.id}`)).body.network['router:external'], false, 'no external entry left');

    const wide = (await post('networks', 'network', { name: 'wide', 'router:external': true })).body.network;
    const wideEntries = (await api.request('GET', `/v2.0/rbac-policies?object_id=${wide.id}&action=access_as_external`)).body.rbac_policies;
    assert.deepEqual(wideEntries.map((e: { target_tenant: string }) => e.target_tenant), ['*']);
    assert.equal((await api.request('GET', `/v2.0/networks/${wide.id}`, member('rb-e-other'))).status, 200);
    const sg = (await post('security-groups', 'security_group', { name: 'g' })).body.security_group;
    assert.deepEqual(fault(await rbac({ object_type: 'security_group', object_id: sg.id, action: 'access_as_external', target_tenant: 'x' })), [400, 'InvalidActionForType']);
  });

  test('rbac policies - security groups, address scopes and subnet pools shared with one project', async () => {
    const [OWNER, TARGET, OTHER] = ['rb-o-owner', 'rb-o-target', 'rb-o-other'];
    const share = async (objectType: string, objectId: string) => {
      const res = await rbac({ object_type: objectType, object_id: objectId, action: 'access_as_shared', target_tenant: TARGET }, member(OWNER));
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.rbac_policy.id as string;
    };
    const del = (id: string) => api.request('DELETE', `/v2.0/rbac-policies/${id}`, member(OWNER));

    const sg = (await post('security-groups', 'security_group', { name: 'web' }, member(OWNER))).body.security_group;
    const net = (await post('networks', 'network', { name: 'target-net' }, member(TARGET))).body.network;
    await post('subnets', 'subnet', { network_id: net.id, cidr: '10.73.0.0/24', ip_version: 4 }, member(TARGET));
    assert.deepEqual(fault(await post('ports', 'port', { network_id: net.id, security_groups: [sg.id] }, member(TARGET))), [404, 'SecurityGroupNotFound']);
    const stranger = { object_type: 'security_group', object_id: sg.id, action: 'access_as_shared', target_tenant: OTHER };
    assert.deepEqual(fault(await rbac(stranger, member(OTHER))), [400, 'InvalidInput'], "another project's group, as in Neutron");
    assert.deepEqual(fault(await rbac({ ...stranger, object_id: '4b0c7f5e-9d1a-4c2b-8e3f-6a7b8c9d0e1f' }, member(OTHER))), [404, 'SecurityGroupNotFound']);
    const sgPolicy = await share('security_group', sg.id);
    const seenGroup = await api.request('GET', `/v2.0/security-groups/${sg.id}`, member(TARGET));
    assert.deepEqual([seenGroup.status, seenGroup.body.security_group.shared], [200, true]);
    assert.equal((await api.request('GET', `/v2.0/security-groups/${sg.id}`, member(OWNER))).body.security_group.shared, false);
    assert.deepEqual(fault(await api.request('GET', `/v2.0/security-groups/${sg.id}`, member(OTHER))), [404, 'SecurityGroupNotFound']);
    const port = (await post('ports', 'port', { network_id: net.id, security_groups: [sg.id] }, member(TARGET))).body.port;
    assert.deepEqual(port.security_groups, [sg.id]);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/security-groups/${sg.id}`, { ...member(TARGET), body: { security_group: { name: 'x' } } })), [403, 'PolicyNotAuthorized']);
    assert.deepEqual(fault(await del(sgPolicy)), [409, 'RbacPolicyInUse']);
    assert.equal((await api.request('DELETE', `/v2.0/ports/${port.id}`, member(TARGET))).status, 204);
    assert.equal((await del(sgPolicy)).status, 204);

    const scope = (await post('address-scopes', 'address_scope', { name: 'corp', ip_version: 4 }, member(OWNER))).body.address_scope;
    const joining = { name: 'target-pool', prefixes: ['10.74.0.0/16'], address_scope_id: scope.id };
    assert.deepEqual(fault(await post('subnetpools', 'subnetpool', joining, member(TARGET))), [404, 'AddressScopeNotFound']);
    const scopePolicy = await share('address_scope', scope.id);
    assert.equal((await api.request('GET', `/v2.0/address-scopes/${scope.id}`, member(TARGET))).body.address_scope.shared, true);
    const scoped = await post('subnetpools', 'subnetpool', joining, member(TARGET));
    assert.equal(scoped.status, 201, JSON.stringify(scoped.body));
    assert.deepEqual(fault(await del(scopePolicy)), [409, 'RbacPolicyInUse']);

    const pool = (await post('subnetpools', 'subnetpool', { name: 'owner-pool', prefixes: ['10.75.0.0/16'], default_prefixlen: 24 }, member(OWNER))).body.subnetpool;
    const other = (await post('networks', 'network', { name: 'pool-net' }, member(TARGET))).body.network;
    const carve = () => post('subnets', 'subnet', { network_id: other.id, ip_version: 4, subnetpool_id: pool.id }, member(TARGET));
    assert.deepEqual(fault(await carve()), [404, 'SubnetPoolNotFound']);
    const poolPolicy = await share('subnetpool', pool.id);
    const carved = await carve();
    assert.deepEqual([carved.status, carved.body.subnet?.cidr], [201, '10.75.0.0/24']);
    assert.deepEqual(fault(await del(poolPolicy)), [409, 'RbacPolicyInUse']);
    assert.deepEqual(fault(await api.request('DELETE', `/v2.0/subnetpools/${pool.id}`, member(TARGET))), [403, 'PolicyNotAuthorized']);
    assert.equal((await api.request('DELETE', `/v2.0/subnets/${carved.body.subnet.id}`, member(TARGET))).status, 204);
    assert.equal((await del(poolPolicy)).status, 204);
    assert.deepEqual(fault(await api.request('GET', `/v2.0/subnetpools/${pool.id}`, member(TARGET))), [404, 'SubnetPoolNotFound']);
  });

  test('rbac policies - the rbac_policy quota limits a project\'s entries', async () => {
    const OWNER = 'rb-q-owner';
    assert.equal((await api.request('PUT', `/v2.0/quotas/${OWNER}`, { body: { quota: { rbac_policy: 1 } } })).status, 200);
    const net = (await post('networks', 'network', { name: 'q' }, member(OWNER))).body.network;
    assert.equal((await rbac({ object_type: 'network', object_id: net.id, action: 'access_as_shared', target_tenant: 'a' }, member(OWNER))).status, 201);
    assert.deepEqual(fault(await rbac({ object_type: 'network', object_id: net.id, action: 'access_as_shared', target_tenant: 'b' }, member(OWNER))), [409, 'OverQuota']);
    assert.equal((await api.request('GET', `/v2.0/quotas/${OWNER}/details`, member(OWNER))).body.quota.rbac_policy.used, 1);
  });
});
