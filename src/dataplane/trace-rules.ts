/**
 * Security-group rule matching for the logical trace, with the same meaning the agent's flows give a
 * rule (src/agent/drivers/ovs/compile-security-group.ts): an empty or `any` protocol matches every IP
 * packet; an ICMP rule's port_range_min/max are the type and code; a TCP/UDP range of 0..0 is any port;
 * remote-group rules of stateless groups allow nothing.
 */
import { cidrContains, parseCidr, type IpAddress } from '../domain/ip.js';
import type { SecurityGroupRule, SecurityGroupState } from '../proto/alcor/v1/goal_state_pb.js';

/** The packet a trace follows. */
export interface TracePacket {
  proto: 'icmp' | 'tcp' | 'udp';
  /** Destination port for tcp/udp; an ICMP trace is an echo request (type 8, code 0). */
  dport: number | undefined;
  source: IpAddress;
  destination: IpAddress;
}

const PROTOCOL_NAMES: Record<string, TracePacket['proto']> = {
  icmp: 'icmp', '1': 'icmp', icmpv6: 'icmp', 'ipv6-icmp': 'icmp', '58': 'icmp', tcp: 'tcp', '6': 'tcp', udp: 'udp', '17': 'udp',
};

function protocolMatches(rule: SecurityGroupRule, packet: TracePacket): boolean {
  const proto = rule.protocol.toLowerCase();
  if (proto === '' || proto === 'any') return true;
  if (PROTOCOL_NAMES[proto] !== packet.proto) return false;
  if (packet.proto === 'icmp') {
    // An echo request is type 8, code 0; a code is matched only when a type is set too.
    if (rule.portRangeMin && rule.portRangeMin !== 8) return false;
    return !(rule.portRangeMin && rule.portRangeMax);
  }
  if (!rule.portRangeMin && !rule.portRangeMax) return true;
  const min = rule.portRangeMin || 1;
  const max = rule.portRangeMax || rule.portRangeMin;
  return packet.dport !== undefined && packet.dport >= min && packet.dport <= max;
}

/** True when `address` lies in the rule's remote prefix (no prefix: anywhere). */
function prefixMatches(rule: SecurityGroupRule, address: IpAddress): boolean {
  if (!rule.remoteIpPrefix) return true;
  const cidr = parseCidr(rule.remoteIpPrefix, false);
  return typeof cidr !== 'string' && cidrContains(cidr, address);
}

/** What a rule match needs to know beyond the packet. */
export interface RuleContext {
  direction: 'ingress' | 'egress';
  /** Security groups of the remote end's port (its address is the packet's destination for egress, source for ingress). */
  remoteGroups: ReadonlySet<string>;
}

/** The first rule of `groups` that lets the packet through, with its group; undefined when none does. */
export function matchRule(groups: readonly SecurityGroupState[], packet: TracePacket, ctx: RuleContext): { group: SecurityGroupState; rule: SecurityGroupRule } | undefined {
  const ethertype = packet.destination.version === 6 ? 'IPv6' : 'IPv4';
  const remote = ctx.direction === 'egress' ? packet.destination : packet.source;
  for (const group of groups) {
    for (const rule of group.rules) {
      if (rule.direction !== ctx.direction || (rule.ethertype || 'IPv4') !== ethertype) continue;
      if (!protocolMatches(rule, packet) || !prefixMatches(rule, remote)) continue;
      if (rule.remoteGroupId && (!group.stateful || !ctx.remoteGroups.has(rule.remoteGroupId))) continue;
      return { group, rule };
    }
  }
  return undefined;
}

/** One line naming a rule, e.g. `egress IPv4 tcp 22-22 to 10.0.0.0/24`. */
export function describeRule(rule: SecurityGroupRule): string {
  const proto = rule.protocol || 'any';
  const ports = rule.portRangeMin || rule.portRangeMax ? ` ${rule.portRangeMin}-${rule.portRangeMax || rule.portRangeMin}` : '';
  const remote = rule.remoteGroupId ? `group ${rule.remoteGroupId}` : rule.remoteIpPrefix || 'anywhere';
  return `${rule.direction} ${rule.ethertype || 'IPv4'} ${proto}${ports} ${rule.direction === 'egress' ? 'to' : 'from'} ${remote}`;
}
