/**
 * Flows of a local port (a VM interface on this host): classification, anti-spoofing, its security
 * group rules, local L2 delivery, its metadata path (compile-metadata.ts), and — when the controller
 * did not also send the port as a neighbor — its address flows. Without a plugged interface (no OpenFlow port yet) a port has no flows; the
 * interface watcher recomputes it when the interface appears.
 */
import type { PortState } from '../../../proto/alcor/v1/goal_state_pb.js';
import { addressFlows, ipv6Addresses } from './compile-addresses.js';
import { metadataFlows } from './compile-metadata.js';
import { compileFloatingIps } from './compile-fip.js';
import { providerPortFlows } from './compile-provider.js';
import { ruleFlows } from './compile-security-group.js';
import { vpcVni, type CompileContext } from './context.js';
import { isIpv4, type FlowSpec } from './flow.js';
import { canonicalIpv6, isIpv6, linkLocal } from './ipv6.js';
import { Table } from './tables.js';

/** Anti-spoofing: what the port may send (its MAC with its IPs or allowed address pairs). */
function antiSpoofFlows(port: PortState, ofport: number): FlowSpec[] {
  const next = `goto_table:${Table.EGRESS_CT}`;
  const mac = port.macAddress.toLowerCase();
  if (!port.portSecurityEnabled) return [{ table: Table.PORT_SECURITY, priority: 90, match: `in_port=${ofport}`, actions: next }];
  const pairs: Array<{ mac: string; ip: string }> = port.fixedIps.filter((f) => isIpv4(f.ipAddress)).map((f) => ({ mac, ip: f.ipAddress }));
  for (const p of port.allowedAddressPairs) {
    if (isIpv4(p.ipAddress)) pairs.push({ mac: (p.macAddress || mac).toLowerCase(), ip: p.ipAddress });
  }
  const flows: FlowSpec[] = [];
  const macs = new Set<string>([mac]);
  for (const p of port.allowedAddressPairs) if (isIpv6(p.ipAddress)) macs.add((p.macAddress || mac).toLowerCase());
  for (const { mac: m, ip } of pairs) {
    macs.add(m);
    flows.push({ table: Table.PORT_SECURITY, priority: 100, match: `in_port=${ofport},dl_src=${m},ip,nw_src=${ip}`, actions: next });
    flows.push({ table: Table.PORT_SECURITY, priority: 100, match: `in_port=${ofport},dl_src=${m},arp,arp_spa=${ip},arp_sha=${m}`, actions: next });
  }
  for (const m of macs) {
    // DHCP DISCOVER/REQUEST come from 0.0.0.0 before the VM has an address.
    flows.push({ table: Table.PORT_SECURITY, priority: 100, match: `in_port=${ofport},dl_src=${m},udp,nw_src=0.0.0.0,tp_src=68,tp_dst=67`, actions: next });
  }
  return [...flows, ...ipv6AntiSpoofFlows(port, ofport, macs)];
}

/**
 * IPv6 anti-spoofing: the port's fixed IPv6 addresses, allowed address pairs (exact or prefixes) and the
 * EUI-64 link-local address of each of its MACs; `::` only for router solicitations, duplicate address
 * detection and MLD reports; neighbor advertisements only for its own exact addresses; router advertisements and DHCPv6
 * server messages never (RA guard: a VM cannot become a router or DHCPv6 server for its peers).
 */
function ipv6AntiSpoofFlows(port: PortState, ofport: number, macs: ReadonlySet<string>): FlowSpec[] {
  const next = `goto_table:${Table.EGRESS_CT}`;
  const at = (priority: number, match: string, actions = next): FlowSpec => ({ table: Table.PORT_SECURITY, priority, match: `in_port=${ofport},${match}`, actions });
  const mac = port.macAddress.toLowerCase();
  const prefixes: Array<{ mac: string; ip: string }> = [];
  for (const m of macs) prefixes.push({ mac: m, ip: linkLocal(m) });
  for (const f of port.fixedIps) if (isIpv6(f.ipAddress)) prefixes.push({ mac, ip: canonicalIpv6(f.ipAddress) });
  for (const p of port.allowedAddressPairs) {
    if (!isIpv6(p.ipAddress)) continue;
    const [ip = '', len] = p.ipAddress.split('/');
    prefixes.push({ mac: (p.macAddress || mac).toLowerCase(), ip: len === undefined || len === '128' ? canonicalIpv6(ip) : `${canonicalIpv6(ip)}/${len}` });
  }
  const flows: FlowSpec[] = [at(120, 'icmp6,icmp_type=134', 'drop'), at(120, 'udp6,tp_src=547', 'drop'), at(110, 'icmp6,icmp_type=136', 'drop')];
  for (const m of macs) {
    for (const type of [133, 135, 143]) flows.push(at(100, `dl_src=${m},icmp6,ipv6_src=::,icmp_type=${type}`));
  }
  for (const { mac: m, ip } of prefixes) flows.push(at(100, `dl_src=${m},ipv6,ipv6_src=${ip}`));
  const exact = [...[...macs].map((m) => ({ mac: m, ip: linkLocal(m) })), ...ipv6Addresses(mac, port.fixedIps, port.allowedAddressPairs)];
  for (const { mac: m, ip } of exact) flows.push(at(115, `dl_src=${m},icmp6,icmp_type=136,nd_target=${ip}`));
  return [...new Map(flows.map((f) => [f.match, f])).values()];
}

/** Security-group flows of the port, or the bypass when port security is off. */
function securityFlows(ctx: CompileContext, port: PortState, ofport: number): FlowSpec[] {
  if (!port.portSecurityEnabled) {
    return [
      { table: Table.EGRESS_CT, priority: 150, match: `reg5=${ofport}`, actions: `goto_table:${Table.ARP}` },
      { table: Table.INGRESS_CT, priority: 150, match: `reg7=${ofport}`, actions: `goto_table:${Table.OUTPUT}` },
    ];
  }
  const groups = port.securityGroupIds.map((id) => ctx.securityGroup(id)).filter((g) => g !== undefined);
  // Neutron does not let a port mix stateful and stateless groups; if it happens, stay stateful.
  const stateless = groups.length > 0 && groups.every((g) => !g.stateful);
  const flows: FlowSpec[] = [];
  if (stateless) {
    // Skip conntrack, and forget any state a same-host sender's conntrack left on the packet.
    flows.push({ table: Table.EGRESS_CT, priority: 150, match: `reg5=${ofport}`, actions: `ct_clear,goto_table:${Table.EGRESS_RULES}` });
    flows.push({ table: Table.INGRESS_CT, priority: 150, match: `reg7=${ofport}`, actions: `ct_clear,goto_table:${Table.INGRESS_RULES}` });
  }
  for (const group of groups) {
    for (const rule of group.rules) flows.push(...ruleFlows(rule, ofport, !stateless));
  }
  return flows;
}

/** Every flow of a local port. */
export function compilePort(ctx: CompileContext, portId: string): FlowSpec[] {
  const port = ctx.port(portId);
  if (!port) return [];
  const ofport = ctx.ofport(portId);
  const vni = vpcVni(ctx, port.vpcId, port.fixedIps.map((f) => f.subnetId));
  if (ofport === undefined || vni === undefined || !port.adminStateUp) return [];
  const mac = port.macAddress.toLowerCase();
  const flows: FlowSpec[] = [
    {
      table: Table.CLASSIFY,
      priority: 100,
      match: `in_port=${ofport}`,
      actions: `load:${vni}->NXM_NX_REG6[],load:${ofport}->NXM_NX_REG5[],goto_table:${Table.PORT_SECURITY}`,
    },
    ...antiSpoofFlows(port, ofport),
    ...securityFlows(ctx, port, ofport),
    { table: Table.L2, priority: 100, match: `reg6=${vni},dl_dst=${mac}`, actions: `load:${ofport}->NXM_NX_REG7[],goto_table:${Table.INGRESS_CT}` },
    ...metadataFlows(ctx, port, ofport, vni),
  ];
  flows.push(...providerPortFlows(ctx, port.vpcId, mac, port.fixedIps, port.allowedAddressPairs), ...compileFloatingIps(ctx, port));
  if (!ctx.neighbor(portId)) flows.push(...addressFlows(ctx, vni, mac, port.fixedIps, port.allowedAddressPairs, port.securityGroupIds));
  return flows;
}
