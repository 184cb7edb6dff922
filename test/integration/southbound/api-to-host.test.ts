/** End to end through the Neutron API: ports, security-group rules and routers reach the right hosts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../../harness/wait-for.js';
import { ALCOR_VERSION } from '../../../src/version.js';
import { withSouthbound } from './harness.js';

test('southbound - a port created through the API with binding:host_id becomes ACTIVE; SG rule changes reach its host', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    const s = await f.stack();
    const h1 = await f.agent(s.address, 'compute-1', { datapathIp: '192.0.2.11' });
    const h2 = await f.agent(s.address, 'compute-2', { datapathIp: '192.0.2.12' });
    await waitFor(() => s.southbound.server.sessions.size === 2, 10_000, 'agents connected');
    const net = (await s.request('POST', '/v2.0/networks', { network: { name: 'n1' } })).body.network;
    await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.20.0.0/24', ip_version: 4 } });
    const sg = (await s.request('POST', '/v2.0/security-groups', { security_group: { name: 'web' } })).body.security_group;
    const created = await s.request('POST', '/v2.0/ports', {
      port: { network_id: net.id, 'binding:host_id': 'compute-1', device_owner: 'compute:nova', device_id: 'vm-1', security_groups: [sg.id] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const port = created.body.port;
    await waitFor(() => h1.agent.desired.view.port.has(port.id), 10_000, 'port on compute-1');
    assert.equal(h1.agent.desired.view.dhcp.get(port.id)?.ipAddress, port.fixed_ips[0].ip_address);
    assert.ok(h1.agent.desired.view.securityGroup.has(sg.id), 'the port\'s security group is on its host');
    await waitFor(async () => (await s.request('GET', `/v2.0/ports/${port.id}`)).body.port.status === 'ACTIVE', 10_000, 'ACTIVE via API');
    assert.ok(!h2.agent.desired.view.vpc.has(net.id), 'compute-2 has no port in the VPC');

    const rule = await s.request('POST', '/v2.0/security-group-rules', {
      security_group_rule: { security_group_id: sg.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 80, port_range_max: 80 },
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
    await waitFor(() => h1.agent.desired.view.securityGroup.get(sg.id)?.rules.some((r) => r.id === rule.body.security_group_rule.id), 10_000, 'rule on compute-1');
    await s.request('DELETE', `/v2.0/security-group-rules/${rule.body.security_group_rule.id}`);
    await waitFor(() => !h1.agent.desired.view.securityGroup.get(sg.id)?.rules.some((r) => r.id === rule.body.security_group_rule.id), 10_000, 'rule removed');

    const moved = await s.request('PUT', `/v2.0/ports/${port.id}`, { port: { 'binding:host_id': 'compute-2' } });
    assert.equal(moved.status, 200);
    await waitFor(() => h2.agent.desired.view.port.has(port.id) && !h1.agent.desired.view.port.has(port.id), 10_000, 'moved');
    await waitFor(async () => (await s.request('GET', `/v2.0/ports/${port.id}`)).body.port.status === 'ACTIVE', 10_000, 'ACTIVE on compute-2');
    const agentsList = await s.request('GET', '/v2.0/agents');
    assert.deepEqual(agentsList.body.agents.map((a: { host: string }) => a.host).sort(), ['compute-1', 'compute-2']);
    for (const a of agentsList.body.agents) assert.equal(a.configurations.agent_version, ALCOR_VERSION, 'each agent reports the version it sent in its Hello');
  }),
);

test('southbound - a router joins hosts to the networks behind it (L3 neighbors) and its routes reach them', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    const s = await f.stack();
    const h1 = await f.agent(s.address, 'r-1', { datapathIp: '192.0.2.21' });
    const h2 = await f.agent(s.address, 'r-2', { datapathIp: '192.0.2.22' });
    const h3 = await f.agent(s.address, 'r-3', { datapathIp: '192.0.2.23' });
    const netA = (await s.request('POST', '/v2.0/networks', { network: { name: 'a' } })).body.network;
    const netB = (await s.request('POST', '/v2.0/networks', { network: { name: 'b' } })).body.network;
    const subA = (await s.request('POST', '/v2.0/subnets', { subnet: { network_id: netA.id, cidr: '10.30.0.0/24', ip_version: 4 } })).body.subnet;
    const subB = (await s.request('POST', '/v2.0/subnets', { subnet: { network_id: netB.id, cidr: '10.31.0.0/24', ip_version: 4 } })).body.subnet;
    const pa = (await s.request('POST', '/v2.0/ports', { port: { network_id: netA.id, 'binding:host_id': 'r-1' } })).body.port;
    const pb = (await s.request('POST', '/v2.0/ports', { port: { network_id: netB.id, 'binding:host_id': 'r-2' } })).body.port;
    await waitFor(() => h1.agent.desired.view.port.has(pa.id) && h2.agent.desired.view.port.has(pb.id), 10_000, 'ports placed');
    assert.ok(!h1.agent.desired.view.neighbor.has(pb.id), 'no L3 path yet');

    const router = (await s.request('POST', '/v2.0/routers', { router: { name: 'r' } })).body.router;
    assert.equal((await s.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: subA.id })).status, 200);
    assert.equal((await s.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: subB.id })).status, 200);
    await waitFor(() => h1.agent.desired.view.router.get(router.id)?.interfaces.length === 2, 10_000, 'router on r-1');
    await waitFor(() => h1.agent.desired.view.neighbor.has(pb.id) && h2.agent.desired.view.neighbor.has(pa.id), 10_000, 'L3 neighbors');
    assert.ok(h1.agent.desired.view.subnet.has(subB.id), 'r-1 knows the subnet behind the router');
    assert.equal(h1.agent.desired.view.neighbor.get(pb.id)?.portSecurityDisabled, false, 'a secured port is a secured neighbor');
    const unsecured = await s.request('PUT', `/v2.0/ports/${pb.id}`, { port: { port_security_enabled: false, security_groups: [] } });
    assert.equal(unsecured.status, 200, JSON.stringify(unsecured.body));
    await waitFor(() => h1.agent.desired.view.neighbor.get(pb.id)?.portSecurityDisabled === true, 10_000, 'port security off reaches the other hosts');
    assert.ok(!h3.agent.desired.view.router.has(router.id), 'r-3 has no port behind the router');

    const routes = [{ destination: '172.20.0.0/16', nexthop: '10.30.0.100' }];
    const updated = await s.request('PUT', `/v2.0/routers/${router.id}`, { router: { routes } });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    await waitFor(() => h1.agent.desired.view.router.get(router.id)?.routes.length === 1 && h2.agent.desired.view.router.get(router.id)?.routes.length === 1, 10_000, 'routes on both hosts');
    await s.request('PUT', `/v2.0/routers/${router.id}`, { router: { routes: [] } });

    assert.equal((await s.request('PUT', `/v2.0/routers/${router.id}/remove_router_interface`, { subnet_id: subB.id })).status, 200);
    await waitFor(() => !h1.agent.desired.view.vpc.has(netB.id) && !h1.agent.desired.view.neighbor.has(pb.id), 10_000, 'r-1 left network b');
    await waitFor(() => !h2.agent.desired.view.router.has(router.id), 10_000, 'r-2 lost the router');
  }),
);
