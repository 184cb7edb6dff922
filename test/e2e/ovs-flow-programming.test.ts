/**
 * Native flow programming against real OVS: the same flows installed through `ovs-ofctl --bundle` and
 * through the agent's binary bundles must dump identically; a bundle with a flow OVS refuses changes
 * nothing and names that flow; the driver isolates a resource whose flows cannot be programmed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import type { DesiredStateView, DriverContext } from '../../src/agent/driver.js';
import { applyFlowMods, FlowRejectedError } from '../../src/agent/drivers/ovs/flow-bundle.js';
import { FlowEngine } from '../../src/agent/drivers/ovs/flow-engine.js';
import { bundleLine, type FlowMod } from '../../src/agent/drivers/ovs/flow.js';
import { OfConnection } from '../../src/agent/drivers/ovs/of-connection.js';
import { OvsDriver } from '../../src/agent/drivers/ovs/ovs-driver.js';
import { NeighborStateSchema } from '../../src/proto/alcor/v1/goal_state_pb.js';
import { run } from '../../src/testbed/exec.js';
import type { OvsHost } from '../../src/testbed/ovs-host.js';
import { cleanupStale, Testbed } from '../../src/testbed/testbed.js';
import { richInputs, richView } from '../unit/ovs/fixtures.js';
import { e2eUnavailable, requireE2e } from './support/prerequisites.js';

const available = e2eUnavailable() === undefined;
let testbed: Testbed;
let host: OvsHost;
const connections: OfConnection[] = [];

before(async () => {
  if (!available) return;
  await cleanupStale();
  testbed = await Testbed.create({ hosts: 1 });
  host = testbed.host('h1');
  for (const bridge of ['br-ofctl', 'br-native']) {
    await host.vsctl(['--', '--may-exist', 'add-br', bridge, '--', 'set', 'bridge', bridge, 'datapath_type=netdev', 'fail_mode=secure', 'protocols=OpenFlow10,OpenFlow13,OpenFlow14,OpenFlow15']);
  }
});

after(async () => {
  for (const c of connections) c.close();
  if (testbed) await testbed.destroy();
});

async function connect(bridge: string): Promise<OfConnection> {
  const connection = new OfConnection(host.mgmtSocket(bridge).replace(/^unix:/, ''), { packetIn: () => undefined });
  connections.push(connection);
  connection.start();
  assert.ok(await connection.waitReady(10_000), `openflow connection to ${bridge}`);
  return connection;
}

async function ofctlBundle(bridge: string, mods: readonly FlowMod[]): Promise<void> {
  await run('ovs-ofctl', ['-O', 'OpenFlow14', '--bundle', 'add-flows', host.mgmtSocket(bridge), '-'], { env: host.env, input: mods.map(bundleLine).join('\n') + '\n' });
}

async function dump(bridge: string): Promise<string[]> {
  const { stdout } = await run('ovs-ofctl', ['-O', 'OpenFlow14', 'dump-flows', '--no-stats', host.mgmtSocket(bridge)], { env: host.env });
  return stdout.split('\n').filter((line) => line.includes('actions=')).map((line) => line.trim()).sort();
}

/** Every flow of the rich fixture, plus remote-neighbor tunnel flows in bulk. */
function flowSet(): FlowMod[] {
  const inputs = richInputs();
  const view = inputs.view.neighbor as Map<string, ReturnType<typeof richView>['neighbor'] extends Map<string, infer N> ? N : never>;
  for (let i = 0; i < 300; i++) {
    view.set(`bulk-${i}`, create(NeighborStateSchema, {
      id: `bulk-${i}`, vpcId: 'net-a', macAddress: `fa:16:3e:10:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
      fixedIps: [{ subnetId: 'sub-a', ipAddress: `10.0.${100 + (i >> 8)}.${i & 255}` }], hostId: `h${10 + (i % 7)}`, hostIp: `192.168.251.${1 + (i % 7)}`, securityGroupIds: ['sg-1'],
    }));
  }
  return new FlowEngine().recompute(inputs);
}

test('ovs flow programming - binary bundles install exactly what ovs-ofctl installs, adds and deletes', async (t) => {
  if (!requireE2e(t)) return;
  const mods = flowSet();
  assert.ok(mods.length > 1000, `${mods.length} flows`);
  const native = await connect('br-native');
  await ofctlBundle('br-ofctl', mods);
  await applyFlowMods(native, mods);
  const viaOfctl = await dump('br-ofctl');
  assert.equal(viaOfctl.length, mods.length);
  assert.deepEqual(await dump('br-native'), viaOfctl);

  // Deletes by cookie, and adds that replace a flow of the same identity in the same bundle.
  const changed: FlowMod[] = [];
  for (const mod of mods.slice(0, 200)) {
    if (mod.op !== 'add') continue;
    changed.push({ op: 'delete', cookie: mod.cookie, owner: mod.owner });
    if (mod.text.includes('actions=goto_table:')) changed.push({ ...mod, cookie: mod.cookie ^ 0xffn, text: mod.text.replace(/actions=.*/, 'actions=drop') });
  }
  await ofctlBundle('br-ofctl', changed);
  await applyFlowMods(native, changed);
  const afterChange = await dump('br-ofctl');
  assert.ok(afterChange.length < viaOfctl.length);
  assert.deepEqual(await dump('br-native'), afterChange);
});

test('ovs flow programming - a bundle with a flow OVS refuses applies nothing and names that flow', async (t) => {
  if (!requireE2e(t)) return;
  const native = await connect('br-native');
  const before = await dump('br-native');
  const good = (i: number): FlowMod => ({ op: 'add', cookie: 0x7700000000n + BigInt(i), owner: `good/${i}`, text: `table=50,priority=100,reg6=99,dl_dst=fa:16:3e:77:00:0${i} actions=load:${i}->NXM_NX_REG7[],goto_table:60` });
  // goto_table may only go forward: OVS refuses this one (OFPBIC_BAD_TABLE_ID) when it is added.
  const refused: FlowMod = { op: 'add', cookie: 0x7800000000n, owner: 'bad/1', text: 'table=50,priority=100,reg6=99,dl_dst=fa:16:3e:78:00:01 actions=goto_table:10' };
  const deleteExisting: FlowMod[] = before.slice(0, 3).map((line) => ({ op: 'delete', cookie: BigInt(/cookie=(0x[0-9a-f]+)/.exec(line)![1]!), owner: 'old' }));
  const batch = [...deleteExisting, good(1), refused, good(2)];
  await assert.rejects(applyFlowMods(native, batch), (err: unknown) => {
    assert.ok(err instanceof FlowRejectedError, String(err));
    assert.equal(err.mod, refused);
    assert.match(err.message, /bad\/1: add table=50,priority=100,reg6=99,dl_dst=fa:16:3e:78:00:01,cookie=0x7800000000 actions=goto_table:10: .*OFPET_BAD_INSTRUCTION/);
    return true;
  });
  assert.deepEqual(await dump('br-native'), before, 'nothing of the refused bundle was applied');
  // The connection stays usable, and without the refused flow the same bundle goes through.
  await applyFlowMods(native, batch.filter((m) => m !== refused));
  const after = await dump('br-native');
  assert.equal(after.length, before.length - 3 + 2);
});

test('ovs flow programming - a flow refused at commit (table full) rolls the whole bundle back and is named', async (t) => {
  if (!requireE2e(t)) return;
  await host.vsctl([
    '--', '--may-exist', 'add-br', 'br-limit', '--', 'set', 'bridge', 'br-limit', 'datapath_type=netdev', 'fail_mode=secure', 'protocols=OpenFlow14',
    '--', '--id=@ft', 'create', 'Flow_Table', 'flow_limit=2', 'overflow_policy=refuse', '--', 'set', 'Bridge', 'br-limit', 'flow_tables:0=@ft',
  ]);
  const limited = await connect('br-limit');
  const flow = (i: number): FlowMod => ({ op: 'add', cookie: BigInt(i), owner: `flow/${i}`, text: `table=0,priority=${100 + i},in_port=${i} actions=drop` });
  // Every message is valid on its own; the third only fails when the bundle is committed.
  await assert.rejects(applyFlowMods(limited, [flow(1), flow(2), flow(3)]), (err: unknown) => {
    assert.ok(err instanceof FlowRejectedError, String(err));
    assert.equal(err.mod.owner, 'flow/3');
    assert.match(err.message, /OFPET_FLOW_MOD_FAILED/);
    return true;
  });
  assert.deepEqual(await dump('br-limit'), [], 'the first two flows were rolled back');
  await applyFlowMods(limited, [flow(1), flow(2)]);
  assert.equal((await dump('br-limit')).length, 2);
});

test('ovs flow programming - the driver fails only the resource whose flows cannot be programmed', async (t) => {
  if (!requireE2e(t)) return;
  const logs: string[] = [];
  const context: DriverContext = {
    hostId: 'h1', datapathIp: host.underlayIp, stateDir: host.rundir, options: { rundir: host.rundir, 'datapath-type': 'netdev' },
    log: (level, message, fields) => logs.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`),
  };
  const driver = new OvsDriver(context);
  await driver.start();
  try {
    const view = richView();
    // A tunnel endpoint that is not an IPv4 address: its tunnel flow cannot be encoded.
    const broken = create(NeighborStateSchema, { id: 'broken', vpcId: 'net-a', macAddress: 'fa:16:3e:00:0b:0b', fixedIps: [{ subnetId: 'sub-a', ipAddress: '10.0.1.77' }], hostId: 'h9', hostIp: '192.168.250.999' });
    view.neighbor.set('broken', broken);
    const n3 = view.neighbor.get('n3')!;
    const outcomes = await driver.apply({
      revision: 1, mode: 'full', desired: view as DesiredStateView,
      changes: [{ kind: 'neighbor', id: 'broken', desired: broken, previous: undefined }, { kind: 'neighbor', id: 'n3', desired: n3, previous: undefined }],
    });
    assert.deepEqual(outcomes.map((o) => [o.id, o.ok]), [['broken', false], ['n3', true]]);
    assert.ok(logs.some((l) => l.includes('flows rejected') && l.includes('192.168.250.999')), logs.join('\n'));
    const installed = await dump('br-int');
    assert.ok(installed.some((l) => l.includes('set_field:192.168.250.12->tun_dst')), 'n3 tunnel flow installed');
    assert.ok(!installed.some((l) => l.includes('10.0.1.77')), 'nothing of the broken neighbor installed');
    assert.equal(driver.details().bundleFailures, 1);
  } finally {
    await driver.close();
  }
});
