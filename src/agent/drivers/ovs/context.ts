/**
 * What flow compilation may read: the desired state (through lookups that are recorded, so a change of
 * anything a resource's flows were computed from recomputes exactly those flows), the OpenFlow port
 * numbers of discovered VM interfaces, and facts about this host.
 */
import type { MetadataFacts } from './compile-metadata.js';
import { fnv32 } from './flow.js';
import type { DhcpState, NeighborState, PortState, RouterState, SecurityGroupState, SubnetState, VpcState } from '../../../proto/alcor/v1/goal_state_pb.js';

/** Facts about the host the flows are for. */
export interface HostFacts {
  hostId: string;
  datapathIp: string;
  /** OpenFlow port of the flow-based VXLAN port. */
  tunnelOfport: number;
  /** The metadata proxy's port and addresses; absent when the agent has no metadata service configured. */
  metadata?: MetadataFacts;
  /** OpenFlow port on br-int of the patch to each mapped physical network's bridge (`--bridge-mapping`). */
  physnets?: ReadonlyMap<string, number>;
}

/** Where a network's flooded frames go: local OpenFlow ports and remote hosts' tunnel endpoints. */
export interface FloodTargets {
  ofports: number[];
  hostIps: string[];
}

/** Recorded lookups into the desired state. Every call records a dependency of the resource being compiled. */
export interface CompileContext {
  readonly host: HostFacts;
  vpc(id: string): VpcState | undefined;
  subnet(id: string): SubnetState | undefined;
  port(id: string): PortState | undefined;
  neighbor(id: string): NeighborState | undefined;
  securityGroup(id: string): SecurityGroupState | undefined;
  router(id: string): RouterState | undefined;
  dhcp(id: string): DhcpState | undefined;
  /** OpenFlow port of the interface with `external_ids:iface-id=<portId>`, if it is plugged. */
  ofport(portId: string): number | undefined;
  /** True when a rule of some local security group uses `groupId` as remote group in `direction`. */
  remoteGroupReferenced(groupId: string, direction: 'ingress' | 'egress'): boolean;
  /** True when an extra route of some local router has `ip` as its next hop. */
  nexthopReferenced(ip: string): boolean;
  /** Where the network's flooded frames go; undefined when it has no port without port security. */
  floodTargets(vpcId: string): FloodTargets | undefined;
  /** The MAC the agent resolved (ARP) for an address on an external network, if any yet. */
  externalMac(ip: string): string | undefined;
}

/** Remote-group references of a set of security groups: `<groupId>|<direction>` keys. */
export function remoteGroupReferences(groups: Iterable<{ rules: ReadonlyArray<{ remoteGroupId: string; direction: string }> }>): Set<string> {
  const refs = new Set<string>();
  for (const group of groups) {
    for (const rule of group.rules) if (rule.remoteGroupId) refs.add(`${rule.remoteGroupId}|${rule.direction === 'ingress' ? 'ingress' : 'egress'}`);
  }
  return refs;
}

/** Next hops of the extra routes of a set of routers. */
export function nexthopReferences(routers: Iterable<{ routes: ReadonlyArray<{ nexthop: string }> }>): Set<string> {
  const refs = new Set<string>();
  for (const router of routers) for (const route of router.routes) refs.add(route.nexthop);
  return refs;
}

/** Dependency key of a lookup: `<kind>/<id>`, with kind `iface` for interface discovery. */
export type DependencyKey = string;

/** How a flat or vlan network reaches this host: its patch port and VLAN tag (0 = untagged). */
export interface ProviderSegment {
  physnet: string;
  /** br-int's end of the patch to the physnet's bridge; undefined when this host does not map it. */
  patchOfport: number | undefined;
  vlan: number;
}

/** The segment of a provider (flat or vlan) network, or undefined for an overlay network. */
export function providerSegment(host: HostFacts, vpc: VpcState | undefined): ProviderSegment | undefined {
  if (!vpc || !vpc.physicalNetwork || (vpc.networkType !== 'flat' && vpc.networkType !== 'vlan')) return undefined;
  return { physnet: vpc.physicalNetwork, patchOfport: host.physnets?.get(vpc.physicalNetwork), vlan: vpc.networkType === 'vlan' ? vpc.segmentationId : 0 };
}

/**
 * The reg6 value of a provider network: bit 24 set (above every VXLAN VNI), 8 bits of the physnet's
 * hash, then the 13-bit VLAN (4096 for flat). Only this host uses it (provider traffic never enters the
 * tunnel), and its low 16 bits are the network's conntrack zone like a VNI's.
 */
export function providerVni(segment: ProviderSegment): number {
  return 0x1000000 | ((fnv32(segment.physnet) & 0xff) << 13) | (segment.vlan || 4096);
}

/** The VNI of a subnet (the provider value of its network, else its own segmentation id, else its VPC's). */
export function subnetVni(ctx: CompileContext, subnetId: string): number | undefined {
  const subnet = ctx.subnet(subnetId);
  if (!subnet) return undefined;
  const provider = providerSegment(ctx.host, ctx.vpc(subnet.vpcId));
  if (provider) return providerVni(provider);
  if (subnet.segmentationId) return subnet.segmentationId;
  return ctx.vpc(subnet.vpcId)?.segmentationId || undefined;
}

/** The VNI of a VPC, falling back to the segmentation id of one of the given subnets. */
export function vpcVni(ctx: CompileContext, vpcId: string, subnetIds: readonly string[]): number | undefined {
  const provider = providerSegment(ctx.host, ctx.vpc(vpcId));
  if (provider) return providerVni(provider);
  const vni = ctx.vpc(vpcId)?.segmentationId;
  if (vni) return vni;
  for (const id of subnetIds) {
    const v = subnetVni(ctx, id);
    if (v) return v;
  }
  return undefined;
}
