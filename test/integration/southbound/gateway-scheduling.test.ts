/**
 * Where router gateways live: the controller picks a connected host mapping the external network's
 * physnet, spreads gateways, moves one when its host's agent is lost, and shows the choice to admins only.
 * Provider ports bind only on hosts that map their physnet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../../harness/api-server.js';

test('southbound - router gateways go to hosts mapping the external physnet, move on agent loss, and show to admins only', async () => {
  const api = await startTestApi();
  try {
    const register = (host: string, ip: string, mappings: string[]) =>
      api.services.hosts.register({ host, datapathIp: ip, capabilities: ['sim'], agentVersion: '0.2.0', availabilityZone: '', bridgeMappings: mappings, controllerId: 'c1' });
    await register('a-compute', '192.0.2.1', []);
    await register('b-net', '192.0.2.2', ['physnet1:br-ex', 'not a mapping']);
    await register('c-net', '192.0.2.3', ['physnet1:br-ex']);
    const agents = (await api.request('GET', '/v2.0/agents')).body.agents as Array<{ host: string; configurations: { bridge_mappings: unknown } }>;
    assert.deepEqual(Object.fromEntries(agents.map((a) => [a.host, a.configurations.bridge_mappings])), { 'a-compute': {}, 'b-net': { physnet1: 'br-ex' }, 'c-net': { physnet1: 'br-ex' } });

    const ext = (await api.request('POST', '/v2.0/networks', { body: { network: { name: 'ext', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' } } })).body.network;
    await api.request('POST', '/v2.0/subnets', { body: { subnet: { network_id: ext.id, cidr: '203.0.113.0/24', ip_version: 4 } } });
    // A provider port binds only where the physnet is mapped.
    const onCompute = (await api.request('POST', '/v2.0/ports', { body: { port: { network_id: ext.id, 'binding:host_id': 'a-compute' } } })).body.port;
    const onNet = (await api.request('POST', '/v2.0/ports', { body: { port: { network_id: ext.id, 'binding:host_id': 'b-net' } } })).body.port;
    assert.deepEqual([onCompute['binding:vif_type'], onNet['binding:vif_type']], ['binding_failed', 'ovs']);

    const router = async () => (await api.request('POST', '/v2.0/routers', { body: { router: { external_gateway_info: { network_id: ext.id } } } })).body.router;
    const r1 = await router();
    const r2 = await router();
    const hostOf = async (id: string) => (await api.request('GET', `/v2.0/routers/${id}`)).body.router['alcor:gateway_host'];
    assert.deepEqual([await hostOf(r1.id), await hostOf(r2.id)], ['b-net', 'c-net'], 'spread over the two hosts mapping physnet1');
    const member = await api.request('GET', `/v2.0/routers/${r1.id}`, { project: r1.project_id, roles: 'member' });
    assert.equal(member.status, 200);
    assert.equal('alcor:gateway_host' in member.body.router, false, 'members do not see where the gateway lives');

    await api.services.hosts.disconnect('b-net', 'c1');
    assert.equal(await hostOf(r1.id), 'c-net', 'failover to the remaining candidate');
    await api.services.hosts.disconnect('c-net', 'c1');
    assert.equal(await hostOf(r1.id), null, 'no candidate left');
    await register('b-net', '192.0.2.2', ['physnet1:br-ex']);
    assert.deepEqual([await hostOf(r1.id), await hostOf(r2.id)], ['b-net', 'b-net'], 'a candidate coming back takes the orphaned gateways');
    await register('c-net', '192.0.2.3', ['physnet1:br-ex']);
    assert.equal(await hostOf(r1.id), 'b-net', 'a gateway stays where it is while its host remains a candidate');

    await api.request('PUT', `/v2.0/routers/${r1.id}`, { body: { router: { external_gateway_info: {} } } });
    assert.equal((await api.request('GET', `/v2.0/routers/${r1.id}`)).body.router['alcor:gateway_host'], undefined, 'no gateway, no gateway host');
  } finally {
    await api.close();
  }
});
