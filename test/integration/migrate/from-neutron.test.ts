/**
 * `alcor migrate from-neutron` against the neutron-server 21.0 fixture served by the stand-in: every
 * invariant of the fixture README, checked through Alcor's own API (and its store for routers and
 * floating IPs), plus verify's verdict.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApi, type TestApi } from '../../harness/api-server.js';
import { FIXTURE_QUOTA_DEFAULTS, runImport, runVerify, total } from './migrate-helpers.js';
import { startNeutronStandIn, type NeutronStandIn } from './neutron-stand-in.js';
import type { ImportSummary } from '../../../src/migrate/importer.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Admin requests in a project that already has its default group (admin's own would get a new one). */
const ADMIN = { project: 'p-admin', roles: 'admin' };

describe('migrate - import of the Neutron Zed fixture', () => {
  let api: TestApi;
  let standIn: NeutronStandIn;
  let summary: ImportSummary;
  const neutron = (file: string, key: string): Json[] => standIn.body<Json>(file)[key] as Json[];
  const byName = (items: Json[], name: string): Json => {
    const found = items.find((i) => i.name === name);
    assert.ok(found, `no ${name} in the fixture`);
    return found;
  };

  before(async () => {
    standIn = await startNeutronStandIn(undefined, { pageSize: 7 });
    api = await startTestApi({ quotaDefaults: FIXTURE_QUOTA_DEFAULTS });
    summary = await runImport(api, standIn);
  });
  after(async () => {
    await api?.close();
    await standIn?.close();
  });

  test('migrate - first run imports everything without conflicts', () => {
    assert.deepEqual(summary.conflicts, []);
    assert.equal(summary.created.network, 6);
    assert.equal(summary.created.subnet, 10);
    assert.equal(summary.created.port, 41);
    assert.equal(summary.created.security_group, 8);
    assert.equal(summary.created.security_group_rule, 39);
    assert.equal(summary.created.router, 2);
    assert.equal(summary.created.floatingip, 5);
    assert.equal(summary.created.quota, 1);
    assert.equal(summary.created.rbac_policy, 2);
  });

  test('migrate - every imported resource has a create record in the outbox', async () => {
    const rows = await api.store.read((q) => q.all<{ resource_type: string; resource_id: string; operation: string }>('SELECT resource_type, resource_id, operation FROM changes'));
    const seen = new Set(rows.filter((r) => r.operation === 'create').map((r) => `${r.resource_type}/${r.resource_id}`));
    for (const [file, key, type] of [['networks', 'networks', 'network'], ['subnets', 'subnets', 'subnet'], ['ports', 'ports', 'port'],
      ['security-groups', 'security_groups', 'security_group'], ['security-group-rules', 'security_group_rules', 'security_group_rule'],
      ['routers', 'routers', 'router'], ['floatingips', 'floatingips', 'floatingip']]) {
      for (const item of neutron(`${file}.json`, key as string)) assert.ok(seen.has(`${type}/${item.id}`), `${type} ${item.id} has no outbox record`);
    }
  });

  test('migrate - verify finds no difference after the import', async () => {
    const report = await runVerify(api, standIn);
    assert.deepEqual(report.differences, []);
    assert.equal(total(report.compared), 6 + 10 + 41 + 8 + 39 + 2 + 5 + 1 + 2);
  });

  const list = async (collection: string): Promise<Json[]> => {
    const res = await api.request('GET', `/v2.0/${collection}`, ADMIN);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body[collection.replace(/-/g, '_')] as Json[];
  };
  const ids = (items: Json[]) => items.map((i) => i.id as string).sort();
  const sortedJson = (items: Json[] | undefined) => (items ?? []).map((i) => JSON.stringify(Object.keys(i).sort().map((k) => [k, i[k]]))).sort();

  test('migrate - invariant 1: ids of every resource, the default groups and Neutron-made ports are kept', async () => {
    for (const [collection, key] of [['networks', 'networks'], ['subnets', 'subnets'], ['ports', 'ports'], ['security-groups', 'security_groups'], ['security-group-rules', 'security_group_rules']]) {
      assert.deepEqual(ids(await list(collection as string)), ids(neutron(`${collection}.json`, key as string)), collection);
    }
    // Listing as a tenant must find Neutron's default group, not make a new one.
    for (const project of ['p-admin', 'p-alpha', 'p-beta']) {
      const res = await api.request('GET', '/v2.0/security-groups?name=default', { project });
      const expected = neutron('security-groups.json', 'security_groups').filter((g) => g.name === 'default' && g.project_id === project);
      assert.deepEqual(ids(res.body.security_groups), ids(expected), project);
    }
    const rows = await api.store.read(async (q) => ({
      routers: await q.all<{ id: string }>('SELECT id FROM routers'),
      fips: await q.all<{ id: string }>('SELECT id FROM floatingips'),
      rbac: await q.all<{ id: string }>('SELECT id FROM migrate_rbac_policies'),
      entries: await q.all<{ id: string }>('SELECT id FROM rbac_policies'),
    }));
    assert.deepEqual(ids(rows.routers), ids(neutron('routers.json', 'routers')));
    assert.deepEqual(ids(rows.fips), ids(neutron('floatingips.json', 'floatingips')));
    assert.deepEqual(ids(rows.rbac), ids(neutron('rbac-policies.json', 'rbac_policies')));
    assert.deepEqual(ids(rows.entries), ids(neutron('rbac-policies.json', 'rbac_policies')), 'Neutron policies are the RBAC entries, ids kept');
  });

  test('migrate - invariants 2, 3, 9, 13: owners (also ""), MACs (per network) port attributes, revisions and timestamps', async () => {
    const alcor = new Map((await list('ports')).map((p) => [p.id, p]));
    for (const p of neutron('ports.json', 'ports')) {
      const a = alcor.get(p.id) as Json;
      for (const field of ['project_id', 'tenant_id', 'mac_address', 'name', 'description', 'admin_state_up', 'device_owner', 'device_id',
        'binding:host_id', 'binding:vnic_type', 'port_security_enabled', 'network_id', 'revision_number', 'created_at', 'updated_at']) {
        assert.deepEqual(a[field], p[field], `${p.name || p.id} ${field}`);
      }
      assert.deepEqual(a['binding:profile'], p['binding:profile'], `${p.name} binding:profile`);
      assert.deepEqual(sortedJson(a.allowed_address_pairs), sortedJson(p.allowed_address_pairs), `${p.name} pairs`);
      assert.deepEqual(sortedJson(a.extra_dhcp_opts), sortedJson(p.extra_dhcp_opts), `${p.name} dhcp opts`);
      assert.deepEqual([...a.tags].sort(), [...p.tags].sort(), `${p.name} tags`);
      assert.deepEqual([...a.security_groups].sort(), [...p.security_groups].sort(), `${p.name} groups`);
    }
    const shared = [...alcor.values()].filter((p) => p.mac_address === 'fa:16:3e:aa:00:03').map((p) => p.name).sort();
    assert.deepEqual(shared, ['alpha-vm-3', 'beta-vm-3']);
    const ownerless = [...alcor.values()].filter((p) => p.project_id === '').map((p) => p.device_owner).sort();
    assert.deepEqual(ownerless, ['network:floatingip', 'network:floatingip', 'network:floatingip', 'network:floatingip', 'network:floatingip', 'network:router_gateway', 'network:router_gateway']);
    assert.deepEqual(byName([...alcor.values()], 'alpha-nosec').security_groups, []);
    assert.equal(byName([...alcor.values()], 'alpha-sriov')['binding:vnic_type'], 'direct');
  });

  test('migrate - invariant 4: fixed IPs per port, out-of-pool and SLAAC addresses taken, next address from the pools', async () => {
    const alcor = new Map((await list('ports')).map((p) => [p.id, p]));
    let count = 0;
    for (const p of neutron('ports.json', 'ports')) {
      assert.deepEqual(sortedJson((alcor.get(p.id) as Json).fixed_ips), sortedJson(p.fixed_ips), p.name || p.id);
      count += p.fixed_ips.length;
    }
    assert.equal(count, 56);
    const subnets = neutron('subnets.json', 'subnets');
    const alpha1a = byName(subnets, 'alpha-subnet-1a');
    const beta1 = byName(subnets, 'beta-subnet-1');
    const ports = neutron('ports.json', 'ports');
    // Out-of-pool addresses and gateways held by router interfaces stay allocated in Alcor's IPAM.
    for (const [subnet, ip, owner] of [[alpha1a, '10.0.0.200', ''], [beta1, '10.0.0.150', ''], [alpha1a, '10.0.0.1', 'network:router_interface']] as [Json, string, string][]) {
      const port = { network_id: subnet.network_id, project_id: subnet.project_id, device_owner: owner, fixed_ips: [{ subnet_id: subnet.id, ip_address: ip }] };
      const res = await api.request('POST', '/v2.0/ports', { ...ADMIN, body: { port } });
      assert.equal(res.status, 409, `${ip} must be taken: ${JSON.stringify(res.body)}`);
    }
    const v6fixed = byName(ports, 'beta-v6-fixed');
    const taken = await api.request('POST', '/v2.0/ports', { ...ADMIN, body: { port: { network_id: v6fixed.network_id, project_id: 'p-beta', fixed_ips: [{ ip_address: 'fd00:b2::10' }] } } });
    assert.equal(taken.status, 409);
    // The next automatic address of beta-subnet-1 (pool .50-.99) is a free pool address.
    const used = new Set(ports.flatMap((p) => p.fixed_ips.filter((f: Json) => f.subnet_id === beta1.id).map((f: Json) => f.ip_address)));
    const fresh = await api.request('POST', '/v2.0/ports', { ...ADMIN, body: { port: { network_id: beta1.network_id, project_id: 'p-beta', fixed_ips: [{ subnet_id: beta1.id }] } } });
    assert.equal(fresh.status, 201, JSON.stringify(fresh.body));
    const ip = fresh.body.port.fixed_ips[0].ip_address as string;
    const last = Number(ip.split('.')[3]);
    assert.ok(last >= 50 && last <= 99 && !used.has(ip), `next address ${ip}`);
    const del = await api.request('DELETE', `/v2.0/ports/${fresh.body.port.id}`, ADMIN);
    assert.equal(del.status, 204);
  });

  test('migrate - invariants 5, 6, 7: segments, MTUs, subnet layout and network flags', async () => {
    const alcorNets = new Map((await list('networks')).map((n) => [n.id, n]));
    for (const n of neutron('networks.json', 'networks')) {
      const a = alcorNets.get(n.id) as Json;
      for (const field of ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id', 'mtu', 'shared', 'router:external',
        'admin_state_up', 'port_security_enabled', 'name', 'description', 'project_id', 'revision_number', 'created_at', 'updated_at']) {
        assert.deepEqual(a[field], n[field], `${n.name} ${field}`);
      }
      assert.deepEqual([...a.subnets].sort(), [...n.subnets].sort(), `${n.name} subnets`);
    }
    const alcorSubnets = new Map((await list('subnets')).map((s) => [s.id, s]));
    for (const s of neutron('subnets.json', 'subnets')) {
      const a = alcorSubnets.get(s.id) as Json;
      for (const field of ['cidr', 'ip_version', 'gateway_ip', 'dns_nameservers', 'enable_dhcp', 'ipv6_ra_mode', 'ipv6_address_mode', 'network_id',
        'name', 'project_id', 'revision_number', 'created_at', 'updated_at']) {
        assert.deepEqual(a[field], s[field], `${s.name} ${field}`);
      }
      assert.deepEqual(sortedJson(a.allocation_pools), sortedJson(s.allocation_pools), `${s.name} pools`);
      assert.deepEqual(sortedJson(a.host_routes), sortedJson(s.host_routes), `${s.name} routes`);
    }
    const rbac = await api.store.read((q) => q.all<Json>('SELECT * FROM migrate_rbac_policies ORDER BY action'));
    assert.deepEqual(rbac.map((r) => [r.action, (alcorNets.get(r.object_id) as Json).name, r.target_tenant]), [
      ['access_as_external', 'public', '*'], ['access_as_shared', 'shared-net', '*'],
    ]);
  });

  test('migrate - invariant 8: rule sets per group, remote groups, numeric protocol, ICMP, stateless', async () => {
    const key = (r: Json) => JSON.stringify([r.direction, r.ethertype, r.protocol, r.port_range_min, r.port_range_max, r.remote_ip_prefix, r.remote_group_id]);
    const alcor = new Map((await list('security-groups')).map((g) => [g.id, g]));
    for (const g of neutron('security-groups.json', 'security_groups')) {
      const a = alcor.get(g.id) as Json;
      assert.deepEqual(a.security_group_rules.map(key).sort(), g.security_group_rules.map(key).sort(), g.name);
      assert.equal(a.stateful, g.stateful, g.name);
      assert.deepEqual([...a.tags].sort(), [...g.tags].sort());
    }
    const rules = await list('security-group-rules');
    assert.ok(rules.some((r) => r.protocol === '47'), 'numeric protocol 47 kept');
  });

  test('migrate - invariants 10, 11: routers (gateway, interfaces, routes) and floating IPs', async () => {
    const rows = await api.store.read(async (q) => ({
      routers: await q.all<Json>('SELECT * FROM routers'),
      fips: await q.all<Json>('SELECT * FROM floatingips'),
      allocations: await q.all<Json>('SELECT a.port_id, a.ip_address, p.device_id, p.device_owner FROM ip_allocations a JOIN ports p ON p.id = a.port_id'),
    }));
    for (const r of neutron('routers.json', 'routers')) {
      const a = rows.routers.find((x) => x.id === r.id) as Json;
      assert.equal(a.gw_network_id, r.external_gateway_info.network_id);
      assert.equal(a.enable_snat === 1, r.external_gateway_info.enable_snat);
      const gwIp = rows.allocations.find((x) => x.port_id === a.gw_port_id)?.ip_address;
      assert.equal(gwIp, r.external_gateway_info.external_fixed_ips[0].ip_address, `${r.name} gateway IP`);
      assert.deepEqual(sortedJson(JSON.parse(a.routes)), sortedJson(r.routes), `${r.name} routes`);
      assert.equal(a.distributed, 0);
      assert.equal(a.ha, 0);
      const interfaces = rows.allocations.filter((x) => x.device_id === r.id && x.device_owner === 'network:router_interface').map((x) => x.ip_address).sort();
      const expected = neutron('ports.json', 'ports').filter((p) => p.device_id === r.id && p.device_owner === 'network:router_interface').flatMap((p) => p.fixed_ips.map((f: Json) => f.ip_address)).sort();
      assert.deepEqual(interfaces, expected, `${r.name} interfaces`);
    }
    // Through Alcor's router and floating-IP API as well.
    const apiRouters = new Map((await list('routers')).map((r) => [r.id, r]));
    for (const r of neutron('routers.json', 'routers')) {
      const a = apiRouters.get(r.id) as Json;
      assert.deepEqual(sortedJson(a.routes), sortedJson(r.routes), `${r.name} routes (API)`);
      assert.equal(a.external_gateway_info.network_id, r.external_gateway_info.network_id);
      assert.deepEqual(sortedJson(a.external_gateway_info.external_fixed_ips), sortedJson(r.external_gateway_info.external_fixed_ips));
      for (const field of ['name', 'description', 'project_id', 'admin_state_up', 'distributed', 'ha', 'revision_number', 'created_at', 'updated_at']) {
        assert.deepEqual(a[field], r[field], `${r.name} ${field}`);
      }
      assert.deepEqual([...a.tags].sort(), [...r.tags].sort());
    }
    const apiFips = new Map((await list('floatingips')).map((f) => [f.id, f]));
    for (const f of neutron('floatingips.json', 'floatingips')) {
      const viaApi = apiFips.get(f.id) as Json;
      for (const field of ['floating_ip_address', 'project_id', 'port_id', 'fixed_ip_address', 'router_id', 'description', 'tags']) {
        assert.deepEqual(viaApi[field], f[field], `${f.description} ${field} (API)`);
      }
      const a = rows.fips.find((x) => x.id === f.id) as Json;
      for (const field of ['floating_ip_address', 'project_id', 'floating_network_id', 'port_id', 'fixed_ip_address', 'router_id', 'description', 'revision_number']) {
        assert.deepEqual(a[field], f[field], `${f.description} ${field}`);
      }
      const own = rows.allocations.find((x) => x.port_id === a.floating_port_id);
      assert.equal(own?.ip_address, f.floating_ip_address);
      assert.equal(own?.device_owner, 'network:floatingip');
    }
  });

  test('migrate - invariant 12: p-beta keeps its overrides, the others the defaults', async () => {
    for (const project of ['p-admin', 'p-alpha', 'p-beta']) {
      const res = await api.request('GET', `/v2.0/quotas/${project}`, ADMIN);
      const expected = standIn.body<Json>(`quotas.${project}.json`).quota as Json;
      for (const [resource, limit] of Object.entries(res.body.quota as Json)) assert.equal(limit, expected[resource], `${project} ${resource}`);
    }
  });

});
