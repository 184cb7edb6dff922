import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import {
  FixedIpSchema,
  NeighborStateSchema,
  PortStateSchema,
  RouteSchema,
  RouterInterfaceSchema,
  RouterStateSchema,
  SecurityGroupRuleSchema,
  SecurityGroupStateSchema,
  SubnetStateSchema,
  VpcStateSchema,
} from '../../../src/proto/alcor/v1/goal_state_pb.js';
import { packetAddresses, traceLogical, TraceInputError, type HostGoalState } from '../../../src/dataplane/trace.js';

// Two networks joined by router r: A 10.1.0.0/24 (source port s on h1, next hop appliance n on h2) and
// B 10.2.0.0/24 (port b on h2). Router r has the extra routes 10.9.0.0/16 and 10.2.0.128/25 via 10.1.0.20.
const subnetA = create(SubnetStateSchema, { id: 'sa', vpcId: 'A', ipVersion: 4, cidr: '10.1.0.0/24', gatewayIp: '10.1.0.1' });
const subnetB = create(SubnetStateSchema, { id: 'sb', vpcId: 'B', ipVersion: 4, cidr: '10.2.0.0/24', gatewayIp: '10.2.0.1' });
const open = create(SecurityGroupStateSchema, {
  id: 'open',
  stateful: true,
  rules: ['egress', 'ingress'].map((direction) => create(SecurityGroupRuleSchema, { id: `open-${direction}`, direction, ethertype: 'IPv4' })),
});
const fixed = (subnetId: string, ipAddress: string) => [create(FixedIpSchema, { subnetId, ipAddress })];
const port = (id: string, vpcId: string, subnetId: string, ip: string, extra: { portSecurityEnabled?: boolean; adminStateUp?: boolean } = {}) =>
  create(PortStateSchema, { id, vpcId, macAddress: `fa:16:3e:00:00:${id.length}${id.length}`, fixedIps: fixed(subnetId, ip), adminStateUp: true, portSecurityEnabled: true, securityGroupIds: ['open'], ...extra });
const neighbor = (id: string, vpcId: string, subnetId: string, ip: string, hostId: string) =>
  create(NeighborStateSchema, { id, vpcId, macAddress: 'fa:16:3e:00:00:99', fixedIps: fixed(subnetId, ip), hostId, hostIp: hostId === 'h1' ? '192.0.2.1' : '192.0.2.2', securityGroupIds: ['open'] });
const router = create(RouterStateSchema, {
  id: 'r',
  interfaces: [create(RouterInterfaceSchema, { subnetId: 'sa', ipAddress: '10.1.0.1', macAddress: 'fa:16:3e:aa:00:01' }), create(RouterInterfaceSchema, { subnetId: 'sb', ipAddress: '10.2.0.1' })],
  routes: [create(RouteSchema, { destination: '10.9.0.0/16', nexthop: '10.1.0.20' }), create(RouteSchema, { destination: '10.2.0.128/25', nexthop: '10.1.0.20' })],
});

function host(name: string, ports: ReturnType<typeof port>[]): HostGoalState {
  return {
    host: name,
    vpcs: new Map(['A', 'B'].map((id, i) => [id, create(VpcStateSchema, { id, segmentationId: 100 + i })])),
    subnets: new Map([['sa', subnetA], ['sb', subnetB]]),
    ports: new Map(ports.map((p) => [p.id, p])),
    securityGroups: new Map([['open', open]]),
    routers: new Map([['r', router]]),
    neighbors: new Map([
      ['s', neighbor('s', 'A', 'sa', '10.1.0.10', 'h1')],
      ['n', neighbor('n', 'A', 'sa', '10.1.0.20', 'h2')],
      ['b', neighbor('b', 'B', 'sb', '10.2.0.10', 'h2')],
      ['b2', neighbor('b2', 'B', 'sb', '10.2.0.200', 'h2')],
    ]),
  };
}

const h1 = host('h1', [port('s', 'A', 'sa', '10.1.0.10')]);
const h2 = host('h2', [port('n', 'A', 'sa', '10.1.0.20'), port('b', 'B', 'sb', '10.2.0.10'), port('b2', 'B', 'sb', '10.2.0.200', { portSecurityEnabled: false })]);
const hosts = (name: string) => (name === 'h1' ? h1 : name === 'h2' ? h2 : undefined);
const run = (to: string, source = h1) => traceLogical(source, hosts, { from_port: 's', to, proto: 'icmp' });
const routing = (to: string) => run(to).steps.find((s) => s.stage === 'routing');

test('trace - routing: connected subnets, extra routes, longest prefix, no route', () => {
  assert.deepEqual(routing('10.2.0.10')?.ids, { router: 'r', subnet: 'sb' }, 'connected subnet');
  const viaExtra = run('10.9.1.1');
  assert.equal(viaExtra.verdict, 'allow');
  assert.match(routing('10.9.1.1')?.detail ?? '', /extra route 10\.9\.0\.0\/16 via 10\.1\.0\.20/);
  assert.equal(viaExtra.steps.find((s) => s.stage === 'destination')?.ids?.port, 'n', 'delivered to the next hop');
  assert.match(routing('10.2.0.200')?.detail ?? '', /extra route 10\.2\.0\.128\/25/, 'a longer extra route beats the connected /24');
  const none = run('172.16.0.1');
  assert.equal(none.verdict, 'drop');
  assert.equal(none.reason, 'no route to 172.16.0.1: it is outside every subnet of router r and matches none of its extra routes');
  assert.match(run('10.1.0.1').steps.at(-1)?.detail ?? '', /router r's own interface address: the router answers/);
  assert.equal(run('10.2.0.1').verdict, 'drop', 'the far interface address is not answered from another segment');
});

test('trace - port state: admin down, port security off, missing goal state, wrong family', () => {
  const down = host('h1', [port('s', 'A', 'sa', '10.1.0.10', { adminStateUp: false })]);
  assert.match(run('10.1.0.20', down).reason ?? '', /administratively down/);
  const insecure = host('h1', [port('s', 'A', 'sa', '10.1.0.10', { portSecurityEnabled: false })]);
  const t = run('10.1.0.20', insecure);
  assert.deepEqual([t.verdict, t.steps.map((s) => s.stage)], ['allow', ['port', 'port-security', 'routing', 'destination', 'tunnel', 'ingress']]);
  assert.throws(() => traceLogical(host('h1', []), hosts, { from_port: 's', to: '10.1.0.20', proto: 'icmp' }), TraceInputError);
  assert.throws(() => run('fd00::1'), /has no IPv6 address/);
  const lost = traceLogical(h1, () => undefined, { from_port: 's', to: '10.1.0.20', proto: 'icmp' });
  assert.match(lost.reason ?? '', /not in the goal state of host h2/);
});

test('packet addresses for the host datapath trace - to the port on the same subnet, else to the router interface on it', () => {
  const addresses = (to: string, source = h1, from = 's') => packetAddresses(source, { from_port: from, to, proto: 'icmp' });
  assert.deepEqual(addresses('10.1.0.20'), { sourceMac: 'fa:16:3e:00:00:11', sourceIp: '10.1.0.10', destinationMac: 'fa:16:3e:00:00:99', destinationIp: '10.1.0.20' });
  assert.equal(addresses('10.2.0.10').destinationMac, 'fa:16:3e:aa:00:01');
  assert.equal(addresses('192.168.7.7').destinationMac, 'fa:16:3e:aa:00:01');
  assert.throws(() => addresses('10.1.0.250'), /no port of its subnet has that address/);
  assert.throws(() => addresses('10.1.0.20', h2, 'b'), /no router is attached to its subnet/);
  assert.throws(() => addresses('10.1.0.20', h1, 'missing'), TraceInputError);
  assert.throws(() => addresses('fd00::1'), TraceInputError);
});
