/** Hand-built desired states for the OVS driver's pure tests. */
import { create } from '@bufbuild/protobuf';
import type { DesiredStateView, KindStates, ResourceKind } from '../../../src/agent/driver.js';
import {
  AddressPairSchema,
  DhcpStateSchema,
  FixedIpSchema,
  NeighborStateSchema,
  PortStateSchema,
  PortFloatingIpSchema,
  RouterGatewaySchema,
  RouterInterfaceSchema,
  RouterStateSchema,
  RouteSchema,
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

/**
 * The sample plus everything else the compilers can express: a stateless group, IPv6 and protocol-number
 * rules, port ranges, ICMP type/code, remote prefixes, remote groups in both directions, a port without
 * port security, allowed address pairs with their own MAC, and a third plugged port.
 */
export function richView(): MutableView {
  const v = sampleView();
  v.securityGroup.set('sg-2', create(SecurityGroupStateSchema, {
    id: 'sg-2',
    stateful: true,
    rules: [
      { id: 'a', direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', portRangeMin: 1000, portRangeMax: 2999, remoteIpPrefix: '192.168.0.0/16' },
      { id: 'b', direction: 'ingress', ethertype: 'IPv4', protocol: 'udp', portRangeMin: 53, portRangeMax: 53 },
      { id: 'c', direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', portRangeMin: 8, portRangeMax: 0 },
      { id: 'd', direction: 'ingress', ethertype: 'IPv4', protocol: '47' },
      { id: 'e', direction: 'ingress', ethertype: 'IPv4', protocol: 'sctp', portRangeMin: 9000, portRangeMax: 9001 },
      { id: 'f', direction: 'egress', ethertype: 'IPv6' },
      { id: 'g', direction: 'ingress', ethertype: 'IPv6', protocol: 'tcp', portRangeMin: 443, portRangeMax: 443, remoteIpPrefix: '2001:db8::/32' },
      { id: 'h', direction: 'ingress', ethertype: 'IPv6', protocol: 'icmpv6', portRangeMin: 128 },
      { id: 'i', direction: 'egress', ethertype: 'IPv4', protocol: 'tcp', remoteGroupId: 'sg-1', remoteIpPrefix: '' },
      { id: 'j', direction: 'ingress', ethertype: 'IPv6', protocol: 'udp', remoteGroupId: 'sg-2' },
      { id: 'k', direction: 'egress', ethertype: 'IPv4', protocol: 'udp', portRangeMin: 1, portRangeMax: 65535, remoteIpPrefix: '10.9.8.7/32' },
    ],
  }));
  v.securityGroup.set('sg-stateless', create(SecurityGroupStateSchema, {
    id: 'sg-stateless',
    stateful: false,
    rules: [
      { id: 's1', direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', portRangeMin: 80, portRangeMax: 81, remoteIpPrefix: '10.0.0.0/8' },
      { id: 's2', direction: 'egress', ethertype: 'IPv4' },
      { id: 's3', direction: 'ingress', ethertype: 'IPv4', remoteGroupId: 'sg-1' },
    ],
  }));
  // An extra route whose next hop is the remote neighbor n4: route flows resubmit to NEXTHOP, n4 gets a NEXTHOP entry.
  v.router.get('r1')!.routes.push(create(RouteSchema, { destination: '172.16.0.0/12', nexthop: '10.0.2.40' }));
  const p1 = v.port.get('p1')!;
  p1.securityGroupIds = ['sg-1', 'sg-2'];
  p1.allowedAddressPairs.push(create(AddressPairSchema, { ipAddress: '10.0.1.201', macAddress: 'fa:16:3e:00:00:99' }));
  v.port.set('p3', create(PortStateSchema, {
    id: 'p3', vpcId: 'net-a', macAddress: 'fa:16:3e:00:00:33', adminStateUp: true, portSecurityEnabled: true,
    fixedIps: [{ subnetId: 'sub-a', ipAddress: '10.0.1.33' }], securityGroupIds: ['sg-stateless', 'sg-2'],
  }));
  v.dhcp.set('p3', create(DhcpStateSchema, { id: 'p3', subnetId: 'sub-a', macAddress: 'fa:16:3e:00:00:33', ipAddress: '10.0.1.33', gatewayIp: '10.0.1.1', prefixLength: 24, mtu: 1450 }));
  // Provider networks (flat physnet1, vlan 120 on physnet2, both mapped on h1) with a local port on the
  // vlan one, and r1's external gateway on the flat one, carried by h1.
  v.vpc.set('net-ext', create(VpcStateSchema, { id: 'net-ext', networkType: 'flat', physicalNetwork: 'physnet1', mtu: 1500 }));
  v.vpc.set('net-vlan', create(VpcStateSchema, { id: 'net-vlan', networkType: 'vlan', physicalNetwork: 'physnet2', segmentationId: 120, mtu: 1500 }));
  v.subnet.set('sub-vlan', create(SubnetStateSchema, { id: 'sub-vlan', vpcId: 'net-vlan', ipVersion: 4, cidr: '198.51.100.0/24', gatewayIp: '198.51.100.1', enableDhcp: true, segmentationId: 120 }));
  v.port.set('p4', create(PortStateSchema, {
    id: 'p4', vpcId: 'net-vlan', macAddress: 'fa:16:3e:00:00:44', adminStateUp: true, portSecurityEnabled: true,
    fixedIps: [{ subnetId: 'sub-vlan', ipAddress: '198.51.100.44' }], securityGroupIds: ['sg-1'],
  }));
  v.router.get('r1')!.gateway = create(RouterGatewaySchema, {
    portId: 'gw-r1', networkId: 'net-ext', ipAddress: '203.0.113.5', macAddress: 'fa:16:3e:00:00:55', cidr: '203.0.113.0/24',
    nexthop: '203.0.113.1', enableSnat: true, hostId: 'h1', hostIp: '192.168.250.11',
  });
  // p2 has a floating IP on the flat network through r1 (its subnet sub-b is r1's).
  v.port.get('p2')!.floatingIps.push(create(PortFloatingIpSchema, {
    id: 'fip-1', floatingIpAddress: '203.0.113.20', fixedIpAddress: v.port.get('p2')!.fixedIps[0]!.ipAddress, routerId: 'r1', networkId: 'net-ext',
  }));
  v.neighbor.set('n4', create(NeighborStateSchema, {
    id: 'n4', vpcId: 'net-b', macAddress: 'fa:16:3e:00:00:04', fixedIps: [{ subnetId: 'sub-b', ipAddress: '10.0.2.40' }],
    hostId: 'h3', hostIp: '192.168.250.13', securityGroupIds: ['sg-1', 'sg-2'], allowedAddressPairs: [{ ipAddress: '10.0.2.41', macAddress: 'fa:16:3e:00:00:41' }],
  }));
  addIpv6(v);
  return v;
}

/** Dual stack: a SLAAC subnet beside each IPv4 one, on the same router; p1, n3 and n4 get IPv6 addresses. */
function addIpv6(v: MutableView): void {
  v.subnet.set('sub-a6', create(SubnetStateSchema, { id: 'sub-a6', vpcId: 'net-a', ipVersion: 6, cidr: 'fd00:a::/64', gatewayIp: 'fd00:a::1', enableDhcp: true, segmentationId: 100, ipv6RaMode: 'slaac', ipv6AddressMode: 'slaac' }));
  v.subnet.set('sub-b6', create(SubnetStateSchema, { id: 'sub-b6', vpcId: 'net-b', ipVersion: 6, cidr: 'fd00:b::/64', gatewayIp: 'fd00:b::1', enableDhcp: true, segmentationId: 200, ipv6RaMode: 'dhcpv6-stateful', ipv6AddressMode: 'dhcpv6-stateful' }));
  v.router.get('r1')!.interfaces.push(
    create(RouterInterfaceSchema, { subnetId: 'sub-a6', ipAddress: 'fd00:a::1', macAddress: 'fa:16:3e:aa:00:01', portId: 'rp-a' }),
    create(RouterInterfaceSchema, { subnetId: 'sub-b6', ipAddress: 'fd00:b::1', macAddress: 'fa:16:3e:bb:00:01', portId: 'rp-b' }),
  );
  v.port.get('p1')!.fixedIps.push(create(FixedIpSchema, { subnetId: 'sub-a6', ipAddress: 'fd00:a::f816:3eff:fe00:1' }));
  v.port.get('p1')!.allowedAddressPairs.push(create(AddressPairSchema, { ipAddress: 'fd00:a:0:0:1::/80' }));
  v.neighbor.get('p1')!.fixedIps.push(create(FixedIpSchema, { subnetId: 'sub-a6', ipAddress: 'fd00:a::f816:3eff:fe00:1' }));
  v.neighbor.get('n3')!.fixedIps.push(create(FixedIpSchema, { subnetId: 'sub-a6', ipAddress: 'fd00:a::f816:3eff:fe00:3' }));
  v.neighbor.get('n4')!.fixedIps.push(create(FixedIpSchema, { subnetId: 'sub-b6', ipAddress: 'fd00:b::40' }));
}

/**
 * Flow inputs of richView() on h1, ports p1 to p4 plugged as ofports 1 to 4, physnet1 and physnet2
 * patched as ofports 10 and 11, r1's external next hop resolved, and a metadata port at ofport 20.
 */
export function richInputs(): FlowInputs {
  const inputs = sampleInputs(richView(), new Map([['p1', 1], ['p2', 2], ['p3', 3], ['p4', 4]]));
  return {
    ...inputs,
    host: {
      ...inputs.host,
      physnets: new Map([['physnet1', 10], ['physnet2', 11]]),
      metadata: { ofport: 20, cidr: '169.254.0.0/16', interfaceMac: '02:00:00:00:00:0a' },
    },
    externalMacs: new Map([['203.0.113.1', 'fa:16:3e:00:00:01']]),
  };
}
