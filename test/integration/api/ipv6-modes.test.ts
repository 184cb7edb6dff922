import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApi, type TestApi } from '../../harness/api-server.js';

const MODES = [undefined, 'slaac', 'dhcpv6-stateful', 'dhcpv6-stateless'] as const;

describe('IPv6 address and RA modes', () => {
  let api: TestApi;
  let networkId: string;
  before(async () => {
    api = await startTestApi();
    networkId = (await api.request('POST', '/v2.0/networks', { body: { network: { name: 'v6' } } })).body.network.id;
  });
  after(() => api.close());

  let next = 0;
  const create = (subnet: Record<string, unknown>) =>
    api.request('POST', '/v2.0/subnets', { body: { subnet: { network_id: networkId, ip_version: 6, cidr: `fd00:${(next++).toString(16)}::/64`, ...subnet } } });

  test('ipv6 modes - every combination of Neutron table: equal or one unset is valid, two different values are 400', async () => {
    for (const ra of MODES) {
      for (const address of MODES) {
        const r = await create({ ipv6_ra_mode: ra, ipv6_address_mode: address });
        const valid = ra === undefined || address === undefined || ra === address;
        assert.equal(r.status, valid ? 201 : 400, `${ra}/${address}: ${JSON.stringify(r.body)}`);
        if (valid) {
          assert.equal(r.body.subnet.ipv6_ra_mode, ra ?? null);
          assert.equal(r.body.subnet.ipv6_address_mode, address ?? null);
        } else {
          assert.equal(r.body.NeutronError.type, 'InvalidInput');
          assert.match(r.body.NeutronError.message, /they must be the same value/);
        }
      }
    }
  });

  test('ipv6 modes - IPv4 subnets, DHCP disabled and non-/64 EUI-64 prefixes answer 400; the database is unchanged', async () => {
    const before = (await api.request('GET', '/v2.0/subnets')).body.subnets.length;
    for (const body of [
      { ip_version: 4, cidr: '10.9.0.0/24', ipv6_ra_mode: 'slaac' },
      { ip_version: 4, cidr: '10.9.0.0/24', ipv6_address_mode: 'dhcpv6-stateful' },
      { ipv6_address_mode: 'dhcpv6-stateful', enable_dhcp: false },
      { ipv6_ra_mode: 'slaac', enable_dhcp: false },
      { cidr: 'fd01::/80', ipv6_address_mode: 'slaac' },
      { cidr: 'fd01::/56', ipv6_ra_mode: 'dhcpv6-stateless' },
    ]) {
      const r = await create(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.NeutronError.type, 'InvalidInput', JSON.stringify(r.body));
      assert.match(r.body.NeutronError.message, /^Invalid input for operation: /);
    }
    assert.equal((await api.request('GET', '/v2.0/subnets')).body.subnets.length, before);
    const stateful = await create({ cidr: 'fd01::/80', ipv6_ra_mode: 'dhcpv6-stateful', ipv6_address_mode: 'dhcpv6-stateful' });
    assert.equal(stateful.status, 201, 'a stateful subnet needs no /64');
    const off = await api.request('PUT', `/v2.0/subnets/${stateful.body.subnet.id}`, { body: { subnet: { enable_dhcp: false } } });
    assert.equal(off.status, 400);
    assert.match(off.body.NeutronError.message, /Cannot disable enable_dhcp with ipv6 attributes set/);
    assert.equal((await api.request('GET', `/v2.0/subnets/${stateful.body.subnet.id}`)).body.subnet.enable_dhcp, true);
  });

  test('ipv6 modes - SLAAC and stateless ports get the EUI-64 address of their MAC; stateful ones an address from the pool; a requested auto address is 400', async () => {
    const slaac = (await create({ ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' })).body.subnet;
    const net2 = (await api.request('POST', '/v2.0/networks', { body: { network: { name: 'v6b' } } })).body.network.id;
    const mk = (network_id: string, cidr: string, mode: string) =>
      api.request('POST', '/v2.0/subnets', { body: { subnet: { network_id, ip_version: 6, cidr, ipv6_ra_mode: mode, ipv6_address_mode: mode } } });
    const stateless = (await mk(net2, 'fd02:1::/64', 'dhcpv6-stateless')).body.subnet;
    const net3 = (await api.request('POST', '/v2.0/networks', { body: { network: { name: 'v6c' } } })).body.network.id;
    const stateful = (await mk(net3, 'fd02:2::/64', 'dhcpv6-stateful')).body.subnet;
    const mac = 'fa:16:3e:12:34:56';
    const port = (network_id: string) => api.request('POST', '/v2.0/ports', { body: { port: { network_id, mac_address: mac } } });
    const p1 = (await port(networkId)).body.port;
    assert.ok(p1.fixed_ips.some((f: { subnet_id: string; ip_address: string }) => f.subnet_id === slaac.id && f.ip_address === `${slaac.cidr.slice(0, -5)}::f816:3eff:fe12:3456`), JSON.stringify(p1.fixed_ips));
    const p2 = (await port(net2)).body.port;
    assert.deepEqual(p2.fixed_ips, [{ subnet_id: stateless.id, ip_address: 'fd02:1::f816:3eff:fe12:3456' }]);
    const p3 = (await port(net3)).body.port;
    assert.deepEqual(p3.fixed_ips, [{ subnet_id: stateful.id, ip_address: 'fd02:2::1' }]);
    const direct = await api.request('POST', '/v2.0/ports', { body: { port: { network_id: net2, fixed_ips: [{ subnet_id: stateless.id, ip_address: 'fd02:1::99' }] } } });
    assert.equal(direct.status, 400);
    assert.equal(direct.body.NeutronError.type, 'AllocationOnAutoAddressSubnet');
    assert.match(direct.body.NeutronError.message, /cannot be directly assigned to a port on subnet .* as the subnet is configured for automatic addresses/);
  });

  test('ipv6 modes - a subnet taking RAs from an external router cannot be a router interface (400)', async () => {
    const external = (await create({ ipv6_address_mode: 'slaac' })).body.subnet;
    const inside = (await create({ ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' })).body.subnet;
    const router = (await api.request('POST', '/v2.0/routers', { body: { router: { name: 'r6' } } })).body.router;
    const bad = await api.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { body: { subnet_id: external.id } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.NeutronError.message, /configured to receive RAs from an external router/);
    const ok = await api.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { body: { subnet_id: inside.id } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });

  test('ipv6 modes - IPv6 security group rules refuse IPv4 prefixes and IPv4 rules refuse ICMPv6', async () => {
    const sg = (await api.request('POST', '/v2.0/security-groups', { body: { security_group: { name: 'v6' } } })).body.security_group;
    const rule = (r: Record<string, unknown>) => api.request('POST', '/v2.0/security-group-rules', { body: { security_group_rule: { security_group_id: sg.id, direction: 'ingress', ...r } } });
    const v4Prefix = await rule({ ethertype: 'IPv6', protocol: 'tcp', remote_ip_prefix: '10.0.0.0/8' });
    assert.equal(v4Prefix.status, 400);
    assert.equal(v4Prefix.body.NeutronError.type, 'SecurityGroupRuleParameterConflict');
    const icmp6 = await rule({ ethertype: 'IPv4', protocol: 'ipv6-icmp' });
    assert.equal(icmp6.status, 400);
    const ok = await rule({ ethertype: 'IPv6', protocol: 'icmp', port_range_min: 128, port_range_max: 0, remote_ip_prefix: 'fd00::/8' });
    assert.equal(ok.status, 201);
    assert.equal(ok.body.security_group_rule.protocol, 'ipv6-icmp');
  });
});
