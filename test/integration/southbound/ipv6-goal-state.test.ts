/** IPv6 facts the agents need reach them through the API: modes, the router's gateway, DHCPv6 address and options. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../../harness/wait-for.js';
import { withSouthbound } from './harness.js';

test('southbound - IPv6 modes, the router gateway and a port DHCPv6 address and v6 options reach the host', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    const s = await f.stack();
    const h1 = await f.agent(s.address, 'v6-1', { datapathIp: '192.0.2.61' });
    const net = (await s.request('POST', '/v2.0/networks', { network: { name: 'v6' } })).body.network;
    const v4 = (await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.60.0.0/24', ip_version: 4 } })).body.subnet;
    const v6 = (await s.request('POST', '/v2.0/subnets', {
      subnet: { network_id: net.id, cidr: 'fd00:60::/64', ip_version: 6, ipv6_ra_mode: 'dhcpv6-stateful', ipv6_address_mode: 'dhcpv6-stateful', dns_nameservers: ['fd00:60::53'] },
    })).body.subnet;
    const port = (await s.request('POST', '/v2.0/ports', {
      port: {
        network_id: net.id, 'binding:host_id': 'v6-1',
        extra_dhcp_opts: [{ opt_name: 'domain-search', opt_value: 'example.org', ip_version: 6 }, { opt_name: 'ntp-server', opt_value: '10.60.0.123', ip_version: 4 }],
      },
    })).body.port;
    await waitFor(() => h1.agent.desired.view.dhcp.has(port.id), 10_000, 'port DHCP state on the host');
    const dhcp = h1.agent.desired.view.dhcp.get(port.id)!;
    const address6 = port.fixed_ips.find((ip: { subnet_id: string }) => ip.subnet_id === v6.id).ip_address;
    assert.equal(dhcp.subnetId, v4.id);
    assert.equal(dhcp.ipv6SubnetId, v6.id);
    assert.equal(dhcp.ipv6Address, address6);
    assert.deepEqual(dhcp.ipv6ExtraOptions, { 'domain-search': 'example.org' });
    assert.deepEqual(dhcp.extraOptions, { 'ntp-server': '10.60.0.123' }, 'IPv4 options only for DHCPv4');
    const subnet = h1.agent.desired.view.subnet.get(v6.id)!;
    assert.equal(subnet.ipv6RaMode, 'dhcpv6-stateful');
    assert.equal(subnet.ipv6AddressMode, 'dhcpv6-stateful');
    assert.equal(h1.agent.desired.view.subnet.get(v4.id)!.ipv6RaMode, '');

    const ext = (await s.request('POST', '/v2.0/networks', { network: { name: 'ext', 'router:external': true } })).body.network;
    await s.request('POST', '/v2.0/subnets', { subnet: { network_id: ext.id, cidr: '203.0.113.0/24', ip_version: 4 } });
    const router = (await s.request('POST', '/v2.0/routers', { router: { name: 'r6' } })).body.router;
    assert.equal((await s.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: v6.id })).status, 200);
    await waitFor(() => h1.agent.desired.view.router.has(router.id), 10_000, 'router on the host');
    assert.equal(h1.agent.desired.view.router.get(router.id)!.hasGateway, false);
    const gw = await s.request('PUT', `/v2.0/routers/${router.id}`, { router: { external_gateway_info: { network_id: ext.id } } });
    assert.equal(gw.status, 200, JSON.stringify(gw.body));
    await waitFor(() => h1.agent.desired.view.router.get(router.id)?.hasGateway === true, 10_000, 'gateway reaches the host');
  }),
);
