/**
 * Policy and validation answers made to equal Neutron's: security-group rule errors, the agent list for
 * members, who may share a network, unusable IPv4 addresses, project-scoped paths and quota reads.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fault, startTestApi, type TestApi } from '../../harness/api-server.js';

describe('neutron policy', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.close());

  const P = 'np-p1';
  const member = { project: P, roles: 'member' };

  async function group() {
    return (await api.request('POST', '/v2.0/security-groups', { ...member, body: { security_group: { name: 'g' } } })).body.security_group;
  }

  test('security group rules - an ICMP code without a type names the hyphenated attributes', async () => {
    const sg = await group();
    const r = await api.request('POST', '/v2.0/security-group-rules', {
      ...member,
      body: { security_group_rule: { security_group_id: sg.id, direction: 'ingress', protocol: 'icmp', port_range_max: 4 } },
    });
    assert.deepEqual(fault(r), [400, 'SecurityGroupMissingIcmpType']);
    assert.equal(r.body.NeutronError.message, 'ICMP code (port-range-max) 4 is provided but ICMP type (port-range-min) is missing.');
  });

  test('security group rules - an unknown remote_group_id of any form answers 404 SecurityGroupNotFound', async () => {
    const sg = await group();
    for (const remote of ['not-a-uuid', '00000000-0000-4000-8000-00000000dead']) {
      const r = await api.request('POST', '/v2.0/security-group-rules', {
        ...member,
        body: { security_group_rule: { security_group_id: sg.id, direction: 'ingress', remote_group_id: remote } },
      });
      assert.deepEqual(fault(r), [404, 'SecurityGroupNotFound'], remote);
    }
  });

  test('agents - a member lists no agents (200) and may not show one', async () => {
    const listed = await api.request('GET', '/v2.0/agents', member);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.deepEqual(listed.body.agents, []);
    assert.equal((await api.request('GET', '/v2.0/agents')).status, 200);
    assert.deepEqual(fault(await api.request('GET', '/v2.0/agents/00000000-0000-4000-8000-000000000001', member)), [403, 'PolicyNotAuthorized']);
  });

  test('networks - only an admin may share a network, on create or update', async () => {
    const refused = await api.request('POST', '/v2.0/networks', { ...member, body: { network: { name: 's', shared: true } } });
    assert.deepEqual(fault(refused), [403, 'PolicyNotAuthorized']);
    const own = await api.request('POST', '/v2.0/networks', { ...member, body: { network: { name: 's', shared: false } } });
    assert.equal(own.status, 201);
    const update = await api.request('PUT', `/v2.0/networks/${own.body.network.id}`, { ...member, body: { network: { shared: true } } });
    assert.deepEqual(fault(update), [403, 'PolicyNotAuthorized']);
    assert.equal((await api.request('GET', `/v2.0/networks/${own.body.network.id}`, member)).body.network.shared, false);
    const byAdmin = await api.request('PUT', `/v2.0/networks/${own.body.network.id}`, { project: P, roles: 'admin', body: { network: { shared: true } } });
    assert.equal(byAdmin.body.network.shared, true);
  });

  test('ports - an IPv4 fixed IP equal to the network or broadcast address answers 400 InvalidIpForSubnet', async () => {
    const net = (await api.request('POST', '/v2.0/networks', { ...member, body: { network: { name: 'ip' } } })).body.network;
    const s = (await api.request('POST', '/v2.0/subnets', { ...member, body: { subnet: { network_id: net.id, cidr: '10.70.0.0/24', ip_version: 4, allocation_pools: [{ start: '10.70.0.2', end: '10.70.0.9' }] } } })).body.subnet;
    for (const ip of ['10.70.0.0', '10.70.0.255']) {
      const r = await api.request('POST', '/v2.0/ports', { ...member, body: { port: { network_id: net.id, fixed_ips: [{ subnet_id: s.id, ip_address: ip }] } } });
      assert.deepEqual(fault(r), [400, 'InvalidIpForSubnet'], ip);
    }
    const inside = await api.request('POST', '/v2.0/ports', { ...member, body: { port: { network_id: net.id, fixed_ips: [{ ip_address: '10.70.0.254' }] } } });
    assert.equal(inside.status, 201, 'addresses outside the pools stay usable');
  });

  test('project paths - another project in the path answers 404 unless the caller is admin', async () => {
    const own = await api.request('GET', `/project/${P}/vpcs`, member);
    assert.equal(own.status, 200);
    assert.deepEqual(fault(await api.request('GET', '/project/np-other/vpcs', member)), [404, 'HTTPNotFound']);
    const create = await api.request('POST', '/project/np-other/vpcs', { ...member, body: { network: { name: 'x' } } });
    assert.deepEqual(fault(create), [404, 'HTTPNotFound']);
    assert.equal((await api.request('GET', '/project/np-other/vpcs', { project: P, roles: 'admin' })).status, 200);
    assert.equal((await api.request('GET', '/project/np-other/vpcs')).status, 200, 'no project header: the path names the project');
  });

  test('quotas - a member reading quotas it may not see is told about reading', async () => {
    for (const path of ['/v2.0/quotas', '/v2.0/quotas/np-other', '/v2.0/quotas/np-other/details']) {
      const r = await api.request('GET', path, member);
      assert.deepEqual(fault(r), [403, 'PolicyNotAuthorized'], path);
      assert.match(r.body.NeutronError.message, /read/, path);
      assert.doesNotMatch(r.body.NeutronError.message, /change/, path);
    }
  });
});
