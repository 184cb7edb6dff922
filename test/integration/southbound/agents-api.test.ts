/** GET /v2.0/agents: the host registry through the Neutron API. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../../harness/api-server.js';

test('southbound - registered hosts are listed as Neutron agents, to admins only', async () => {
  const api = await startTestApi();
  try {
    const changed = await api.services.hosts.register({ host: 'compute-1', datapathIp: '192.0.2.10', capabilities: ['sim'], agentVersion: '0.1.0', availabilityZone: '', controllerId: 'c1' });
    assert.equal(changed, true, 'a new host reprograms the data plane');
    assert.equal(
      await api.services.hosts.register({ host: 'compute-1', datapathIp: '192.0.2.10', capabilities: ['sim'], agentVersion: '0.1.0', availabilityZone: '', controllerId: 'c1' }),
      false,
      'same datapath IP: nothing to reprogram',
    );
    const list = await api.request('GET', '/v2.0/agents');
    assert.equal(list.status, 200);
    assert.equal(list.body.agents.length, 1);
    const agent = list.body.agents[0];
    assert.equal(agent.host, 'compute-1');
    assert.equal(agent.alive, true);
    assert.equal(agent.agent_type, 'Alcor agent');
    assert.equal(agent.configurations.datapath_ip, '192.0.2.10');
    const one = await api.request('GET', `/v2.0/agents/${agent.id}?fields=host`);
    assert.deepEqual(one.body, { agent: { host: 'compute-1' } });
    const filtered = await api.request('GET', '/v2.0/agents?host=compute-2');
    assert.equal(filtered.body.agents.length, 0);
    const missing = await api.request('GET', '/v2.0/agents/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.NeutronError.type, 'AgentNotFound');
    const user = await api.request('GET', '/v2.0/agents', { project: 'p1', roles: 'member' });
    assert.deepEqual([user.status, user.body.agents], [200, []], 'policy filters the list for members');
    await api.services.hosts.disconnect('compute-1', 'c1');
    const after = await api.request('GET', '/v2.0/agents?alive=false');
    assert.equal(after.body.agents.length, 1);
    const post = await api.request('POST', '/v2.0/agents', { body: {} });
    assert.equal(post.status, 405);
  } finally {
    await api.close();
  }
});
