/**
 * What dual stack costs in flows: the flows one secured port owns on its host (as a local port and as
 * a neighbor) in a network with a router, in Neutron's default security group, IPv4 only vs IPv4 plus a
 * SLAAC address. Pure: computed by the driver's flow engine, no OVS.
 */
import { create } from '@bufbuild/protobuf';
import type { DesiredStateView, KindStates, ResourceKind } from '../agent/driver.js';
import { FlowEngine } from '../agent/drivers/ovs/flow-engine.js';
import {
  FixedIpSchema,
  NeighborStateSchema,
  PortStateSchema,
  RouterStateSchema,
  SecurityGroupStateSchema,
  SubnetStateSchema,
  VpcStateSchema,
} from '../proto/alcor/v1/goal_state_pb.js';

/** Flows owned by one port (local port + its neighbor entry), per address family set. */
export interface FlowsPerPort {
  ipv4: number;
  dualStack: number;
}

function portFlows(dualStack: boolean): number {
  const v = Object.fromEntries(['vpc', 'subnet', 'securityGroup', 'router', 'port', 'dhcp', 'neighbor'].map((k) => [k, new Map()])) as {
    [K in ResourceKind]: Map<string, KindStates[K]>;
  };
  v.vpc.set('n', create(VpcStateSchema, { id: 'n', segmentationId: 7, mtu: 1450, portSecurityEnabled: true }));
  v.subnet.set('s4', create(SubnetStateSchema, { id: 's4', vpcId: 'n', ipVersion: 4, cidr: '10.0.0.0/24', gatewayIp: '10.0.0.1', enableDhcp: true, segmentationId: 7 }));
  v.subnet.set('s6', create(SubnetStateSchema, { id: 's6', vpcId: 'n', ipVersion: 6, cidr: 'fd00::/64', gatewayIp: 'fd00::1', enableDhcp: true, segmentationId: 7, ipv6RaMode: 'slaac', ipv6AddressMode: 'slaac' }));
  v.router.set('r', create(RouterStateSchema, { id: 'r', interfaces: [{ subnetId: 's4', ipAddress: '10.0.0.1', macAddress: 'fa:16:3e:00:00:fe', portId: 'rp4' }, { subnetId: 's6', ipAddress: 'fd00::1', macAddress: 'fa:16:3e:00:00:fe', portId: 'rp6' }] }));
  v.securityGroup.set('default', create(SecurityGroupStateSchema, {
    id: 'default',
    stateful: true,
    rules: ['IPv4', 'IPv6'].flatMap((ethertype) => [
      { id: `e${ethertype}`, direction: 'egress', ethertype },
      { id: `i${ethertype}`, direction: 'ingress', ethertype, remoteGroupId: 'default' },
    ]),
  }));
  const fixedIps = [create(FixedIpSchema, { subnetId: 's4', ipAddress: '10.0.0.10' })];
  if (dualStack) fixedIps.push(create(FixedIpSchema, { subnetId: 's6', ipAddress: 'fd00::f816:3eff:fe00:10' }));
  const common = { id: 'p', vpcId: 'n', macAddress: 'fa:16:3e:00:00:10', fixedIps, securityGroupIds: ['default'] };
  v.port.set('p', create(PortStateSchema, { ...common, adminStateUp: true, portSecurityEnabled: true }));
  v.neighbor.set('p', create(NeighborStateSchema, { ...common, hostId: 'h1', hostIp: '192.168.250.11' }));
  const engine = new FlowEngine();
  engine.recompute({ view: v as DesiredStateView, ofports: new Map([['p', 1]]), host: { hostId: 'h1', datapathIp: '192.168.250.11', tunnelOfport: 4000 } });
  return [...engine.desired().values()].filter((f) => f.owner === 'port/p' || f.owner === 'neighbor/p').length;
}

/** Flows per port, IPv4 only and dual stack. */
export function flowsPerPort(): FlowsPerPort {
  return { ipv4: portFlows(false), dualStack: portFlows(true) };
}
