/**
 * A hand-built network (VPCs, subnets, ports on hosts, security groups, routers) and the desired state
 * each host would get from the controller, for driving the OVS driver directly without a controller.
 */
import { create } from '@bufbuild/protobuf';
import type { ApplyRequest, DesiredStateView, KindStates, ResourceChange, ResourceKind } from '../../../src/agent/driver.js';
import {
  DhcpStateSchema,
  NeighborStateSchema,
  PortStateSchema,
  RouterStateSchema,
  SecurityGroupRuleSchema,
  SecurityGroupStateSchema,
  SubnetStateSchema,
  VpcStateSchema,
  type PortState,
  type RouterState,
  type SecurityGroupState,
  type SubnetState,
  type VpcState,
} from '../../../src/proto/alcor/v1/goal_state_pb.js';

/** A port of the hand-built network. */
export interface HandPort {
  state: PortState;
  hostId: string;
  hostIp: string;
}

/** The whole network. */
export class HandBuiltNetwork {
  readonly vpcs = new Map<string, VpcState>();
  readonly subnets = new Map<string, SubnetState>();
  readonly ports = new Map<string, HandPort>();
  readonly securityGroups = new Map<string, SecurityGroupState>();
  readonly routers = new Map<string, RouterState>();
  private macCounter = 0;

  addVpc(id: string, vni: number): void {
    this.vpcs.set(id, create(VpcStateSchema, { id, segmentationId: vni, mtu: 1450, portSecurityEnabled: true, networkType: 'vxlan' }));
  }

  addSubnet(id: string, vpcId: string, cidr: string, gatewayIp: string, ipv6?: { mode: string; dns?: string[] }): void {
    const vni = this.vpcs.get(vpcId)?.segmentationId ?? 0;
    const v6 = ipv6 ? { ipVersion: 6, ipv6RaMode: ipv6.mode, ipv6AddressMode: ipv6.mode, dnsNameservers: ipv6.dns ?? [] } : {};
    this.subnets.set(id, create(SubnetStateSchema, { id, vpcId, ipVersion: 4, cidr, gatewayIp, enableDhcp: true, segmentationId: vni, dnsNameservers: ['10.255.255.53'], ...v6 }));
  }

  addPort(id: string, subnetId: string, ip: string, host: { name: string; underlayIp: string }, extra: { portSecurityEnabled?: boolean; securityGroupIds?: string[] } = {}): HandPort {
    const subnet = this.subnets.get(subnetId)!;
    this.macCounter++;
    const state = create(PortStateSchema, {
      id, vpcId: subnet.vpcId, macAddress: `fa:16:3e:10:00:${this.macCounter.toString(16).padStart(2, '0')}`,
      fixedIps: [{ subnetId, ipAddress: ip }], adminStateUp: true, portSecurityEnabled: false, ...extra,
    });
    const port = { state, hostId: host.name, hostIp: host.underlayIp };
    this.ports.set(id, port);
    return port;
  }

  addSecurityGroup(id: string, rules: Array<{ direction: string; ethertype?: string; protocol?: string; portRangeMin?: number; portRangeMax?: number; remoteIpPrefix?: string; remoteGroupId?: string }>): void {
    this.securityGroups.set(id, create(SecurityGroupStateSchema, { id, stateful: true, rules: rules.map((r, i) => create(SecurityGroupRuleSchema, { id: `${id}-r${i}`, ethertype: 'IPv4', ...r })) }));
  }

  addRouter(id: string, interfaces: Array<{ subnetId: string; ip: string; mac: string }>, hasGateway = false): void {
    this.routers.set(id, create(RouterStateSchema, { id, hasGateway, interfaces: interfaces.map((i) => ({ subnetId: i.subnetId, ipAddress: i.ip, macAddress: i.mac, portId: `${id}-${i.subnetId}` })) }));
  }

  /** The desired state of one host: everything shared, its own ports and DHCP entries, all ports as neighbors. */
  viewFor(hostId: string): DesiredStateView {
    const view: { [K in ResourceKind]: Map<string, KindStates[K]> } = {
      vpc: new Map(this.vpcs), subnet: new Map(this.subnets), securityGroup: new Map(this.securityGroups), router: new Map(this.routers),
      port: new Map(), dhcp: new Map(), neighbor: new Map(),
    };
    for (const [id, p] of this.ports) {
      const s = p.state;
      view.neighbor.set(id, create(NeighborStateSchema, {
        id, vpcId: s.vpcId, macAddress: s.macAddress, fixedIps: s.fixedIps, hostId: p.hostId, hostIp: p.hostIp,
        securityGroupIds: s.securityGroupIds, allowedAddressPairs: s.allowedAddressPairs, portSecurityDisabled: !s.portSecurityEnabled,
      }));
      if (p.hostId !== hostId) continue;
      view.port.set(id, s);
      const fixed = s.fixedIps.find((f) => this.subnets.get(f.subnetId)?.ipVersion === 4);
      const fixed6 = s.fixedIps.find((f) => this.subnets.get(f.subnetId)?.ipVersion === 6);
      const subnet = fixed ? this.subnets.get(fixed.subnetId) : undefined;
      view.dhcp.set(id, create(DhcpStateSchema, {
        id, subnetId: subnet?.id ?? '', macAddress: s.macAddress, ipAddress: fixed?.ipAddress ?? '', gatewayIp: subnet?.gatewayIp ?? '',
        prefixLength: subnet ? Number(subnet.cidr.split('/')[1]) : 0, mtu: 1450, dnsNameservers: subnet?.dnsNameservers ?? [],
        ipv6SubnetId: fixed6?.subnetId ?? '', ipv6Address: fixed6?.ipAddress ?? '',
      }));
    }
    return view;
  }

  /** A delta-mode apply request for a host naming the resources that changed. */
  deltaRequest(hostId: string, changed: Array<[ResourceKind, string]>, revision = 2): ApplyRequest {
    const desired = this.viewFor(hostId);
    const changes = changed.map(([kind, id]) => ({ kind, id, desired: desired[kind].get(id), previous: undefined }) as ResourceChange);
    return { revision, mode: 'delta', changes, desired };
  }

  /** A full-mode apply request for a host. */
  fullRequest(hostId: string, revision = 1): ApplyRequest {
    return { revision, mode: 'full', changes: [], desired: this.viewFor(hostId) };
  }
}
