/**
 * Flows that make an address reachable inside its network, shared by neighbors and local ports: the
 * ARP responder entry, the IP → MAC entry routing uses, and the remote-group membership entries
 * (second dimension of the conjunctive security-group flows).
 */
import type { AddressPair, FixedIp } from '../../../proto/alcor/v1/goal_state_pb.js';
import { fnv32, ipv4ToHex, isIpv4, macToHex, type FlowSpec } from './flow.js';
import type { CompileContext } from './context.js';
import { canonicalIpv6, isIpv6, linkLocal } from './ipv6.js';
import { CT_ZONE, ND_USERDATA, Table } from './tables.js';

/** ARP responder actions: turn the request into a reply from `mac` for `ip` and send it back. */
export function arpReplyActions(mac: string, ip: string): string {
  return (
    'move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],' +
    `set_field:${mac}->eth_src,` +
    'load:0x2->NXM_OF_ARP_OP[],move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],' +
    `load:${macToHex(mac)}->NXM_NX_ARP_SHA[],load:${ipv4ToHex(ip)}->NXM_OF_ARP_SPA[],in_port`
  );
}

/** The ARP responder flow answering for `ip` in network `vni`. */
export function arpResponder(vni: number, ip: string, mac: string, priority: number): FlowSpec {
  return { table: Table.ARP, priority, match: `reg6=${vni},arp,arp_op=1,arp_tpa=${ip}`, actions: arpReplyActions(mac, ip) };
}

/**
 * The neighbor-discovery responder entry for `ip` in network `vni`: a Neighbor Solicitation for it goes
 * to the agent, which answers with an advertisement from `mac` (the userdata carries the MAC and, for
 * router addresses, the router flag), as the ARP responder does for IPv4.
 */
export function ndResponder(vni: number, ip: string, mac: string, router: boolean): FlowSpec {
  const userdata = `${ND_USERDATA}.${mac.toLowerCase().replace(/:/g, '.')}.${router ? '80' : '00'}`;
  return {
    table: Table.ARP,
    priority: 100,
    match: `reg6=${vni},icmp6,icmp_type=135,nd_target=${ip}`,
    actions: `controller(userdata=${userdata},max_len=65535)`,
  };
}

/** Conjunction id of "remote address is a member of `groupId`" for one direction and ethertype. */
export function conjunctionId(groupId: string, direction: 'ingress' | 'egress', ethertype: 'IPv4' | 'IPv6'): number {
  return fnv32(`${groupId}|${direction}|${ethertype}`) || 1;
}

/** The exact IPv4 addresses of a port or neighbor, with the MAC each answers with. */
export function ipv4Addresses(mac: string, fixedIps: readonly FixedIp[], pairs: readonly AddressPair[]): Array<{ ip: string; mac: string }> {
  const lower = mac.toLowerCase();
  // The common case: one fixed IP, no pairs.
  if (pairs.length === 0 && fixedIps.length === 1) {
    const ip = fixedIps[0]!.ipAddress;
    return isIpv4(ip) && !ip.includes('/') ? [{ ip, mac: lower }] : [];
  }
  const out: Array<{ ip: string; mac: string }> = [];
  const seen = new Set<string>();
  const add = (ip: string, m: string) => {
    const bare = ip.endsWith('/32') ? ip.slice(0, -3) : ip;
    if (!isIpv4(bare) || bare.includes('/') || seen.has(bare)) return;
    seen.add(bare);
    out.push({ ip: bare, mac: m.toLowerCase() });
  };
  for (const f of fixedIps) add(f.ipAddress, lower);
  for (const p of pairs) add(p.ipAddress, p.macAddress || lower);
  return out;
}

/** The exact IPv6 addresses of a port or neighbor (canonical text), with the MAC each answers with. */
export function ipv6Addresses(mac: string, fixedIps: readonly FixedIp[], pairs: readonly AddressPair[]): Array<{ ip: string; mac: string }> {
  const lower = mac.toLowerCase();
  const out: Array<{ ip: string; mac: string }> = [];
  const seen = new Set<string>();
  const add = (ip: string, m: string) => {
    const bare = ip.endsWith('/128') ? ip.slice(0, -4) : ip;
    if (bare.includes('/') || !isIpv6(bare)) return;
    const canonical = canonicalIpv6(bare);
    if (seen.has(canonical)) return;
    seen.add(canonical);
    out.push({ ip: canonical, mac: m.toLowerCase() });
  };
  for (const f of fixedIps) add(f.ipAddress, lower);
  for (const p of pairs) add(p.ipAddress, p.macAddress || lower);
  return out;
}

/**
 * ARP, IP → MAC, next-hop and remote-group membership flows of one port's addresses in network `vni`.
 * Membership flows are emitted for the groups the port is in that some local rule references as a
 * remote group in that direction, and NEXTHOP entries for addresses some local router's extra route
 * uses as next hop (both recorded lookups on `ctx`, so a rule or route that starts referencing an
 * address recompiles exactly its owner).
 */
export function addressFlows(
  ctx: Pick<CompileContext, 'remoteGroupReferenced' | 'nexthopReferenced'>,
  vni: number,
  mac: string,
  fixedIps: readonly FixedIp[],
  pairs: readonly AddressPair[],
  securityGroupIds: readonly string[],
): FlowSpec[] {
  const flows: FlowSpec[] = [];
  const groups = securityGroupIds.length > 1 ? [...securityGroupIds].sort() : securityGroupIds;
  const ingress = groups.filter((g) => ctx.remoteGroupReferenced(g, 'ingress')).map((g) => `conjunction(${conjunctionId(g, 'ingress', 'IPv4')},2/2)`).join(',');
  const egress = groups.filter((g) => ctx.remoteGroupReferenced(g, 'egress')).map((g) => `conjunction(${conjunctionId(g, 'egress', 'IPv4')},2/2)`).join(',');
  for (const { ip, mac: m } of ipv4Addresses(mac, fixedIps, pairs)) {
    flows.push(arpResponder(vni, ip, m, 100));
    flows.push({ table: Table.L3_RESOLVE, priority: 100, match: `reg6=${vni},ip,nw_dst=${ip}`, actions: `set_field:${m}->eth_dst,goto_table:${Table.L2}` });
    if (ctx.nexthopReferenced(ip)) flows.push({ table: Table.NEXTHOP, priority: 100, match: `reg6=${vni},reg4=${ipv4ToHex(ip)}`, actions: `set_field:${m}->eth_dst` });
    if (ingress) flows.push({ table: Table.INGRESS_RULES, priority: 60, match: `ip,nw_src=${ip}`, actions: ingress });
    if (egress) flows.push({ table: Table.EGRESS_RULES, priority: 60, match: `ip,nw_dst=${ip}`, actions: egress });
  }
  const v6 = ipv6Addresses(mac, fixedIps, pairs);
  if (v6.length === 0) return flows;
  const conj6 = (direction: 'ingress' | 'egress') =>
    groups.filter((g) => ctx.remoteGroupReferenced(g, direction)).map((g) => `conjunction(${conjunctionId(g, direction, 'IPv6')},2/2)`).join(',');
  const ingress6 = conj6('ingress');
  const egress6 = conj6('egress');
  flows.push(ndResponder(vni, linkLocal(mac), mac, false));
  for (const { ip, mac: m } of v6) {
    flows.push(ndResponder(vni, ip, m, false));
    flows.push({ table: Table.L3_RESOLVE, priority: 100, match: `reg6=${vni},ipv6,ipv6_dst=${ip}`, actions: `set_field:${m}->eth_dst,goto_table:${Table.L2}` });
    if (ingress6) flows.push({ table: Table.INGRESS_RULES, priority: 60, match: `ipv6,ipv6_src=${ip}`, actions: ingress6 });
    if (egress6) flows.push({ table: Table.EGRESS_RULES, priority: 60, match: `ipv6,ipv6_dst=${ip}`, actions: egress6 });
  }
  return flows;
}

/** `ct(commit)` in the packet's network zone, then continue at `table`. */
export function commitAndGoto(table: number): string {
  return `ct(commit,zone=${CT_ZONE}),goto_table:${table}`;
}
