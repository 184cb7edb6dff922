/** Hand-built desired states for the OVS driver's pure tests. */
import { create } from '@bufbuild/protobuf';
import type { DesiredStateView, KindStates, ResourceKind } from '../../../src/agent/driver.js';
import {
  DhcpStateSchema,
  NeighborStateSchema,
  PortStateSchema,
  RouterStateSchema,
  SecurityGroupStateSchema,
  SubnetStateSchema,
  VpcStateSchema,
} from '../../../src/proto/alcor/v1/goal_state_pb.js';
import type { FlowInputs } from '../../../src/agent/drivers/ovs/flow-engine.js';

/** A mutable desired state with one map per kind. */
export type MutableView = { [K in ResourceKind]: Map<string, KindStates[K]> };

/** An empty view. */
export function emptyView(): MutableView {
  return { vpc: new Map(), subnet: new Map(), securityGroup: new Map(), router: new Map(), port: new Map(), dhcp: new Map(), neighbor: new Map() };
}

/** Two subnets on a router, one local port per subnet plus a remote neighbor, a security group with a remote-group rule. */
export function sampleView(): MutableView {
  const v = emptyView();
  v.vpc.set('net-a', create(VpcStateSchema, { id: 'net-a', segmentationId: 100, mtu: 1450, portSecurityEnabled: true }));
  v.vpc.set('net-b', create(VpcStateSchema, { id: 'net-b', segmentationId: 200, mtu: 1450, portSecurityEnabled: true }));
  v.subnet.set('sub-a', create(SubnetStateSchema, { id: 'sub-a', vpcId: 'net-a', ipVersion: 4, cidr: '10.0.1.0/24', gatewayIp: '10.0.1.1', enableDhcp: true, segmentationId: 100 }));
  v.subnet.set('sub-b', create(SubnetStateSchema, { id: 'sub-b', vpcId: 'net-b', ipVersion: 4, cidr: '10.0.2.0/24', gatewayIp: '10.0.2.1', enableDhcp: true, segmentationId: 200 }));
  v.securityGroup.set('sg-1', create(SecurityGroupStateSchema, {
    id: 'sg-1',
    stateful: true,
    rules: [
      { id: 'r-eg', direction: 'egress', ethertype: 'IPv4' },
      { id: 'r-in-self', direction: 'ingress', ethertype: 'IPv4', remoteGroupId: 'sg-1' },
      { id: 'r-ssh', direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '0.0.0.0/0' },
    ],
  }));
  v.router.set('r1', create(RouterStateSchema, {
    id: 'r1',
    interfaces: [
      { subnetId: 'sub-a', ipAddress: '10.0.1.1', macAddress: 'fa:16:3e:aa:00:01', portId: 'rp-a' },
      { subnetId: 'sub-b', ipAddress: '10.0.2.1', macAddress: 'fa:16:3e:bb:00:01', portId: 'rp-b' },
    ],
  }));
  v.port.set('p1', create(PortStateSchema, {
    id: 'p1', vpcId: 'net-a', macAddress: 'fa:16:3e:00:00:01', adminStateUp: true, portSecurityEnabled: true,
    fixedIps: [{ subnetId: 'sub-a', ipAddress: '10.0.1.10' }], securityGroupIds: ['sg-1'],
    allowedAddressPairs: [{ ipAddress: '10.0.1.200' }],
  }));
  v.port.set('p2', create(PortStateSchema, {
    id: 'p2', vpcId: 'net-b', macAddress: 'fa:16:3e:00:00:02', adminStateUp: true, portSecurityEnabled: false,
    fixedIps: [{ subnetId: 'sub-b', ipAddress: '10.0.2.10' }],
  }));
  v.dhcp.set('p1', create(DhcpStateSchema, { id: 'p1', subnetId: 'sub-a', macAddress: 'fa:16:3e:00:00:01', ipAddress: '10.0.1.10', gatewayIp: '10.0.1.1', prefixLength: 24, mtu: 1450 }));
  v.neighbor.set('p1', create(NeighborStateSchema, {
    id: 'p1', vpcId: 'net-a', macAddress: 'fa:16:3e:00:00:01', fixedIps: [{ subnetId: 'sub-a', ipAddress: '10.0.1.10' }],
    hostId: 'h1', hostIp: '192.168.250.11', securityGroupIds: ['sg-1'],
  }));
  v.neighbor.set('n3', create(NeighborStateSchema, {
    id: 'n3', vpcId: 'net-a', macAddress: 'fa:16:3e:00:00:03', fixedIps: [{ subnetId: 'sub-a', ipAddress: '10.0.1.30' }],
    hostId: 'h2', hostIp: '192.168.250.12', securityGroupIds: ['sg-1'],
  }));
  return v;
}

/** Flow inputs for host h1 with the sample's ports plugged as ofports 1 and 2. */
export function sampleInputs(view: MutableView = sampleView(), ofports = new Map([['p1', 1], ['p2', 2]])): FlowInputs {
  return { view: view as DesiredStateView, ofports, host: { hostId: 'h1', datapathIp: '192.168.250.11', tunnelOfport: 4000 } };
}
