/**
 * The logical trace (like ovn-trace): one packet from a port to an address, followed through the
 * compiled goal states the agents receive, in the order of the agent's pipeline (docs/dataplane.md):
 * the source port and its anti-spoofing, the egress security group, routing (same subnet, or the
 * distributed router attached to the source subnet: connected subnets and extra routes, longest prefix
 * first, a connected subnet winning a tie), the destination port and its host (local or a VXLAN tunnel),
 * and the destination port's ingress security group. A pure function: the caller hands it the decoded
 * goal state of the source host and a lookup for the destination host's.
 */
import { cidrContains, formatIp, parseCidr, parseIp, type Cidr, type IpAddress } from '../domain/ip.js';
import type { TraceRequest, TraceResult, TraceStep } from '../domain/operator.js';
import type { NeighborState, PortState, RouterState, SecurityGroupState, SubnetState, VpcState } from '../proto/alcor/v1/goal_state_pb.js';
import { describeRule, matchRule, type TracePacket } from './trace-rules.js';

/** The decoded goal state of one host: what its agent holds, by kind then id. */
export interface HostGoalState {
  host: string;
  vpcs: ReadonlyMap<string, VpcState>;
  subnets: ReadonlyMap<string, SubnetState>;
  ports: ReadonlyMap<string, PortState>;
  securityGroups: ReadonlyMap<string, SecurityGroupState>;
  routers: ReadonlyMap<string, RouterState>;
  neighbors: ReadonlyMap<string, NeighborState>;
}

/** Thrown for a trace that cannot start (the port is not in the source host's goal state). */
export class TraceInputError extends Error {
  override name = 'TraceInputError';
}

const cidrOf = (text: string): Cidr | undefined => {
  const c = parseCidr(text, false);
  return typeof c === 'string' ? undefined : c;
};
const contains = (cidr: string, ip: IpAddress) => {
  const c = cidrOf(cidr);
  return c !== undefined && cidrContains(c, ip);
};
const sameIp = (text: string, ip: IpAddress) => {
  const a = parseIp(text);
  return a !== undefined && a.version === ip.version && a.value === ip.value;
};

/** The neighbor (port of a VPC the host holds) with `ip` as a fixed IP or allowed address pair. */
function neighborWith(state: HostGoalState, ip: IpAddress, vpc: string | undefined): NeighborState | undefined {
  for (const n of state.neighbors.values()) {
    if (vpc !== undefined && n.vpcId !== vpc) continue;
    if (n.fixedIps.some((f) => sameIp(f.ipAddress, ip)) || n.allowedAddressPairs.some((p) => sameIp(p.ipAddress.split('/')[0] ?? '', ip))) return n;
  }
  return undefined;
}

/** Where the routing stage sends the packet: a subnet to deliver in, or an answer from the router itself. */
type RoutingOutcome =
  | { kind: 'deliver'; subnet: SubnetState; lookup: IpAddress; step: TraceStep }
  | { kind: 'router-answers'; router: RouterState; step: TraceStep }
  | { kind: 'drop'; reason: string; step: TraceStep };

function route(state: HostGoalState, source: SubnetState, packet: TracePacket): RoutingOutcome {
  const to = formatIp(packet.destination);
  const routers = [...state.routers.values()].filter((r) => r.interfaces.some((i) => i.subnetId === source.id));
  // The router answers echo requests to its own address on the source subnet (the same segment) only.
  for (const router of routers) {
    const own = router.interfaces.find((i) => i.subnetId === source.id && sameIp(i.ipAddress, packet.destination));
    if (own) {
      const detail = `${to} is router ${router.id}'s own interface address`;
      if (packet.proto !== 'icmp') return { kind: 'drop', reason: `${detail}: routers answer only ICMP echo`, step: { stage: 'routing', detail, ids: { router: router.id } } };
      return { kind: 'router-answers', router, step: { stage: 'routing', detail: `${detail}: the router answers the echo request`, ids: { router: router.id } } };
    }
  }
  if (contains(source.cidr, packet.destination)) {
    return { kind: 'deliver', subnet: source, lookup: packet.destination, step: { stage: 'routing', detail: `${to} is in the port's subnet ${source.cidr}: switched within network ${source.vpcId}`, ids: { subnet: source.id } } };
  }
  if (routers.length === 0) {
    const reason = `${to} is outside subnet ${source.cidr} and no router is attached to that subnet`;
    return { kind: 'drop', reason, step: { stage: 'routing', detail: reason, ids: { subnet: source.id } } };
  }
  let best: { prefix: number; connected: boolean; outcome: RoutingOutcome } | undefined;
  const consider = (prefix: number, connected: boolean, outcome: RoutingOutcome) => {
    if (!best || prefix > best.prefix || (prefix === best.prefix && connected && !best.connected)) best = { prefix, connected, outcome };
  };
  for (const router of routers) {
    const attached = router.interfaces.map((i) => state.subnets.get(i.subnetId)).filter((s): s is SubnetState => s !== undefined);
    for (const subnet of attached) {
      const cidr = cidrOf(subnet.cidr);
      if (subnet.id === source.id || !cidr || !cidrContains(cidr, packet.destination)) continue;
      const detail = `routed by router ${router.id} from subnet ${source.cidr} to its connected subnet ${subnet.cidr} (TTL decremented, source MAC rewritten)`;
      consider(cidr.prefixLength, true, { kind: 'deliver', subnet, lookup: packet.destination, step: { stage: 'routing', detail, ids: { router: router.id, subnet: subnet.id } } });
    }
    for (const r of router.routes) {
      const cidr = cidrOf(r.destination);
      const nexthop = parseIp(r.nexthop);
      const via = nexthop && attached.find((s) => contains(s.cidr, nexthop));
      if (!cidr || !nexthop || !via || !cidrContains(cidr, packet.destination)) continue;
      const detail = `routed by router ${router.id} along its extra route ${r.destination} via ${r.nexthop} (subnet ${via.cidr})`;
      consider(cidr.prefixLength, false, { kind: 'deliver', subnet: via, lookup: nexthop, step: { stage: 'routing', detail, ids: { router: router.id, subnet: via.id } } });
    }
  }
  if (best) return best.outcome;
  const reason = `no route to ${to}: it is outside every subnet of router${routers.length > 1 ? 's' : ''} ${routers.map((r) => r.id).join(', ')} and matches none of ${routers.length > 1 ? 'their' : 'its'} extra routes`;
  return { kind: 'drop', reason, step: { stage: 'routing', detail: reason, ids: { router: routers[0]?.id ?? '' } } };
}

/** The addresses of the packet of `request` as it leaves its port (what the host's real data path is asked to trace). */
export interface TracePacketAddresses {
  sourceMac: string;
  sourceIp: string;
  destinationMac: string;
  destinationIp: string;
}

/**
 * The addresses of `request`'s packet as its port sends it: to the destination port's MAC when the
 * destination is in the port's subnet, else to the MAC of the router interface on that subnet (the
 * gateway the VM resolves). Throws TraceInputError when the port, its address or that MAC is unknown.
 */
export function packetAddresses(source: HostGoalState, request: TraceRequest): TracePacketAddresses {
  const port = source.ports.get(request.from_port);
  const destination = parseIp(request.to);
  const fixed = destination && port?.fixedIps.find((f) => parseIp(f.ipAddress)?.version === destination.version);
  if (!port || !destination || !fixed) throw new TraceInputError(`Port ${request.from_port} has no address on host ${source.host} to send ${request.to} a packet from.`);
  const subnet = source.subnets.get(fixed.subnetId);
  const onLink = subnet !== undefined && contains(subnet.cidr, destination);
  const destinationMac = onLink
    ? neighborWith(source, destination, subnet.vpcId)?.macAddress
    : [...source.routers.values()].flatMap((r) => r.interfaces).find((i) => i.subnetId === fixed.subnetId)?.macAddress;
  if (!destinationMac) {
    const why = onLink ? `no port of its subnet has that address` : `no router is attached to its subnet`;
    throw new TraceInputError(`No MAC address to send ${request.to} a packet to from port ${port.id}: ${why}.`);
  }
  return { sourceMac: port.macAddress, sourceIp: fixed.ipAddress, destinationMac, destinationIp: request.to };
}

/** Groups of a port as the host holds them (a group the host lacks allows nothing). */
const groupsOf = (state: HostGoalState, ids: readonly string[]) => ids.map((id) => state.securityGroups.get(id)).filter((g): g is SecurityGroupState => g !== undefined);

/**
 * Traces `request` from a port of `source`'s host. `hostState` returns the goal state of another host
 * (undefined when it has none). Throws TraceInputError when the port or its address is missing there.
 */
export function traceLogical(source: HostGoalState, hostState: (host: string) => HostGoalState | undefined, request: TraceRequest): TraceResult {
  const port = source.ports.get(request.from_port);
  if (!port) throw new TraceInputError(`Port ${request.from_port} is not in the goal state of its host ${source.host} (not compiled there yet).`);
  const destination = parseIp(request.to);
  if (!destination) throw new TraceInputError(`"${request.to}" is not an IP address.`);
  const fixed = port.fixedIps.find((f) => parseIp(f.ipAddress)?.version === destination.version);
  const sourceIp = fixed && parseIp(fixed.ipAddress);
  if (!fixed || !sourceIp) throw new TraceInputError(`Port ${port.id} has no IPv${destination.version} address to send from.`);
  const packet: TracePacket = { proto: request.proto, dport: request.dport, source: sourceIp, destination };
  const steps: TraceStep[] = [];
  const result = (verdict: TraceResult['verdict'], reason: string | null): TraceResult => ({
    request,
    source: { port: port.id, host: source.host, ip: fixed.ipAddress, mac: port.macAddress },
    steps,
    verdict,
    reason,
  });
  const drop = (step: TraceStep) => {
    steps.push(step);
    return result('drop', step.detail);
  };

  steps.push({ stage: 'port', detail: `port ${port.id} on host ${source.host}, ${fixed.ipAddress} (${port.macAddress}) in network ${port.vpcId}`, ids: { port: port.id, network: port.vpcId } });
  if (!port.adminStateUp) return drop({ stage: 'port', detail: `port ${port.id} is administratively down: the pipeline drops everything it sends` });
  const secured = port.portSecurityEnabled;
  if (secured) {
    steps.push({ stage: 'port-security', detail: `anti-spoofing passes: ${fixed.ipAddress} / ${port.macAddress} is the port's own address` });
    const groups = groupsOf(source, port.securityGroupIds);
    const target = neighborWith(source, destination, undefined);
    const match = matchRule(groups, packet, { direction: 'egress', remoteGroups: new Set(target?.securityGroupIds ?? []) });
    if (!match) return drop({ stage: 'egress', detail: `no egress rule of security group${groups.length === 1 ? '' : 's'} ${port.securityGroupIds.join(', ') || '(none)'} allows ${request.proto}${request.dport ? ` port ${request.dport}` : ''} to ${request.to}`, ids: {} });
    steps.push({ stage: 'egress', detail: `allowed by rule ${match.rule.id} of security group ${match.group.id}: ${describeRule(match.rule)}`, ids: { rule: match.rule.id, security_group: match.group.id } });
  } else {
    steps.push({ stage: 'port-security', detail: 'port security is disabled on the port: no anti-spoofing and no security groups' });
  }

  const subnet = source.subnets.get(fixed.subnetId);
  if (!subnet) return drop({ stage: 'routing', detail: `the port's subnet ${fixed.subnetId} is not in the host's goal state` });
  const routed = route(source, subnet, packet);
  steps.push(routed.step);
  if (routed.kind === 'drop') return result('drop', routed.reason);
  if (routed.kind === 'router-answers') return result('allow', null);

  const target = neighborWith(source, routed.lookup, routed.subnet.vpcId);
  if (!target) return drop({ stage: 'destination', detail: `no port of network ${routed.subnet.vpcId} on a registered host has address ${formatIp(routed.lookup)} (ARP for it goes unanswered)`, ids: { subnet: routed.subnet.id } });
  steps.push({ stage: 'destination', detail: `port ${target.id} (${target.macAddress}) on host ${target.hostId}`, ids: { port: target.id, host: target.hostId } });
  const vni = source.vpcs.get(target.vpcId)?.segmentationId;
  if (target.hostId === source.host) steps.push({ stage: 'tunnel', detail: `local delivery on host ${source.host}` });
  else steps.push({ stage: 'tunnel', detail: `VXLAN${vni === undefined ? '' : ` VNI ${vni}`} to host ${target.hostId} at ${target.hostIp}`, ids: { host: target.hostId } });

  const remote = hostState(target.hostId);
  const targetPort = remote?.ports.get(target.id);
  if (!remote || !targetPort) return drop({ stage: 'ingress', detail: `port ${target.id} is not in the goal state of host ${target.hostId}, so nothing delivers to it there` });
  if (!targetPort.adminStateUp) return drop({ stage: 'ingress', detail: `port ${target.id} is administratively down` });
  if (!targetPort.portSecurityEnabled) {
    steps.push({ stage: 'ingress', detail: `port security is disabled on port ${target.id}: delivered` });
    return result('allow', null);
  }
  const groups = groupsOf(remote, targetPort.securityGroupIds);
  const match = matchRule(groups, packet, { direction: 'ingress', remoteGroups: new Set(port.securityGroupIds) });
  if (!match) return drop({ stage: 'ingress', detail: `no ingress rule of security group${groups.length === 1 ? '' : 's'} ${targetPort.securityGroupIds.join(', ') || '(none)'} of port ${target.id} allows ${request.proto}${request.dport ? ` port ${request.dport}` : ''} from ${fixed.ipAddress}` });
  steps.push({ stage: 'ingress', detail: `allowed by rule ${match.rule.id} of security group ${match.group.id}: ${describeRule(match.rule)}; delivered to port ${target.id}`, ids: { rule: match.rule.id, security_group: match.group.id } });
  return result('allow', null);
}
