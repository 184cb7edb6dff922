/**
 * Conflicts with state already in Alcor: a segment outside Alcor's ranges, an IP or MAC held by an Alcor
 * port, a same-id resource with other content, a default group Alcor made first. Each is reported, the
 * resource (and what depends on it) is not half-imported, and a run after the fix completes the import.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { startTestApi, type TestApi } from '../../harness/api-server.js';
import { importFromNeutron } from '../../../src/migrate/importer.js';
import { FIXTURE_QUOTA_DEFAULTS, readNeutron, runImport, runVerify } from './migrate-helpers.js';
import { startNeutronStandIn, type NeutronStandIn } from './neutron-stand-in.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const ADMIN = { project: 'p-admin', roles: 'admin' };
const ALPHA_NET_1 = '19f3281e-533a-44aa-802f-be079ed7cd6f';
const ALPHA_NET_2 = '85d4fa6b-c817-4377-b6cf-00bde598c559';

describe('migrate - conflicts', () => {
  let api: TestApi | undefined;
  let standIn: NeutronStandIn | undefined;
  afterEach(async () => {
    await api?.close();
    await standIn?.close();
    api = undefined;
    standIn = undefined;
  });
  after(async () => {
    await api?.close();
    await standIn?.close();
  });

  test('migrate - segments outside the VXLAN range are conflicts; dependants wait; a run after widening the range completes', async () => {
    standIn = await startNeutronStandIn();
    api = await startTestApi({ quotaDefaults: FIXTURE_QUOTA_DEFAULTS, vxlanRange: '1:600000' });
    const first = await runImport(api, standIn);
    const segmentConflicts = first.conflicts.filter((c) => c.reason === 'segment-out-of-range').map((c) => c.id).sort();
    assert.deepEqual(segmentConflicts, [ALPHA_NET_1, ALPHA_NET_2].sort());
    assert.match(first.conflicts.find((c) => c.id === ALPHA_NET_1)?.message ?? '', /708711 is outside Alcor's VXLAN range \(1:600000\)/);
    // Nothing on those networks was written, not even a single address.
    const leftovers = await api.store.read(async (q) => ({
      networks: await q.all('SELECT id FROM networks WHERE id IN (?, ?)', [ALPHA_NET_1, ALPHA_NET_2]),
      subnets: await q.all('SELECT id FROM subnets WHERE network_id IN (?, ?)', [ALPHA_NET_1, ALPHA_NET_2]),
      ports: await q.all('SELECT id FROM ports WHERE network_id IN (?, ?)', [ALPHA_NET_1, ALPHA_NET_2]),
      ips: await q.all('SELECT ip_address FROM ip_allocations WHERE network_id IN (?, ?)', [ALPHA_NET_1, ALPHA_NET_2]),
    }));
    assert.deepEqual(leftovers, { networks: [], subnets: [], ports: [], ips: [] });
    assert.ok(first.conflicts.every((c) => ['segment-out-of-range', 'missing-dependency'].includes(c.reason)), JSON.stringify(first.conflicts));
    assert.equal(first.created.network, 4);
    // The operator widens the range; the same command finishes the job.
    const second = await importFromNeutron({
      store: api.store, config: { ...api.config, vxlanRange: { min: 1, max: 1_000_000 } }, source: await readNeutron(standIn), sourceUrl: standIn.url,
    });
    assert.deepEqual(second.conflicts, []);
    assert.equal(second.created.network, 2);
    assert.deepEqual((await runVerify(api, standIn)).differences, []);
  });

  test('migrate - an IP or MAC held by an Alcor port and a same-id resource with other content are reported, not imported', async () => {
    standIn = await startNeutronStandIn();
    api = await startTestApi({ quotaDefaults: FIXTURE_QUOTA_DEFAULTS });
    assert.deepEqual((await runImport(api, standIn)).conflicts, []);
    const ports = standIn.body<{ ports: Json[] }>('ports.json').ports;
    const subnets = standIn.body<{ subnets: Json[] }>('subnets.json').subnets;
    const beta1 = subnets.find((s) => s.name === 'beta-subnet-1') as Json;
    // Alcor's own API hands out an address and a MAC after the import...
    const mine = await api.request('POST', '/v2.0/ports', { ...ADMIN, body: { port: { network_id: beta1.network_id, project_id: 'p-beta', name: 'alcor-native' } } });
    assert.equal(mine.status, 201, JSON.stringify(mine.body));
    const native = mine.body.port as Json;
    const nativeNet = await api.request('POST', '/v2.0/networks', { ...ADMIN, body: { network: { name: 'alcor-net', project_id: 'p-beta' } } });
    assert.equal(nativeNet.status, 201);
    // ...and Neutron, still live, gives the same address to one new port and the same MAC to another,
    // and reports a network with the id Alcor's own network has.
    const template = ports.find((p) => p.name === 'beta-spare') as Json;
    const ipTwin = { ...template, id: '00000000-0000-4000-8000-000000000001', name: 'ip-twin', mac_address: 'fa:16:3e:00:00:01', fixed_ips: [{ subnet_id: beta1.id, ip_address: native.fixed_ips[0].ip_address }], tags: [] };
    const macTwin = { ...template, id: '00000000-0000-4000-8000-000000000002', name: 'mac-twin', mac_address: native.mac_address, fixed_ips: [{ subnet_id: beta1.id, ip_address: '10.0.0.98' }], tags: [] };
    standIn.override('ports.json', { ports: [...ports, ipTwin, macTwin] });
    const networks = standIn.body<{ networks: Json[] }>('networks.json').networks;
    const idTwin = { ...(networks.find((n) => n.name === 'beta-net-2') as Json), id: nativeNet.body.network.id, name: 'neutron-name', subnets: [], 'provider:segmentation_id': 4242 };
    standIn.override('networks.json', { networks: [...networks, idTwin] });
    // A Neutron subnet of that network must not land on Alcor's own network of the same id.
    const template2a = subnets.find((x) => x.name === 'beta-subnet-2a') as Json;
    const twinSubnet = { ...template2a, id: '00000000-0000-4000-8000-000000000003', network_id: idTwin.id, cidr: '10.99.0.0/24', gateway_ip: '10.99.0.1', allocation_pools: [{ start: '10.99.0.2', end: '10.99.0.254' }] };
    standIn.override('subnets.json', { subnets: [...subnets, twinSubnet] });
    const run = await runImport(api, standIn);
    const byId = new Map(run.conflicts.map((c) => [c.id, c]));
    assert.equal(byId.get(ipTwin.id)?.reason, 'ip-in-use');
    assert.match(byId.get(ipTwin.id)?.message ?? '', new RegExp(`held by Alcor port ${native.id}`));
    assert.equal(byId.get(macTwin.id)?.reason, 'mac-in-use');
    assert.equal(byId.get(idTwin.id)?.reason, 'same-id-different-content');
    assert.match(byId.get(idTwin.id)?.message ?? '', /name: neutron "neutron-name", alcor "alcor-net"/);
    assert.equal(byId.get(twinSubnet.id)?.reason, 'missing-dependency');
    assert.equal((await api.request('GET', `/v2.0/subnets/${twinSubnet.id}`, ADMIN)).status, 404);
    for (const id of [ipTwin.id, macTwin.id]) assert.equal((await api.request('GET', `/v2.0/ports/${id}`, ADMIN)).status, 404);
    assert.equal((await api.request('GET', `/v2.0/networks/${idTwin.id}`, ADMIN)).body.network.name, 'alcor-net');
    const stray = await api.store.read((q) => q.all('SELECT * FROM ip_allocations WHERE port_id IN (?, ?)', [ipTwin.id, macTwin.id]));
    assert.deepEqual(stray, []);
  });

  test('migrate - an unexpected database error rolls its batch back; the batch is redone one resource per transaction', async () => {
    standIn = await startNeutronStandIn();
    api = await startTestApi({ quotaDefaults: FIXTURE_QUOTA_DEFAULTS });
    const ports = standIn.body<{ ports: Json[] }>('ports.json').ports;
    // A port listing the same address twice passes every check but breaks the allocation table's key.
    const broken = { ...(ports.find((p) => p.name === 'beta-spare') as Json) };
    broken.fixed_ips = [broken.fixed_ips[0], broken.fixed_ips[0]];
    standIn.override('ports.json', { ports: ports.map((p) => (p.id === broken.id ? broken : p)) });
    const run = await runImport(api, standIn);
    assert.deepEqual(run.conflicts.map((c) => [c.id, c.reason]), [[broken.id, 'error']]);
    assert.equal(run.created.port, 40);
    const report = await runVerify(api, standIn);
    assert.deepEqual(report.differences.map((d) => [d.id, d.problem]), [[broken.id, 'missing-in-alcor']]);
    const left = await api.store.read((q) => q.all('SELECT * FROM ip_allocations WHERE port_id = ?', [broken.id]));
    assert.deepEqual(left, []);
    // Fixed in Neutron, the next run imports it and nothing else.
    standIn.override('ports.json', { ports });
    const rerun = await runImport(api, standIn);
    assert.deepEqual(rerun.conflicts, []);
    assert.equal(rerun.created.port, 1);
    assert.deepEqual((await runVerify(api, standIn)).differences, []);
  });

  test('migrate - a default group Alcor created before the import is a conflict that names the fix', async () => {
    standIn = await startNeutronStandIn();
    api = await startTestApi({ quotaDefaults: FIXTURE_QUOTA_DEFAULTS });
    // A tenant looked at Alcor before the move: Alcor made p-beta's default group.
    assert.equal((await api.request('GET', '/v2.0/security-groups', { project: 'p-beta' })).status, 200);
    const run = await runImport(api, standIn);
    const conflict = run.conflicts.find((c) => c.reason === 'default-group-exists');
    assert.ok(conflict, JSON.stringify(run.conflicts));
    assert.match(conflict.message, /project 'p-beta' already has default group .* delete it there and run again/);
    // Ports in that group wait for it; nothing of them is written.
    assert.ok(run.conflicts.some((c) => c.kind === 'port' && c.reason === 'missing-dependency'));
    const alcorDefault = (await api.request('GET', '/v2.0/security-groups?name=default', { project: 'p-beta' })).body.security_groups[0] as Json;
    assert.equal((await api.request('DELETE', `/v2.0/security-groups/${alcorDefault.id}`, ADMIN)).status, 204);
    const rerun = await runImport(api, standIn);
    assert.deepEqual(rerun.conflicts, []);
    assert.deepEqual((await runVerify(api, standIn)).differences, []);
  });
});
