/**
 * Which conntrack entries the current security-group rules no longer allow. Established traffic skips
 * the rule tables (`+est` → accept), so deleting a rule only stops new connections; Neutron's firewall
 * drivers also delete the connection-tracking entries the rule allowed, and so does the agent: every
 * entry of a local stateful port (its network's zone, one of its addresses at the right end) is checked
 * against the port's rules exactly as the flows would check its first packet, and the entries nothing
 * allows any more are flushed. Pure: parsing `ovs-appctl dpctl/dump-conntrack` output and deciding.
 */
import type { DesiredStateView, ResourceChange } from '../../driver.js';
import type { NeighborState, SecurityGroupRule } from '../../../proto/alcor/v1/goal_state_pb.js';
import { ipv4Addresses, ipv6Addresses } from './compile-addresses.js';
import { ipv4InCidr, isIpv4 } from './flow.js';
import { canonicalIpv6, ipv6InCidr, isIpv6 } from './ipv6.js';

/** One conntrack entry (its original direction); IPv6 addresses in canonical text. */
export interface CtEntry {
  zone: number;
  /** IP protocol number. */
  proto: number;
  src: string;
  dst: string;
  /** TCP/UDP/SCTP ports (0 otherwise). */
  sport: number;
  dport: number;
  /** ICMP id, type and code (0 otherwise). */
  icmpId: number;
  icmpType: number;
  icmpCode: number;
}

const PROTO_NUMBERS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, sctp: 132, icmpv6: 58 };

/** True when `ip` lies in `cidr` (either family; an address without length is exact). */
function inCidr(ip: string, cidr: string): boolean {
  if (isIpv4(ip)) return isIpv4(cidr) && ipv4InCidr(ip, cidr.includes('/') ? cidr : `${cidr}/32`);
  return isIpv6(cidr) && ipv6InCidr(ip, cidr.includes('/') ? cidr : `${cidr}/128`);
}

/**
 * Parses `ovs-appctl dpctl/dump-conntrack` output, lines such as
 * `tcp,orig=(src=A,dst=B,sport=S,dport=D),reply=(...),zone=Z,protoinfo=(...)`; unparsable lines are
 * left out.
 */
export function parseConntrackDump(text: string): CtEntry[] {
  const out: CtEntry[] = [];
  for (const line of text.split('\n')) {
    const orig = /orig=\(([^)]*)\)/.exec(line);
    if (!orig) continue;
    const fields = new Map(orig[1]!.split(',').map((kv) => kv.split('=') as [string, string]));
    let src = fields.get('src') ?? '';
    let dst = fields.get('dst') ?? '';
    if (isIpv6(src) && isIpv6(dst)) [src, dst] = [canonicalIpv6(src), canonicalIpv6(dst)];
    else if (!isIpv4(src) || !isIpv4(dst)) continue;
    const num = (key: string) => Number(fields.get(key) ?? 0);
    const name = line.trim().split(',')[0] ?? '';
    out.push({
      zone: Number(/,zone=(\d+)/.exec(line)?.[1] ?? 0),
      proto: PROTO_NUMBERS[name] ?? num('proto'),
      src, dst,
      sport: num('sport'), dport: num('dport'), icmpId: num('id'), icmpType: num('type'), icmpCode: num('code'),
    });
  }
  return out;
}

/** The tuple argument of `ovs-appctl dpctl/flush-conntrack` naming exactly this entry. */
export function flushTuple(e: CtEntry): string {
  const v6 = e.src.includes(':');
  const base = `${v6 ? 'ct_ipv6_src' : 'ct_nw_src'}=${e.src},${v6 ? 'ct_ipv6_dst' : 'ct_nw_dst'}=${e.dst},ct_nw_proto=${e.proto}`;
  if (e.proto === 1 || e.proto === 58) return `${base},icmp_id=${e.icmpId},icmp_type=${e.icmpType},icmp_code=${e.icmpCode}`;
  if (e.sport || e.dport) return `${base},ct_tp_src=${e.sport},ct_tp_dst=${e.dport}`;
  return base;
}

/**
 * The `dpctl/flush-conntrack` tuple argument for an entry; none for ICMPv6 entries: flushing one (with or
 * without its reply tuple) makes ovs-vswitchd 3.1 (userspace datapath) exit — tried on the testbed.
 */
export function flushArgs(e: CtEntry): string[] | undefined {
  return e.proto === 58 ? undefined : [flushTuple(e)];
}

const RULE_PROTOCOLS: Record<string, number> = { ...PROTO_NUMBERS, '1': 1, '6': 6, '17': 17, '132': 132, '58': 58, 'ipv6-icmp': 58 };

/** True when `rule` admits the first packet of `e` with `remote` as the far end (mirrors ruleFlows). */
export function ruleAllows(rule: SecurityGroupRule, e: CtEntry, remote: string, isMember: (groupId: string, ip: string) => boolean): boolean {
  const v6 = e.src.includes(':');
  if ((rule.ethertype === 'IPv6') !== v6) return false;
  const proto = rule.protocol.toLowerCase();
  if (proto !== '' && proto !== 'any') {
    let number = RULE_PROTOCOLS[proto] ?? (/^\d+$/.test(proto) ? Number(proto) : -1);
    // With IPv6, Neutron's `icmp` (and 1) mean ICMPv6, as the flows match them.
    if (v6 && number === 1) number = 58;
    if (number !== e.proto) return false;
    if (number === 1 || number === 58) {
      if (rule.portRangeMin && e.icmpType !== rule.portRangeMin) return false;
      if (rule.portRangeMin && rule.portRangeMax && e.icmpCode !== rule.portRangeMax) return false;
    } else if ((number === 6 || number === 17 || number === 132) && (rule.portRangeMin || rule.portRangeMax)) {
      const min = rule.portRangeMin || 1;
      const max = rule.portRangeMax || rule.portRangeMin;
      if (e.dport < min || e.dport > max) return false;
    }
  }
  if (rule.remoteGroupId) return isMember(rule.remoteGroupId, remote);
  const prefix = rule.remoteIpPrefix;
  return !prefix || prefix === '0.0.0.0/0' || prefix === '::/0' || inCidr(remote, prefix);
}

/** A local port whose connections the rules govern. */
interface GovernedPort {
  zone: number;
  addresses: string[];
  rules: SecurityGroupRule[];
}

/** Local plugged ports with port security and stateful groups, by conntrack zone. */
export function governedPorts(view: DesiredStateView, ofports: ReadonlyMap<string, number>): Map<number, GovernedPort[]> {
  const out = new Map<number, GovernedPort[]>();
  for (const [id, port] of view.port) {
    if (!port.portSecurityEnabled || !ofports.has(id)) continue;
    const groups = port.securityGroupIds.map((g) => view.securityGroup.get(g)).filter((g) => g !== undefined);
    if (groups.length > 0 && groups.every((g) => !g.stateful)) continue;
    // The port's network VNI, as the compilers pick it (the VPC's, else one of its subnets').
    const vni = view.vpc.get(port.vpcId)?.segmentationId || port.fixedIps.map((f) => view.subnet.get(f.subnetId)?.segmentationId).find((v) => v);
    if (!vni) continue;
    const addresses = [...port.fixedIps.map((f) => f.ipAddress), ...port.allowedAddressPairs.map((p) => p.ipAddress)].filter((a) => isIpv4(a) || isIpv6(a));
    const zone = vni & 0xffff;
    const list = out.get(zone) ?? [];
    list.push({ zone, addresses, rules: groups.flatMap((g) => g.rules) });
    out.set(zone, list);
  }
  return out;
}

/** Remote-group membership as the member flows see it: exact addresses of ports and neighbors. */
export function groupMembership(view: DesiredStateView): (groupId: string, ip: string) => boolean {
  let members: Map<string, Set<string>> | undefined;
  return (groupId, ip) => {
    if (!members) {
      members = new Map();
      for (const m of [...view.port.values(), ...view.neighbor.values()]) {
        for (const g of m.securityGroupIds) {
          let set = members.get(g);
          if (!set) members.set(g, (set = new Set()));
          for (const a of ipv4Addresses(m.macAddress, m.fixedIps, m.allowedAddressPairs)) set.add(a.ip);
          for (const a of ipv6Addresses(m.macAddress, m.fixedIps, m.allowedAddressPairs)) set.add(a.ip);
        }
      }
    }
    return members.get(groupId)?.has(ip) ?? false;
  };
}

/** The entries of one zone that a port of it governs and none of its rules allows any more. */
export function staleEntries(entries: readonly CtEntry[], ports: readonly GovernedPort[], isMember: (groupId: string, ip: string) => boolean): CtEntry[] {
  return entries.filter((e) =>
    ports.some((p) => {
      const ingress = p.addresses.some((a) => inCidr(e.dst, a));
      const egress = p.addresses.some((a) => inCidr(e.src, a));
      const allowed = (direction: string, remote: string) => p.rules.some((r) => r.direction === direction && ruleAllows(r, e, remote, isMember));
      return (ingress && !allowed('ingress', e.src)) || (egress && !allowed('egress', e.dst));
    }),
  );
}

/** What a neighbor contributes to remote-group membership: its groups and addresses. */
function membershipKey(n: NeighborState): string {
  return `${n.securityGroupIds.join(',')}|${n.fixedIps.map((f) => f.ipAddress).join(',')}|${n.allowedAddressPairs.map((p) => p.ipAddress).join(',')}`;
}

/**
 * True when a change may take away what allowed an established connection: a security group that lost
 * a rule or went (or whose previous state is unknown), a local port that changed or went, a neighbor
 * that left a group or lost an address. Additions revoke nothing, so a new neighbor (the common change
 * in a large VPC) never costs a sweep.
 */
export function mayRevokeConnections(change: ResourceChange): boolean {
  switch (change.kind) {
    case 'securityGroup': {
      const { previous, desired } = change;
      if (!previous || !desired) return true;
      return previous.rules.some((r) => !desired.rules.some((d) => d.id === r.id));
    }
    case 'port':
      return change.previous !== undefined || change.desired === undefined;
    case 'neighbor': {
      const previous = change.previous;
      if (!previous) return false;
      return !change.desired || membershipKey(previous) !== membershipKey(change.desired);
    }
    default:
      return false;
  }
}
