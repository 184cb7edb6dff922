import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { FlowEngine } from '../../../src/agent/drivers/ovs/flow-engine.js';
import type { FlowMod } from '../../../src/agent/drivers/ovs/flow.js';
import { NeighborStateSchema } from '../../../src/proto/alcor/v1/goal_state_pb.js';
import { sampleInputs, sampleView } from './fixtures.js';

function texts(engine: FlowEngine): string[] {
  return [...engine.desired().values()].map((f) => f.text).sort();
}

function floodFlows(engine: FlowEngine): string[] {
  return texts(engine).filter((t) => /table=30,priority=5,|table=50,priority=1,/.test(t));
}

const remote = (id: string, vpcId: string, ip: string, hostIp: string, portSecurityDisabled: boolean) =>
  create(NeighborStateSchema, { id, vpcId, macAddress: `fa:16:3e:00:01:${id.slice(-2)}`, fixedIps: [{ subnetId: vpcId === 'net-a' ? 'sub-a' : 'sub-b', ipAddress: ip }], hostId: hostIp, hostIp, portSecurityDisabled });

test('ovs flood - a network with ports without port security floods ARP misses and unknown frames to exactly those ports', () => {
  const view = sampleView();
  view.neighbor.set('n51', remote('n51', 'net-b', '10.0.2.51', '192.168.250.13', true));
  view.neighbor.set('n52', remote('n52', 'net-b', '10.0.2.52', '192.168.250.14', false));
  view.neighbor.set('n53', remote('n53', 'net-b', '10.0.2.53', '192.168.250.11', true));
  const engine = new FlowEngine();
  engine.recompute(sampleInputs(view));
  // p2 (local, ofport 2) and n51 (on another host) have port security off; n52 has it on; n53 is on this host.
  assert.deepEqual(floodFlows(engine), [
    'table=30,priority=5,reg6=200,arp actions=goto_table:50',
    'table=50,priority=1,reg6=200 actions=output:2,set_field:200->tun_id,set_field:192.168.250.13->tun_dst,output:4000',
  ]);
  assert.ok(!texts(engine).some((t) => /reg6=100,arp actions=goto_table:50|table=50,priority=1,reg6=100/.test(t)), 'net-a keeps dropping ARP misses');
});

test('ovs flood - incremental updates of flood targets equal a recompute, and a second update is empty', () => {
  const view = sampleView();
  const ofports = new Map([['p1', 1]]);
  const engine = new FlowEngine();
  const installed = new Map<bigint, string>();
  const apply = (mods: FlowMod[]) => {
    for (const m of mods) m.op === 'delete' ? installed.delete(m.cookie) : installed.set(m.cookie, m.text);
  };
  apply(engine.recompute(sampleInputs(view, ofports)));
  assert.deepEqual(floodFlows(engine), [], 'p2 is not plugged yet');
  ofports.set('p2', 2);
  apply(engine.update(sampleInputs(view, ofports), ['iface/p2']));
  assert.equal(floodFlows(engine).length, 2);
  view.neighbor.set('n51', remote('n51', 'net-a', '10.0.1.51', '192.168.250.13', true));
  apply(engine.update(sampleInputs(view, ofports), ['neighbor/n51']));
  view.port.set('p1', { ...view.port.get('p1')!, portSecurityEnabled: false });
  apply(engine.update(sampleInputs(view, ofports), ['port/p1']));
  assert.ok(floodFlows(engine).includes('table=50,priority=1,reg6=100 actions=output:1,set_field:100->tun_id,set_field:192.168.250.13->tun_dst,output:4000'));
  view.port.delete('p2');
  apply(engine.update(sampleInputs(view, ofports), ['port/p2']));
  assert.ok(!floodFlows(engine).some((t) => t.includes('reg6=200')), 'the last such port of net-b gone: no flooding there');
  assert.deepEqual(engine.update(sampleInputs(view, ofports), ['port/p1', 'neighbor/n51', 'iface/p2']), []);
  const fresh = new FlowEngine();
  fresh.recompute(sampleInputs(view, ofports));
  assert.deepEqual(texts(engine), texts(fresh));
  assert.deepEqual([...installed.values()].sort(), texts(fresh));
});

test('ovs flood - a host stays a target while any of its ports without port security remains', () => {
  const view = sampleView();
  view.port.delete('p2');
  view.neighbor.set('n61', remote('n61', 'net-b', '10.0.2.61', '192.168.250.13', true));
  view.neighbor.set('n62', remote('n62', 'net-b', '10.0.2.62', '192.168.250.13', true));
  const engine = new FlowEngine();
  engine.recompute(sampleInputs(view));
  const tunnelOnly = 'table=50,priority=1,reg6=200 actions=set_field:200->tun_id,set_field:192.168.250.13->tun_dst,output:4000';
  assert.ok(floodFlows(engine).includes(tunnelOnly));
  view.neighbor.delete('n61');
  const isFlood = (m: FlowMod) => m.owner === 'vpc/net-b';
  assert.ok(!engine.update(sampleInputs(view), ['neighbor/n61']).some(isFlood), 'n62 still needs the host: flood flows untouched');
  view.neighbor.delete('n62');
  assert.ok(engine.update(sampleInputs(view), ['neighbor/n62']).some(isFlood));
  assert.deepEqual(floodFlows(engine), []);
});
