/**
 * Security-group rules of one local port as flows (Neutron semantics): stateful via conntrack, one or a
 * few flows per rule (port ranges become value/mask matches), and remote-group rules as the first
 * dimension of a conjunction whose second dimension is the group's member addresses (see
 * compile-addresses.ts), so membership changes never touch rule flows and vice versa.
 */
import type { SecurityGroupRule } from '../../../proto/alcor/v1/goal_state_pb.js';
import { commitAndGoto, conjunctionId } from './compile-addresses.js';
import { portRangeMasks, type FlowSpec } from './flow.js';
import { Table } from './tables.js';

const PROTOCOLS_V4: Record<string, string> = { tcp: 'tcp', '6': 'tcp', udp: 'udp', '17': 'udp', icmp: 'icmp', '1': 'icmp', sctp: 'sctp', '132': 'sctp' };
const PROTOCOLS_V6: Record<string, string> = {
  tcp: 'tcp6', '6': 'tcp6', udp: 'udp6', '17': 'udp6', icmp: 'icmp6', icmpv6: 'icmp6', 'ipv6-icmp': 'icmp6', '58': 'icmp6', sctp: 'sctp6', '132': 'sctp6',
};

/** The protocol and L4 parts of a rule's match; several when a port range needs several masks. */
export function ruleProtocolMatches(rule: SecurityGroupRule): string[] {
  const v6 = rule.ethertype === 'IPv6';
  const proto = rule.protocol.toLowerCase();
  if (proto === '' || proto === 'any') return [v6 ? 'ipv6' : 'ip'];
  const named = (v6 ? PROTOCOLS_V6 : PROTOCOLS_V4)[proto];
  if (!named) {
    const number = Number(proto);
    return Number.isInteger(number) && number >= 0 && number <= 255 ? [`${v6 ? 'ipv6' : 'ip'},nw_proto=${number}`] : [];
  }
  if (named.startsWith('icmp')) {
    let m = named;
    if (rule.portRangeMin) m += `,icmp_type=${rule.portRangeMin}`;
    if (rule.portRangeMin && rule.portRangeMax) m += `,icmp_code=${rule.portRangeMax}`;
    return [m];
  }
  if (!rule.portRangeMin && !rule.portRangeMax) return [named];
  const masks = portRangeMasks(rule.portRangeMin || 1, rule.portRangeMax || rule.portRangeMin);
  return masks.length === 0 ? [named] : masks.map((m) => `${named},tp_dst=${m}`);
}

/** The remote-address part of a rule's match ('' when any). */
function remoteMatch(rule: SecurityGroupRule): string {
  const prefix = rule.remoteIpPrefix;
  if (!prefix || prefix === '0.0.0.0/0' || prefix === '::/0') return '';
  const v6 = rule.ethertype === 'IPv6';
  const field = rule.direction === 'ingress' ? (v6 ? 'ipv6_src' : 'nw_src') : v6 ? 'ipv6_dst' : 'nw_dst';
  return `,${field}=${prefix}`;
}

/**
 * Flows of one rule for the local port with OpenFlow port `ofport`. Ingress rules match the port the
 * packet is delivered to (reg7), egress rules the port it came from (reg5). Rules of stateless groups
 * match every packet (no conntrack; replies need their own rules) and do not support remote groups yet:
 * such a rule allows nothing (the safe direction).
 */
export function ruleFlows(rule: SecurityGroupRule, ofport: number, stateful = true): FlowSpec[] {
  const ingress = rule.direction === 'ingress';
  const table = ingress ? Table.INGRESS_RULES : Table.EGRESS_RULES;
  const next = ingress ? Table.OUTPUT : Table.ARP;
  const portMatch = ingress ? `reg7=${ofport}` : `reg5=${ofport}`;
  const flows: FlowSpec[] = [];
  for (const proto of ruleProtocolMatches(rule)) {
    if (!stateful) {
      if (!rule.remoteGroupId) flows.push({ table, priority: 70, match: `${portMatch},${proto}${remoteMatch(rule)}`, actions: `goto_table:${next}` });
      continue;
    }
    const match = `ct_state=+new+trk,${portMatch},${proto}`;
    if (rule.remoteGroupId) {
      const ethertype = rule.ethertype === 'IPv6' ? 'IPv6' : 'IPv4';
      const conj = conjunctionId(rule.remoteGroupId, ingress ? 'ingress' : 'egress', ethertype);
      flows.push({ table, priority: 60, match, actions: `conjunction(${conj},1/2)` });
      flows.push({ table, priority: 60, match: `conj_id=${conj},${ethertype === 'IPv6' ? 'ipv6' : 'ip'}`, actions: commitAndGoto(next) });
    } else {
      flows.push({ table, priority: 70, match: match + remoteMatch(rule), actions: commitAndGoto(next) });
    }
  }
  return flows;
}
