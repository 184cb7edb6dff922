import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fault, startTestApi, type TestApi } from '../../harness/api-server.js';

describe('quotas', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ quotaDefaults: 'router=5,floatingip=-1' });
  });
  after(() => api.close());


  test('quotas - each controller enforces its own configured defaults, also for router interface ports', async () => {
    // A second server in this process with other defaults and MAC base must not change the first one's.
    const other = await startTestApi({ quotaDefaults: 'router=1,port=2', macBase: '02:aa:bb:00:00:00' });
    try {
      for (const [server, second] of [[api, 201], [other, 409]] as const) {
        assert.equal((await server.request('POST', '/v2.0/routers', { project: 'q-own', body: { router: { name: 'r1' } } })).status, 201);
        assert.equal((await server.request('POST', '/v2.0/routers', { project: 'q-own', body: { router: { name: 'r2' } } })).status, second);
      }
      const net = (await other.request('POST', '/v2.0/networks', { project: 'q-own', body: { network: { name: 'n' } } })).body.network;
      const sub = (await other.request('POST', '/v2.0/subnets', { project: 'q-own', body: { subnet: { network_id: net.id, cidr: '10.20.0.0/24', ip_version: 4 } } })).body.subnet;
      const router = (await other.request('GET', '/v2.0/routers?name=r1', { project: 'q-own' })).body.routers[0];
      const added = await other.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { project: 'q-own', body: { subnet_id: sub.id } });
      assert.equal(added.status, 200);
      const port = (await other.request('GET', `/v2.0/ports/${added.body.port_id}`, { project: 'q-own' })).body.port;
      assert.match(port.mac_address, /^02:aa:bb:/, 'router interface ports take the configured MAC base');
      assert.equal((await other.request('POST', '/v2.0/ports', { project: 'q-own', body: { port: { network_id: net.id } } })).status, 201);
      const over = await other.request('POST', '/v2.0/ports', { project: 'q-own', body: { port: { network_id: net.id } } });
      assert.deepEqual(fault(over), [409, 'OverQuota'], 'the router interface port counts against port=2');
    } finally {
      await other.close();
    }
  });

  test('quotas - show defaults, update, details and reset', async () => {
    const shown = await api.request('GET', '/v2.0/quotas/q-p1', { project: 'q-p1' });
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.body.quota, { network: 100, subnet: 100, port: 500, router: 5, floatingip: -1, security_group: 10, security_group_rule: 100, subnetpool: -1, rbac_policy: 10 });
    const defaults = await api.request('GET', '/v2.0/quotas/q-p1/default', { project: 'q-p1' });
    assert.equal(defaults.body.quota.router, 5);
    const updated = await api.request('PUT', '/v2.0/quotas/q-p1', { body: { quota: { security_group: 2, network: -1 } } });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.quota.security_group, 2);
    assert.equal(updated.body.quota.network, -1);
    const listed = await api.request('GET', '/v2.0/quotas');
    assert.deepEqual(listed.body.quotas.map((q: { project_id: string }) => q.project_id), ['q-p1']);
    await api.request('POST', '/v2.0/security-groups', { project: 'q-p1', body: { security_group: { name: 's1' } } });
    const details = await api.request('GET', '/v2.0/quotas/q-p1/details', { project: 'q-p1' });
    assert.deepEqual(details.body.quota.security_group, { used: 2, limit: 2, reserved: 0 }, 'default group counts too');
    assert.deepEqual(details.body.quota.security_group_rule, { used: 6, limit: 100, reserved: 0 });
    const over = await api.request('POST', '/v2.0/security-groups', { project: 'q-p1', body: { security_group: { name: 's2' } } });
    assert.deepEqual(fault(over), [409, 'OverQuota']);
    assert.equal((await api.request('DELETE', '/v2.0/quotas/q-p1')).status, 204);
    assert.equal((await api.request('GET', '/v2.0/quotas/q-p1')).body.quota.security_group, 10);
    assert.equal((await api.request('POST', '/v2.0/security-groups', { project: 'q-p1', body: { security_group: { name: 's2' } } })).status, 201);
  });

  test('quotas - enforced on bulk creates, all or nothing', async () => {
    await api.request('GET', '/v2.0/security-groups', { project: 'q-p2' });
    assert.equal((await api.request('PUT', '/v2.0/quotas/q-p2', { body: { quota: { security_group_rule: 5 } } })).status, 200);
    const sg = (await api.request('GET', '/v2.0/security-groups', { project: 'q-p2' })).body.security_groups[0];
    const rule = (port: number) => ({ security_group_id: sg.id, direction: 'ingress', protocol: 'tcp', port_range_min: port, port_range_max: port });
    const bulk = await api.request('POST', '/v2.0/security-group-rules', { project: 'q-p2', body: { security_group_rules: [rule(1), rule(2)] } });
    assert.deepEqual(fault(bulk), [409, 'OverQuota'], '4 default rules + 2 > 5');
    const used = await api.request('GET', '/v2.0/quotas/q-p2/details', { project: 'q-p2' });
    assert.equal(used.body.quota.security_group_rule.used, 4);
    assert.equal((await api.request('POST', '/v2.0/security-group-rules', { project: 'q-p2', body: { security_group_rule: rule(1) } })).status, 201);
  });

  test('quotas - policy and bad input', async () => {
    assert.deepEqual(fault(await api.request('PUT', '/v2.0/quotas/q-p3', { project: 'q-p3', body: { quota: { network: 1 } } })), [403, 'PolicyNotAuthorized']);
    assert.deepEqual(fault(await api.request('DELETE', '/v2.0/quotas/q-p3', { project: 'q-p3' })), [403, 'PolicyNotAuthorized']);
    assert.deepEqual(fault(await api.request('GET', '/v2.0/quotas/q-other', { project: 'q-p3' })), [403, 'PolicyNotAuthorized']);
    assert.deepEqual(fault(await api.request('GET', '/v2.0/quotas', { project: 'q-p3' })), [403, 'PolicyNotAuthorized']);
    assert.equal((await api.request('GET', '/v2.0/quotas/q-p3/details', { project: 'q-p3' })).status, 200);
    assert.deepEqual(fault(await api.request('PUT', '/v2.0/quotas/q-p3', { body: { quota: { network: -2 } } })), [400, 'HTTPBadRequest']);
    assert.deepEqual(fault(await api.request('PUT', '/v2.0/quotas/q-p3', { body: { quota: { widgets: 1 } } })), [400, 'HTTPBadRequest']);
    assert.deepEqual(fault(await api.request('PUT', '/v2.0/quotas/q-p3', { body: { quota: { network: 'x' } } })), [400, 'HTTPBadRequest']);
    assert.deepEqual(fault(await api.request('PUT', '/v2.0/quotas/q-p3', { body: { quotas: {} } })), [400, 'HTTPBadRequest']);
    assert.deepEqual(fault(await api.request('POST', '/v2.0/quotas/q-p3', { body: {} })), [405, 'HTTPMethodNotAllowed']);
    assert.deepEqual((await api.request('GET', '/v2.0/quotas/tenant', { project: 'q-p3' })).body, { tenant: { tenant_id: 'q-p3' } });
    assert.deepEqual(fault(await api.request('DELETE', '/v2.0/quotas/tenant')), [405, 'HTTPMethodNotAllowed']);
  });

  test('quotas - networks and ports are enforced too, single and bulk (Neutron-observed cases)', async () => {
    assert.equal((await api.request('PUT', '/v2.0/quotas/pq', { body: { quota: { network: 1, port: 1 } } })).status, 200);
    const net = await api.request('POST', '/v2.0/networks', { project: 'pq', body: { network: { name: 'pq1' } } });
    assert.equal(net.status, 201);
    assert.deepEqual(fault(await api.request('POST', '/v2.0/networks', { project: 'pq', body: { network: { name: 'pq2' } } })), [409, 'OverQuota']);
    const bulk = await api.request('POST', '/v2.0/ports', { project: 'pq', body: { ports: [{ network_id: net.body.network.id }, { network_id: net.body.network.id }] } });
    assert.deepEqual(fault(bulk), [409, 'OverQuota']);
    assert.equal((await api.request('POST', '/v2.0/ports', { project: 'pq', body: { port: { network_id: net.body.network.id } } })).status, 201);
    assert.deepEqual(fault(await api.request('POST', '/v2.0/ports', { project: 'pq', body: { port: { network_id: net.body.network.id } } })), [409, 'OverQuota']);
    const details = await api.request('GET', '/v2.0/quotas/pq/details', { project: 'pq' });
    assert.deepEqual(details.body.quota.port, { used: 1, limit: 1, reserved: 0 });
  });
});
