import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { FlowEngine } from '../../../src/agent/drivers/ovs/flow-engine.js';
import { RouterStateSchema, RouteSchema } from '../../../src/proto/alcor/v1/goal_state_pb.js';
import { sampleInputs, sampleView, type MutableView } from './fixtures.js';

function texts(engine: FlowEngine): string[] {
  return [...engine.desired().values()].map((f) => f.text).sort();
}

function setRoutes(view: MutableView, routes: Array<{ destination: string; nexthop: string }>): void {
  const router = view.router.get('r1')!;
  view.router.set('r1', create(RouterStateSchema, { ...router, routes: routes.map((r) => create(RouteSchema, r)) }));
}

// p2 (10.0.2.10, MAC fa:16:3e:00:00:02) is a local port in sub-b (VNI 200); the router's sub-b MAC is fa:16:3e:bb:00:01.
const NEXTHOP_FLOW = 'table=46,priority=100,reg6=200,reg4=0x0a00020a actions=set_field:fa:16:3e:00:00:02->eth_dst';

test('ovs flows - a router extra route sends matching traffic to its next hop in the next hop\'s network', () => {
  const view = sampleView();
  setRoutes(view, [
    { destination: '172.16.0.0/16', nexthop: '10.0.2.10' },
    { destination: '10.0.2.0/24', nexthop: '10.0.2.10' },
    { destination: '192.168.0.0/16', nexthop: '10.9.9.9' },
  ]);
  const engine = new FlowEngine();
  engine.recompute(sampleInputs(view));
  const all = texts(engine);
  const route = all.find((t) => t.includes('reg6=100,dl_dst=fa:16:3e:aa:00:01,ip,nw_dst=172.16.0.0/16'));
  assert.equal(
    route,
    'table=40,priority=132,reg6=100,dl_dst=fa:16:3e:aa:00:01,ip,nw_dst=172.16.0.0/16 actions=dec_ttl,set_field:fa:16:3e:bb:00:01->eth_src,' +
      'load:200->NXM_NX_REG6[],load:0x0a00020a->NXM_NX_REG4[],resubmit(,46),goto_table:50',
  );
  assert.ok(all.includes(NEXTHOP_FLOW), 'the next hop\'s address resolves to its MAC');
  // On an equal prefix the connected subnet wins.
  const connected = all.find((t) => t.startsWith('table=40,') && t.includes('reg6=100,') && t.includes('nw_dst=10.0.2.0/24 actions=dec_ttl,set_field:fa:16:3e:bb:00:01->eth_src,load:200->NXM_NX_REG6[],goto_table:45'));
  const extra = all.find((t) => t.startsWith('table=40,') && t.includes('reg6=100,') && t.includes('nw_dst=10.0.2.0/24') && t.includes('resubmit'));
  assert.ok(connected && extra);
  assert.ok(Number(/priority=(\d+)/.exec(connected)![1]) > Number(/priority=(\d+)/.exec(extra)![1]));
  assert.ok(!all.some((t) => t.includes('nw_dst=192.168.0.0/16')), 'a next hop outside the router\'s subnets routes nothing');
});

test('ovs flows - adding and removing an extra route touches only the route and its next hop, incrementally', () => {
  const view = sampleView();
  const engine = new FlowEngine();
  engine.recompute(sampleInputs(view));
  assert.ok(!texts(engine).includes(NEXTHOP_FLOW), 'no next-hop entry while no route uses the address');

  setRoutes(view, [{ destination: '172.16.0.0/16', nexthop: '10.0.2.10' }]);
  const added = engine.update(sampleInputs(view), ['router/r1']);
  assert.ok(added.every((m) => m.op === 'add'), 'nothing existing changes');
  assert.deepEqual(added.map((m) => (m.op === 'add' ? m.owner : '')).sort(), ['port/p2', 'router/r1', 'router/r1']);
  const fresh = new FlowEngine();
  fresh.recompute(sampleInputs(view));
  assert.deepEqual(texts(engine), texts(fresh));

  setRoutes(view, []);
  const removed = engine.update(sampleInputs(view), ['router/r1']);
  assert.ok(removed.every((m) => m.op === 'delete') && removed.length === 3);
  const empty = new FlowEngine();
  empty.recompute(sampleInputs(view));
  assert.deepEqual(texts(engine), texts(empty));
});
