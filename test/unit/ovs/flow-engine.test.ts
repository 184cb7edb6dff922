import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { FlowEngine } from '../../../src/agent/drivers/ovs/flow-engine.js';
import { diffInstalled, FlowLedger } from '../../../src/agent/drivers/ovs/flow-ledger.js';
import { bundleLine, portRangeMasks, type FlowMod } from '../../../src/agent/drivers/ovs/flow.js';
import { NeighborStateSchema, SecurityGroupRuleSchema, SecurityGroupStateSchema } from '../../../src/proto/alcor/v1/goal_state_pb.js';
import { DesiredState } from '../../../src/agent/desired-state.js';
import { RESOURCE_KINDS } from '../../../src/agent/driver.js';
import { encodeUpsert } from '../../../src/dataplane/wire.js';
import { sampleInputs, sampleView } from './fixtures.js';

function texts(engine: FlowEngine): string[] {
  return [...engine.desired().values()].map((f) => f.text).sort();
}

function apply(installed: Map<bigint, string>, mods: FlowMod[]): void {
  for (const mod of mods) {
    if (mod.op === 'delete') installed.delete(mod.cookie);
    else installed.set(mod.cookie, mod.text);
  }
}

test('ovs flows - port ranges become value/mask matches covering exactly the range', () => {
  assert.deepEqual(portRangeMasks(22, 22), ['22']);
  assert.deepEqual(portRangeMasks(1, 65535), ['1', '0x2/0xfffe', '0x4/0xfffc', '0x8/0xfff8', '0x10/0xfff0', '0x20/0xffe0', '0x40/0xffc0', '0x80/0xff80', '0x100/0xff00', '0x200/0xfe00', '0x400/0xfc00', '0x800/0xf800', '0x1000/0xf000', '0x2000/0xe000', '0x4000/0xc000', '0x8000/0x8000']);
  for (const [min, max] of [[1000, 1999], [80, 81], [0x1000, 0x1fff], [5, 70]] as const) {
    const covered = new Set<number>();
    for (const m of portRangeMasks(min, max)) {
      const [v, mask] = m.includes('/') ? m.split('/').map(Number) : [Number(m), 0xffff];
      for (let p = 0; p < 65536; p++) if ((p & mask!) === v) covered.add(p);
    }
    assert.equal(covered.size, max - min + 1);
    assert.ok([...covered].every((p) => p >= min && p <= max));
  }
});

test('ovs flows - compiled pipeline has anti-spoofing, SG, ARP, routing and tunnel flows', () => {
  const engine = new FlowEngine();
  engine.recompute(sampleInputs());
  const all = texts(engine).join('\n');
  assert.match(all, /table=10,priority=100,in_port=1,dl_src=fa:16:3e:00:00:01,ip,nw_src=10.0.1.10 actions=goto_table:20/);
  assert.match(all, /nw_src=10.0.1.200 actions=goto_table:20/, 'allowed address pair');
  assert.match(all, /table=10,priority=90,in_port=2 actions=goto_table:20/, 'port security off');
  assert.match(all, /table=61,priority=70,ct_state=\+new\+trk,reg7=1,tcp,tp_dst=22 actions=ct\(commit/);
  assert.match(all, /table=61,priority=60,ct_state=\+new\+trk,reg7=1,ip actions=conjunction\(\d+,1\/2\)/);
  assert.match(all, /table=61,priority=60,ip,nw_src=10.0.1.30 actions=conjunction\(\d+,2\/2\)/);
  assert.match(all, /table=50,priority=100,reg6=100,dl_dst=fa:16:3e:00:00:03 actions=set_field:100->tun_id,set_field:192.168.250.12->tun_dst,output:4000/);
  assert.match(all, /table=40,priority=149,reg6=100,dl_dst=fa:16:3e:aa:00:01,ip,nw_dst=10.0.2.0\/24 actions=dec_ttl,set_field:fa:16:3e:bb:00:01->eth_src,load:200->NXM_NX_REG6\[\],goto_table:45/);
  assert.match(all, /table=30,priority=110,reg6=100,arp,arp_op=1,arp_tpa=10.0.1.1 /);
  assert.match(all, /table=45,priority=100,reg6=200,ip,nw_dst=10.0.2.10 actions=set_field:fa:16:3e:00:00:02->eth_dst/, 'local port without neighbor record');
  assert.ok(!/dl_dst=fa:16:3e:00:00:01 actions=set_field:100->tun_id/.test(all), 'no tunnel flow to the local neighbor');
});

test('ovs flows - a second reconcile of the same state yields no modifications', () => {
  const engine = new FlowEngine();
  const inputs = sampleInputs();
  const first = engine.recompute(inputs);
  assert.ok(first.length > 50);
  assert.deepEqual(engine.recompute(inputs), []);
  assert.deepEqual(engine.update(inputs, ['port/p1', 'neighbor/n3', 'router/r1', 'securityGroup/sg-1']), []);
  const installed = new Set(engine.desired().keys());
  assert.deepEqual(diffInstalled(engine.desired(), installed), []);
});

test('ovs flows - incremental updates equal a recompute', () => {
  const view = sampleView();
  const ofports = new Map([['p1', 1]]);
  const incremental = new FlowEngine();
  const installed = new Map<bigint, string>();
  apply(installed, incremental.recompute(sampleInputs(view, ofports)));
  // Interface of p2 appears, a neighbor is added, a rule is added, a neighbor is removed, a router detaches.
  ofports.set('p2', 2);
  apply(installed, incremental.update(sampleInputs(view, ofports), ['iface/p2']));
  view.neighbor.set('n4', create(NeighborStateSchema, { id: 'n4', vpcId: 'net-b', macAddress: 'fa:16:3e:00:00:04', fixedIps: [{ subnetId: 'sub-b', ipAddress: '10.0.2.40' }], hostId: 'h3', hostIp: '192.168.250.13' }));
  apply(installed, incremental.update(sampleInputs(view, ofports), ['neighbor/n4']));
  const sg = view.securityGroup.get('sg-1')!;
  view.securityGroup.set('sg-1', create(SecurityGroupStateSchema, { ...sg, rules: [...sg.rules, create(SecurityGroupRuleSchema, { id: 'r-http', direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', portRangeMin: 80, portRangeMax: 81 })] }));
  const ruleMods = incremental.update(sampleInputs(view, ofports), ['securityGroup/sg-1']);
  assert.equal(ruleMods.length, 1, 'adding one rule adds one flow and touches nothing else');
  apply(installed, ruleMods);
  // A rule that starts referencing a remote group in a new direction adds membership flows for its members.
  const sg2 = view.securityGroup.get('sg-1')!;
  view.securityGroup.set('sg-1', create(SecurityGroupStateSchema, { ...sg2, rules: [...sg2.rules, create(SecurityGroupRuleSchema, { id: 'r-eg-grp', direction: 'egress', ethertype: 'IPv4', protocol: 'udp', remoteGroupId: 'sg-1' })] }));
  const refMods = incremental.update(sampleInputs(view, ofports), ['securityGroup/sg-1']);
  assert.ok(refMods.some((m) => m.op === 'add' && /table=21,priority=60,ip,nw_dst=10.0.1.30 actions=conjunction/.test(m.text)), 'egress membership flow of a remote member');
  apply(installed, refMods);
  view.neighbor.delete('n3');
  const neighborMods = incremental.update(sampleInputs(view, ofports), ['neighbor/n3']);
  assert.ok(neighborMods.every((m) => m.op === 'delete'));
  apply(installed, neighborMods);
  view.router.delete('r1');
  apply(installed, incremental.update(sampleInputs(view, ofports), ['router/r1']));

  const fresh = new FlowEngine();
  fresh.recompute(sampleInputs(view, ofports));
  assert.deepEqual(texts(incremental), texts(fresh));
  assert.deepEqual([...installed.values()].sort(), texts(fresh));
  assert.deepEqual(new Set(installed.keys()), new Set(fresh.desired().keys()));
});

test('ovs flows - deleting a resource removes every flow it owned', () => {
  const view = sampleView();
  const engine = new FlowEngine();
  const installed = new Map<bigint, string>();
  apply(installed, engine.recompute(sampleInputs(view)));
  for (const id of [...view.port.keys()]) view.port.delete(id);
  for (const id of [...view.neighbor.keys()]) view.neighbor.delete(id);
  view.router.clear();
  view.subnet.clear();
  apply(installed, engine.update(sampleInputs(view), ['port/p1', 'port/p2', 'neighbor/p1', 'neighbor/n3', 'router/r1', 'subnet/sub-a', 'subnet/sub-b']));
  const base = new FlowEngine();
  base.recompute(sampleInputs({ ...view }));
  assert.deepEqual([...installed.values()].sort(), texts(base));
});

test('ovs flows - membership flows for one address from two owners merge their conjunctions', () => {
  const ledger = new FlowLedger();
  const a = ledger.replace('neighbor/a', [{ table: 61, priority: 60, match: 'ip,nw_src=10.0.0.5', actions: 'conjunction(1,2/2)' }]);
  const b = ledger.replace('neighbor/b', [{ table: 61, priority: 60, match: 'ip,nw_src=10.0.0.5', actions: 'conjunction(2,2/2)' }]);
  assert.equal(a.length, 1);
  assert.deepEqual(b.map((m) => m.op), ['delete', 'add']);
  assert.match(bundleLine(b[1]!), /^add table=61,priority=60,ip,nw_src=10.0.0.5,cookie=0x[0-9a-f]+ actions=conjunction\(1,2\/2\),conjunction\(2,2\/2\)$/);
  const c = ledger.replace('neighbor/a', []);
  assert.match((c[1] as { text: string }).text, /actions=conjunction\(2,2\/2\)$/);
  assert.equal(ledger.size, 1);
});

test('ovs flows - a port whose groups are all stateless skips conntrack and its rules match every packet', () => {
  const view = sampleView();
  view.securityGroup.set('sg-sl', create(SecurityGroupStateSchema, {
    id: 'sg-sl', stateful: false,
    rules: [create(SecurityGroupRuleSchema, { id: 'sl-in', direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', portRangeMin: 22, portRangeMax: 22 }),
      create(SecurityGroupRuleSchema, { id: 'sl-grp', direction: 'ingress', ethertype: 'IPv4', remoteGroupId: 'sg-sl' })],
  }));
  const p1 = view.port.get('p1')!;
  view.port.set('p1', { ...p1, securityGroupIds: ['sg-sl'] });
  const engine = new FlowEngine();
  engine.recompute(sampleInputs(view));
  const all = texts(engine).join('\n');
  assert.match(all, /table=60,priority=150,reg7=1 actions=ct_clear,goto_table:61/);
  assert.match(all, /table=20,priority=150,reg5=1 actions=ct_clear,goto_table:21/);
  assert.match(all, /table=61,priority=70,reg7=1,tcp,tp_dst=22 actions=goto_table:70/);
  assert.ok(!/reg7=1.*conjunction/.test(all), 'stateless remote-group rules allow nothing');
});

test('ovs flows - the agent desired state (neighbors decoded on read) compiles to the same flows as plain maps', () => {
  const view = sampleView();
  const records = RESOURCE_KINDS.flatMap((kind) =>
    [...view[kind]].map(([id, state]) => encodeUpsert(kind, id, { case: kind, value: state } as Parameters<typeof encodeUpsert>[2])),
  );
  const desired = new DesiredState();
  desired.replace(records);
  const fromMaps = new FlowEngine();
  fromMaps.recompute(sampleInputs());
  const fromAgent = new FlowEngine();
  fromAgent.recompute({ ...sampleInputs(), view: desired.view });
  assert.ok(desired.view.neighbor.size > 0);
  assert.deepEqual(texts(fromAgent), texts(fromMaps));
});
