import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApi, type TestApi } from '../../harness/api-server.js';

describe('ports', () => {
  let api: TestApi;
  let net: string;
  let v4: string;
  let small: string;
  before(async () => {
    api = await startTestApi();
    net = (await api.request('POST', '/v2.0/networks', { body: { network: { name: 'pn' } }, project: 'p1' })).body.network.id;
    v4 = (await api.request('POST', '/v2.0/subnets', { body: { subnet: { network_id: net, cidr: '10.0.0.0/24', ip_version: 4 } }, project: 'p1' })).body.subnet.id;
    small = (await api.request('POST', '/v2.0/subnets', { body: { subnet: { network_id: net, cidr: '10.9.0.0/29', ip_version: 4 } }, project: 'p1' })).body.subnet.id;
  });
  after(() => api.close());

  const port = (body: Record<string, unknown>, project = 'p1') => api.request('POST', '/v2.0/ports', { body: { port: { network_id: net, ...body } }, project });

  test('ports - fixed IPs: automatic, by subnet, by address, both, none', async () => {
    const auto = await port({ name: 'auto' });
    assert.equal(auto.status, 201);
    assert.equal(auto.body.port.status, 'DOWN');
    assert.match(auto.body.port.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    assert.deepEqual(auto.body.port.fixed_ips, [{ subnet_id: v4, ip_address: '10.0.0.2' }]);
    assert.equal(auto.body.port.security_groups.length, 1, 'the project default group');
    const bySubnet = await port({ fixed_ips: [{ subnet_id: small }] });
    assert.deepEqual(bySubnet.body.port.fixed_ips, [{ subnet_id: small, ip_address: '10.9.0.2' }]);
    const byIp = await port({ fixed_ips: [{ ip_address: '10.0.0.50' }] });
    assert.deepEqual(byIp.body.port.fixed_ips, [{ subnet_id: v4, ip_address: '10.0.0.50' }]);
    const both = await port({ fixed_ips: [{ subnet_id: v4, ip_address: '10.0.0.250' }, { subnet_id: small }] });
    assert.equal(both.body.port.fixed_ips.length, 2);
    const none = await port({ fixed_ips: [] });
    assert.deepEqual(none.body.port.fixed_ips, []);
  });

  test('ports - address conflicts and bad addresses answer Neutron errors', async () => {
    const taken = await port({ fixed_ips: [{ ip_address: '10.0.0.50' }] });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.NeutronError.type, 'IpAddressAlreadyAllocated');
    const outside = await port({ fixed_ips: [{ subnet_id: v4, ip_address: '10.9.0.3' }] });
    assert.equal(outside.status, 400);
    assert.equal(outside.body.NeutronError.type, 'InvalidIpForSubnet');
    const nowhere = await port({ fixed_ips: [{ ip_address: '192.168.0.1' }] });
    assert.equal(nowhere.status, 400);
    assert.equal(nowhere.body.NeutronError.type, 'InvalidIpForNetwork');
    const badMac = await port({ mac_address: 'zz:16:3e:00:00:01' });
    assert.equal(badMac.status, 400);
    const mac = await port({ mac_address: 'FA:16:3E:AA:00:03' });
    assert.equal(mac.body.port.mac_address, 'fa:16:3e:aa:00:03');
    const dupMac = await port({ mac_address: 'fa:16:3e:aa:00:03' });
    assert.equal(dupMac.status, 409);
    assert.equal(dupMac.body.NeutronError.type, 'MacAddressInUse');
    const notUuid = await port({ network_id: 'not-a-uuid' });
    assert.equal(notUuid.status, 400);
    assert.equal(notUuid.body.NeutronError.type, 'HTTPBadRequest');
  });

  test('ports - pool exhaustion answers 409 IpAddressGenerationFailure and a freed address is reused', async () => {
    // 10.9.0.0/29 has pool .2-.6; .2 is already used by an earlier test.
    const ids: string[] = [];
    for (;;) {
      const r = await port({ fixed_ips: [{ subnet_id: small }] });
      if (r.status !== 201) {
        assert.equal(r.status, 409);
        assert.equal(r.body.NeutronError.type, 'IpAddressGenerationFailure');
        break;
      }
      ids.push(r.body.port.id);
      assert.ok(ids.length < 10, 'the pool must run out');
    }
    const freed = (await api.request('GET', `/v2.0/ports/${ids[1]}`)).body.port.fixed_ips[0].ip_address;
    assert.equal((await api.request('DELETE', `/v2.0/ports/${ids[1]}`, { project: 'p1' })).status, 204);
    const again = await port({ fixed_ips: [{ subnet_id: small }] });
    assert.equal(again.status, 201);
    assert.equal(again.body.port.fixed_ips[0].ip_address, freed);
  });

  test('ports - bulk create is all or nothing', async () => {
    const before = (await api.request('GET', `/v2.0/ports?network_id=${net}`)).body.ports.length;
    const bad = await api.request('POST', '/v2.0/ports', {
      body: { ports: [{ network_id: net, fixed_ips: [{ ip_address: '10.0.0.100' }] }, { network_id: net, fixed_ips: [{ ip_address: '10.0.0.100' }] }] },
      project: 'p1',
    });
    assert.equal(bad.status, 409);
    assert.equal((await api.request('GET', `/v2.0/ports?network_id=${net}`)).body.ports.length, before);
    const good = await api.request('POST', '/project/p1/ports/bulk', {
      body: { ports: [{ network_id: net, fixed_ips: [{ ip_address: '10.0.0.100' }] }, { network_id: net, name: 'b2' }] },
    });
    assert.equal(good.status, 201);
    assert.equal(good.body.ports.length, 2);
    assert.equal(good.body.ports[0].fixed_ips[0].ip_address, '10.0.0.100');
  });

  test('ports - updating fixed_ips releases and allocates atomically', async () => {
    const p = (await port({ fixed_ips: [{ ip_address: '10.0.0.120' }] })).body.port;
    const q = (await port({ fixed_ips: [{ ip_address: '10.0.0.121' }] })).body.port;
    const conflict = await api.request('PUT', `/v2.0/ports/${p.id}`, { body: { port: { fixed_ips: [{ ip_address: '10.0.0.121' }] } }, project: 'p1' });
    assert.equal(conflict.status, 409);
    assert.deepEqual((await api.request('GET', `/v2.0/ports/${p.id}`)).body.port.fixed_ips[0].ip_address, '10.0.0.120', 'unchanged after a failed update');
    const moved = await api.request('PUT', `/v2.0/ports/${p.id}`, { body: { port: { fixed_ips: [{ ip_address: '10.0.0.122' }], name: 'moved' } }, project: 'p1' });
    assert.equal(moved.status, 200);
    assert.deepEqual(moved.body.port.fixed_ips, [{ subnet_id: v4, ip_address: '10.0.0.122' }]);
    assert.equal(moved.body.port.revision_number, 1);
    const reuse = await port({ fixed_ips: [{ ip_address: '10.0.0.120' }] });
    assert.equal(reuse.status, 201, 'the released address is free again');
    assert.equal((await api.request('DELETE', `/v2.0/ports/${q.id}`, { project: 'p1' })).status, 204);
  });

  test('ports - filters on fixed_ips, paging links and sorting', async () => {
    const byIp = await api.request('GET', '/v2.0/ports?fixed_ips=ip_address%3D10.0.0.50', { project: 'p1' });
    assert.equal(byIp.body.ports.length, 1);
    const bySubstr = await api.request('GET', '/v2.0/ports?fixed_ips=ip_address_substr%3D10.9.0.&fields=id&fields=fixed_ips', { project: 'p1' });
    assert.ok(bySubstr.body.ports.length >= 1);
    assert.deepEqual(Object.keys(bySubstr.body.ports[0]).sort(), ['fixed_ips', 'id']);
    const bySubnet = await api.request('GET', `/v2.0/ports?fixed_ips=subnet_id%3D${small}`, { project: 'p1' });
    assert.ok(bySubnet.body.ports.every((p: { fixed_ips: { subnet_id: string }[] }) => p.fixed_ips.some((ip) => ip.subnet_id === small)));
    const all = (await api.request('GET', `/v2.0/ports?network_id=${net}&sort_key=mac_address&sort_dir=asc`, { project: 'p1' })).body.ports;
    const macs = all.map((p: { mac_address: string }) => p.mac_address);
    assert.deepEqual(macs, [...macs].sort());
    const seen: string[] = [];
    let url = `/v2.0/ports?network_id=${net}&limit=2`;
    for (let pages = 0; pages < 50; pages++) {
      const page = await api.request('GET', url, { project: 'p1' });
      seen.push(...page.body.ports.map((p: { id: string }) => p.id));
      const next = (page.body.ports_links ?? []).find((l: { rel: string }) => l.rel === 'next');
      if (!next) break;
      url = new URL(next.href).pathname + new URL(next.href).search;
    }
    assert.deepEqual(seen, all.map((p: { id: string }) => p.id).sort());
    const wrong = await api.request('GET', '/v2.0/ports?no_such_attribute=1', { project: 'p1' });
    assert.equal(wrong.status, 400);
  });

  test('ports - projects are isolated; shared networks accept other projects ports', async () => {
    const mine = (await port({ name: 'private' })).body.port;
    const other = await api.request('GET', `/v2.0/ports/${mine.id}`, { project: 'p2' });
    assert.equal(other.status, 404);
    assert.equal(other.body.NeutronError.type, 'PortNotFound');
    assert.equal((await api.request('DELETE', `/v2.0/ports/${mine.id}`, { project: 'p2' })).status, 404);
    const denied = await port({ name: 'intruder' }, 'p2');
    assert.equal(denied.status, 404);
    await api.request('PUT', `/v2.0/networks/${net}`, { body: { network: { shared: true } }, project: 'p1', roles: 'admin' });
    const shared = await port({ name: 'guest' }, 'p2');
    assert.equal(shared.status, 201);
    assert.equal(shared.body.port.project_id, 'p2');
    const listed = await api.request('GET', '/v2.0/ports', { project: 'p2' });
    assert.deepEqual(listed.body.ports.map((p: { id: string }) => p.id), [shared.body.port.id]);
    const binding = await port({ 'binding:host_id': 'compute-1' }, 'p2');
    assert.equal(binding.status, 403, 'binding is admin-only');
  });

  test('ports - the create answer is the port as a later GET shows it, single and bulk', async () => {
    const n = (await api.request('POST', '/v2.0/networks', { body: { network: { name: 'answer' } } })).body.network.id;
    const a = (await api.request('POST', '/v2.0/subnets', { body: { subnet: { network_id: n, cidr: '10.30.0.0/24', ip_version: 4 } } })).body.subnet.id;
    const b = (await api.request('POST', '/v2.0/subnets', { body: { subnet: { network_id: n, cidr: '10.31.0.0/24', ip_version: 4 } } })).body.subnet.id;
    await api.request('POST', '/v2.0/subnets', {
      body: { subnet: { network_id: n, cidr: 'fd00:30::/64', ip_version: 6, ipv6_address_mode: 'slaac', ipv6_ra_mode: 'slaac' } },
    });
    const group = async (name: string) => (await api.request('POST', '/v2.0/security-groups', { body: { security_group: { name } } })).body.security_group.id;
    const groups = [await group('answer-z'), await group('answer-a'), await group('answer-m')];
    const bodies = [
      { network_id: n },
      {
        network_id: n,
        name: 'full',
        description: 'every attribute',
        admin_state_up: false,
        device_id: 'vm-answer',
        device_owner: 'compute:nova',
        fixed_ips: [{ subnet_id: b }, { subnet_id: a, ip_address: '10.30.0.77' }],
        security_groups: [...groups, groups[0]],
        allowed_address_pairs: [{ ip_address: '10.30.0.200' }, { ip_address: '10.30.1.0/24', mac_address: 'FA:16:3E:00:00:01' }],
        extra_dhcp_opts: [{ opt_name: 'mtu', opt_value: '1400' }],
        'binding:host_id': 'compute-answer',
        'binding:profile': { local_link_information: [{ port_id: 'eth0' }] },
        tags: ['zeta', 'alpha', 'Mid', 'alpha'],
      },
      { network_id: n, port_security_enabled: false, fixed_ips: [], mac_address: 'FA:16:3E:AA:BB:CC' },
    ];
    for (const body of bodies) {
      const created = await api.request('POST', '/v2.0/ports', { body: { port: body } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(created.body.port, (await api.request('GET', `/v2.0/ports/${created.body.port.id}`)).body.port);
    }
    const bulk = await api.request('POST', '/v2.0/ports', { body: { ports: bodies.slice(0, 2).map((p) => ({ ...p, fixed_ips: undefined })) } });
    assert.equal(bulk.status, 201, JSON.stringify(bulk.body));
    for (const created of bulk.body.ports) {
      assert.deepEqual(created, (await api.request('GET', `/v2.0/ports/${created.id}`)).body.port);
    }
  });

  test('ports - deleting a network is refused while any port is on it, owned by a device or not', async () => {
    const n = (await api.request('POST', '/v2.0/networks', { body: { network: { name: 'del' } } })).body.network.id;
    await api.request('POST', '/v2.0/subnets', { body: { subnet: { network_id: n, cidr: '10.20.0.0/24', ip_version: 4 } } });
    const loose = (await api.request('POST', '/v2.0/ports', { body: { port: { network_id: n } } })).body.port;
    const vm = (await api.request('POST', '/v2.0/ports', { body: { port: { network_id: n, device_owner: 'compute:nova', device_id: 'vm-1' } } })).body.port;
    const refused = await api.request('DELETE', `/v2.0/networks/${n}`);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.NeutronError.type, 'NetworkInUse');
    assert.equal((await api.request('GET', `/v2.0/ports/${loose.id}`)).status, 200, 'nothing deleted by a refused delete');
    assert.equal((await api.request('DELETE', `/v2.0/ports/${vm.id}`)).status, 204);
    assert.equal((await api.request('DELETE', `/v2.0/networks/${n}`)).status, 409, 'a port no device owns still blocks');
    assert.equal((await api.request('DELETE', `/v2.0/ports/${loose.id}`)).status, 204);
    assert.equal((await api.request('DELETE', `/v2.0/networks/${n}`)).status, 204);
  });
});
