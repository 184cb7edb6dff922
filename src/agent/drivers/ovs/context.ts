/**
 * What flow compilation may read: the desired state (through lookups that are recorded, so a change of
 * anything a resource's flows were computed from recomputes exactly those flows), the OpenFlow port
 * numbers of discovered VM interfaces, and facts about this host.
 */
import type { MetadataFacts } from './compile-metadata.js';
import type { DhcpState, NeighborState, PortState, RouterState, SecurityGroupState, SubnetState, VpcState } from '../../../proto/alcor/v1/goal_state_pb.js';

/** Facts about the host the flows are for. */
export interface HostFacts {
  hostId: string;
  datapathIp: string;
  /** OpenFlow port of the flow-based VXLAN port. */
  tunnelOfport: number;
  /** The metadata proxy's port and addresses; absent when the agent has no metadata service configured. */
  metadata?: MetadataFacts;
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

/** The VNI of a subnet (its own segmentation id, else its VPC's). */
export function subnetVni(ctx: CompileContext, subnetId: string): number | undefined {
  const subnet = ctx.subnet(subnetId);
  if (!subnet) return undefined;
  if (subnet.segmentationId) return subnet.segmentationId;
  return ctx.vpc(subnet.vpcId)?.segmentationId || undefined;
}

/** The VNI of a VPC, falling back to the segmentation id of one of the given subnets. */
export function vpcVni(ctx: CompileContext, vpcId: string, subnetIds: readonly string[]): number | undefined {
  const vni = ctx.vpc(vpcId)?.segmentationId;
  if (vni) return vni;
  for (const id of subnetIds) {
    const v = subnetVni(ctx, id);
    if (v) return v;
  }
  return undefined;
}
