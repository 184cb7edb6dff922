/**
 * The smaller Neutron extensions: list filters, floating-IP port details, service providers, DVR routers,
 * router ports' addresses, writable MTU, MAC regeneration and the multi-provider form of a network.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fault, startTestApi, type TestApi } from '../../harness/api-server.js';

describe('neutron extensions', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ vxlanRange: '700:799' });
  });
  after(() => api.close());

  const P = 'ne-p1';
  const member = { project: P, roles: 'member' };
  const ids = (items: { id: string }[]) => items.map((i) => i.id).sort();

  /** A network with one IPv4 subnet, owned by P (or by the admin's default project when `admin`). */
  async function networkWithSubnet(cidr: string, extra: Record<string, unknown> = {}, admin = false) {
    const project = admin ? undefined : P;
    const net = (await api.request('POST', '/v2.0/networks', { project, body: { network: { name: `n-${cidr}`, ...extra } } })).body.network;
    const subnet = (await api.request('POST', '/v2.0/subnets', { project, body: { subnet: { network_id: net.id, cidr, ip_version: 4 } } })).body.subnet;
    return { net, subnet };
  }
  async function port(networkId: string, extra: Record<string, unknown> = {}) {
    const r = await api.request('POST', '/v2.0/ports', { project: P, body: { port: { network_id: networkId, ...extra } } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.port;
  }

  test('extensions - every extension added here is listed', async () => {
    const aliases = (await api.request('GET', '/v2.0/extensions')).body.extensions.map((e: { alias: string }) => e.alias);
    for (const alias of [
      'ip-substring-filtering', 'empty-string-filtering', 'port-security-groups-filtering', 'security-groups-shared-filtering', 'fip-port-details',
      'service-type', 'availability_zone', 'network_availability_zone', 'router_availability_zone', 'dvr', 'l3-port-ip-change-not-allowed',
      'net-mtu-writable', 'port-mac-address-regenerate', 'multi-provider',
    ]) {
      assert.ok(aliases.includes(alias), alias);
    }
    for (const missing of ['dhcp_agent_scheduler', 'l3_agent_scheduler']) assert.ok(!aliases.includes(missing), missing);
  });

  test('filters - IP substrings, empty strings, security groups of ports and shared security groups', async () => {
    const { net } = await networkWithSubnet('10.80.0.0/24');
    const a = await port(net.id, { name: 'a', fixed_ips: [{ ip_address: '10.80.0.17' }] });
    const b = await port(net.id, { name: '', fixed_ips: [{ ip_address: '10.80.0.171' }] });
    const c = await port(net.id, { name: 'c', fixed_ips: [{ ip_address: '10.80.0.200' }] });
    const list = async (query: string) => (await api.request('GET', `/v2.0/ports?network_id=${net.id}&${query}`, { project: P })).body.ports;
    assert.deepEqual(ids(await list('fixed_ips=ip_address_substr%3D0.17')), ids([a, b]));
    assert.deepEqual(ids(await list('fixed_ips=ip_address_substr%3D.200')), ids([c]));
    assert.deepEqual(ids(await list('name=')), ids([b]), 'an empty value matches the empty name');
    const sg = (await api.request('POST', '/v2.0/security-groups', { project: P, body: { security_group: { name: 'web' } } })).body.security_group;
    const guarded = await port(net.id, { security_groups: [sg.id] });
    assert.deepEqual(ids(await list(`security_groups=${sg.id}`)), ids([guarded]));
    const groups = await api.request('GET', '/v2.0/security-groups?shared=false', { project: P });
    assert.ok(groups.body.security_groups.some((g: { id: string }) => g.id === sg.id));
    assert.deepEqual((await api.request('GET', '/v2.0/security-groups?shared=true', { project: P })).body.security_groups, []);
    assert.deepEqual(fault(await api.request('GET', '/v2.0/security-groups?shared=maybe', { project: P })), [400, 'HTTPBadRequest']);
  });

  test('floating IPs - port_details describe the associated port and are null once free', async () => {
    const ext = await networkWithSubnet('198.51.80.0/24', { 'router:external': true }, true);
    const inner = await networkWithSubnet('10.81.0.0/24');
    const vm = await port(inner.net.id, { name: 'vm', device_id: 'vm-1', device_owner: 'compute:nova' });
    const router = (await api.request('POST', '/v2.0/routers', { project: P, body: { router: { external_gateway_info: { network_id: ext.net.id } } } })).body.router;
    await api.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { project: P, body: { subnet_id: inner.subnet.id } });
    const fip = (await api.request('POST', '/v2.0/floatingips', { project: P, body: { floatingip: { floating_network_id: ext.net.id, port_id: vm.id } } })).body.floatingip;
    assert.deepEqual(fip.port_details, {
      name: 'vm', network_id: inner.net.id, mac_address: vm.mac_address, admin_state_up: true, status: vm.status, device_id: 'vm-1', device_owner: 'compute:nova',
    });
    const listed = (await api.request('GET', `/v2.0/floatingips?port_id=${vm.id}`, { project: P })).body.floatingips;
    assert.equal(listed[0].port_details.name, 'vm');
    const freed = await api.request('PUT', `/v2.0/floatingips/${fip.id}`, { project: P, body: { floatingip: { port_id: null } } });
    assert.equal(freed.body.floatingip.port_details, null);
  });

  test('service providers - Alcor provides L3 and the resource is read-only', async () => {
    const r = await api.request('GET', '/v2.0/service-providers', member);
    assert.deepEqual(r.body.service_providers, [{ service_type: 'L3_ROUTER_NAT', name: 'alcor', default: true }]);
    assert.deepEqual((await api.request('GET', '/v2.0/service-providers?service_type=FIREWALL', member)).body.service_providers, []);
    assert.deepEqual((await api.request('GET', '/v2.0/service-providers?fields=name', member)).body.service_providers, [{ name: 'alcor' }]);
    assert.deepEqual(fault(await api.request('GET', '/v2.0/service-providers?colour=red', member)), [400, 'HTTPBadRequest']);
    assert.deepEqual(fault(await api.request('POST', '/v2.0/service-providers', { body: {} })), [405, 'HTTPMethodNotAllowed']);
  });

  test('dvr - routers are distributed; only an admin may say so, and nobody may make one centralized', async () => {
    const plain = (await api.request('POST', '/v2.0/routers', { ...member, body: { router: { name: 'dvr-r' } } })).body.router;
    assert.equal(plain.distributed, true);
    assert.deepEqual(fault(await api.request('POST', '/v2.0/routers', { ...member, body: { router: { distributed: true } } })), [403, 'PolicyNotAuthorized']);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/routers/${plain.id}`, { ...member, body: { router: { distributed: true } } })), [403, 'PolicyNotAuthorized']);
    assert.equal((await api.request('POST', '/v2.0/routers', { body: { router: { distributed: true } } })).body.router.distributed, true);
    assert.deepEqual(fault(await api.request('POST', '/v2.0/routers', { body: { router: { distributed: false } } })), [400, 'InvalidInput']);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/routers/${plain.id}`, { body: { router: { distributed: false } } })), [400, 'InvalidInput']);
    assert.deepEqual((await api.request('GET', '/v2.0/routers?distributed=true&name=dvr-r', { project: P })).body.routers.map((r: { id: string }) => r.id), [plain.id]);
  });

  test('router ports - their fixed IPs cannot change through the port API', async () => {
    const { net, subnet } = await networkWithSubnet('10.82.0.0/24');
    const router = (await api.request('POST', '/v2.0/routers', { project: P, body: { router: { name: 'r' } } })).body.router;
    const info = (await api.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { project: P, body: { subnet_id: subnet.id } })).body;
    const moved = await api.request('PUT', `/v2.0/ports/${info.port_id}`, { project: P, body: { port: { fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.82.0.9' }] } } });
    assert.deepEqual(fault(moved), [400, 'BadRequest']);
    const same = await api.request('PUT', `/v2.0/ports/${info.port_id}`, { project: P, body: { port: { fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.82.0.1' }], name: 'gw' } } });
    assert.equal(same.status, 200, 'restating the same address is no change');
    const vm = await port(net.id);
    const renumbered = await api.request('PUT', `/v2.0/ports/${vm.id}`, { project: P, body: { port: { fixed_ips: [{ ip_address: '10.82.0.77' }] } } });
    assert.equal(renumbered.body.port.fixed_ips[0].ip_address, '10.82.0.77', 'other ports still may');
  });

  test('networks - the MTU is writable within the segment limit', async () => {
    const { net } = await networkWithSubnet('10.83.0.0/24');
    const r = await api.request('PUT', `/v2.0/networks/${net.id}`, { project: P, body: { network: { mtu: 1400 } } });
    assert.equal(r.body.network.mtu, 1400);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/networks/${net.id}`, { project: P, body: { network: { mtu: 9000 } } })), [400, 'InvalidInput']);
  });

  test('ports - mac_address null regenerates the MAC of an unbound port', async () => {
    const { net } = await networkWithSubnet('10.84.0.0/24');
    const p = await port(net.id);
    const r = await api.request('PUT', `/v2.0/ports/${p.id}`, { project: P, body: { port: { mac_address: null } } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.notEqual(r.body.port.mac_address, p.mac_address);
    assert.match(r.body.port.mac_address, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    assert.equal((await api.request('GET', `/v2.0/ports/${p.id}`, { project: P })).body.port.mac_address, r.body.port.mac_address);
  });

  test('multi-provider - one segment in segments is the provider attributes; more, or both forms, are refused', async () => {
    const segment = { 'provider:network_type': 'vxlan', 'provider:segmentation_id': 777 };
    const r = await api.request('POST', '/v2.0/networks', { body: { network: { name: 'mp', segments: [segment] } } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.network['provider:network_type'], 'vxlan');
    assert.equal(r.body.network['provider:segmentation_id'], 777);
    const two = await api.request('POST', '/v2.0/networks', { body: { network: { segments: [segment, { ...segment, 'provider:segmentation_id': 778 }] } } });
    assert.deepEqual(fault(two), [400, 'InvalidInput']);
    const both = await api.request('POST', '/v2.0/networks', { body: { network: { segments: [segment], 'provider:network_type': 'vxlan' } } });
    assert.deepEqual(fault(both), [400, 'SegmentsSetInConjunctionWithProviders']);
    assert.deepEqual(fault(await api.request('POST', '/v2.0/networks', { ...member, body: { network: { segments: [segment] } } })), [403, 'PolicyNotAuthorized']);
  });
});
