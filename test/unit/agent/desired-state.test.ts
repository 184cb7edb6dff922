/** Agent desired state and sim driver: idempotent apply, ordering, VPC cascade, full reconcile. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { NeighborStateSchema, PortStateSchema, VpcStateSchema } from '../../../src/proto/alcor/v1/goal_state_pb.js';
import { encodeDelete, encodeUpsert } from '../../../src/dataplane/wire.js';
import { DesiredState } from '../../../src/agent/desired-state.js';
import { SimDriver } from '../../../src/agent/drivers/sim.js';

const vpc = (id: string, vni: number) => encodeUpsert('vpc', id, { case: 'vpc', value: create(VpcStateSchema, { id, segmentationId: vni }) });
const port = (id: string) => encodeUpsert('port', id, { case: 'port', value: create(PortStateSchema, { id, vpcId: 'v1', macAddress: 'fa:16:3e:00:00:01', fixedIps: [{ subnetId: 's', ipAddress: '10.0.0.2' }] }) });
const neighbor = (id: string, vpcId = 'v1') =>
  encodeUpsert('neighbor', id, { case: 'neighbor', value: create(NeighborStateSchema, { id, vpcId, macAddress: 'fa:16:3e:00:00:02', hostIp: '192.0.2.9', fixedIps: [{ subnetId: 's', ipAddress: '10.0.0.3' }] }) });
const driver = () => new SimDriver({ hostId: 'h', datapathIp: '192.0.2.1', stateDir: '/nonexistent', options: {}, log: () => {} });

test('agent - applying the same records twice yields no changes the second time', () => {
  const d = new DesiredState();
  const records = [neighbor('n1'), port('p1'), vpc('v1', 5)];
  const first = d.applyRecords(records);
  assert.deepEqual(first.map((c) => c.kind), ['vpc', 'port', 'neighbor'], 'upserts in dependency order');
  assert.deepEqual(d.applyRecords(records), [], 'second run is empty');
});

test('agent - leaving a VPC drops its neighbors; deletes come before upserts in reverse order', () => {
  const d = new DesiredState();
  d.applyRecords([vpc('v1', 5), vpc('v2', 6), neighbor('n1'), neighbor('n2'), neighbor('n3', 'v2'), port('p1')]);
  const changes = d.applyRecords([encodeDelete('vpc', 'v1'), encodeDelete('port', 'p1')]);
  assert.deepEqual(changes.map((c) => `${c.kind}:${c.id}:${c.desired ? 'up' : 'del'}`), ['neighbor:n1:del', 'neighbor:n2:del', 'port:p1:del', 'vpc:v1:del']);
  assert.deepEqual([...d.view.neighbor.keys()], ['n3']);
});

test('agent - a snapshot replaces the state; the sim driver reconciles to it and a second run is empty', async () => {
  const d = new DesiredState();
  const sim = driver();
  await sim.start();
  await sim.apply({ revision: 1, mode: 'delta', changes: d.applyRecords([vpc('v1', 5), port('p1'), neighbor('n1'), neighbor('n2')]), desired: d.view });
  const installed = sim.stats().installedEntries;
  assert.ok(installed > 0);
  const changes = d.replace([vpc('v1', 5), port('p1'), neighbor('n2')]);
  assert.deepEqual(changes.map((c) => `${c.kind}:${c.id}:${c.desired ? 'up' : 'del'}`), ['neighbor:n1:del']);
  const outcomes = await sim.apply({ revision: 2, mode: 'full', changes, desired: d.view });
  assert.ok(outcomes.every((o) => o.ok));
  assert.ok(!sim.isInstalled('neighbor', 'n1'));
  const after = sim.stats().installedEntries;
  assert.ok(after < installed);
  assert.deepEqual(d.replace([vpc('v1', 5), port('p1'), neighbor('n2')]), [], 'same snapshot again: nothing to do');
  await sim.apply({ revision: 3, mode: 'full', changes: [], desired: d.view });
  assert.equal(sim.stats().installedEntries, after, 'reconcile of an unchanged state changes no flow');
});

test('agent - a neighbor costs the same number of flow operations whatever is installed', async () => {
  const d = new DesiredState();
  const sim = driver();
  const many = Array.from({ length: 1000 }, (_, i) => neighbor(`n${i}`));
  await sim.apply({ revision: 1, mode: 'delta', changes: d.applyRecords([vpc('v1', 5), ...many]), desired: d.view });
  const before = sim.stats().installedEntries;
  const changes = d.applyRecords([neighbor('extra')]);
  assert.equal(changes.length, 1);
  await sim.apply({ revision: 2, mode: 'delta', changes, desired: d.view });
  assert.equal(sim.stats().installedEntries - before, 2, 'one ARP + one L2 flow');
});

test('agent - the fast neighbor decoder agrees with protobuf-es', async () => {
  const { fromBinary } = await import('@bufbuild/protobuf');
  const { ResourceStateSchema } = await import('../../../src/proto/alcor/v1/goal_state_pb.js');
  const { decodeNeighborRecord } = await import('../../../src/agent/neighbor-decoder.js');
  const raw = encodeUpsert('neighbor', 'n9', {
    case: 'neighbor',
    value: create(NeighborStateSchema, {
      id: 'n9', vpcId: 'v', macAddress: 'fa:16:3e:aa:bb:cc', hostId: 'h7', hostIp: '2001:db8::7', securityGroupIds: ['g1', 'g2'],
      fixedIps: [{ subnetId: 's1', ipAddress: '10.0.0.9' }, { subnetId: 's2', ipAddress: 'fd00::9' }],
      allowedAddressPairs: [{ ipAddress: '10.0.0.0/24', macAddress: '' }], portSecurityDisabled: true,
    }),
  });
  const generic = fromBinary(ResourceStateSchema, raw).state.value;
  assert.deepEqual(decodeNeighborRecord(raw), generic);
});

test('agent - the sim driver renders the flows it counts', async () => {
  const d = new DesiredState();
  const sim = driver();
  await sim.apply({ revision: 1, mode: 'delta', changes: d.applyRecords([vpc('v1', 5), port('p1'), neighbor('n1')]), desired: d.view });
  const flows = [...sim.installedKeys()].flatMap((k) => sim.renderFlows(k));
  assert.equal(flows.length, sim.stats().installedEntries);
  assert.ok(flows.some((f) => f.includes('arp_tpa=10.0.0.3') && f.includes('reg6=5')), 'neighbor ARP responder in VNI 5');
  assert.ok(flows.some((f) => f.includes('tun_dst') && f.includes('192.0.2.9')), 'tunnel to the neighbor host');
});
