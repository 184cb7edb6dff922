/**
 * Flows owned by network-wide resources: neighbors (ports of the VPC on any host), subnets (the DHCP
 * server's address), routers (distributed routing between their subnets), and the static skeleton of
 * the pipeline (`base`).
 */
import type { RouterState } from '../../../proto/alcor/v1/goal_state_pb.js';
import { addressFlows, arpResponder, ndResponder } from './compile-addresses.js';
import { gatewayFlows } from './compile-gateway.js';
import { subnetVni, vpcVni, type CompileContext } from './context.js';
import { derivedMac, ipv4InCidr, ipv4ToHex, isIpv4, type FlowSpec } from './flow.js';
import { canonicalIpv6, isIpv6, linkLocal } from './ipv6.js';
import { CT_ZONE, DHCP6_USERDATA, DHCP_USERDATA, MLD_TYPES, ND_TYPES, REG_NEXTHOP, RS_USERDATA, Table } from './tables.js';

/** The MAC the agent's DHCP server answers from in a subnet (and the ARP answer for its address). */
export function dhcpServerMac(subnetId: string): string {
  return derivedMac(`dhcp/${subnetId}`);
}

/** Flows of a neighbor: tunnel to its host (unless it is local) and its address flows. */
export function compileNeighbor(ctx: CompileContext, neighborId: string): FlowSpec[] {
  const n = ctx.neighbor(neighborId);
  if (!n) return [];
  const vni = vpcVni(ctx, n.vpcId, n.fixedIps.map((f) => f.subnetId));
  if (vni === undefined) return [];
  const mac = n.macAddress.toLowerCase();
  const flows = addressFlows(ctx, vni, mac, n.fixedIps, n.allowedAddressPairs, n.securityGroupIds);
  const local = n.hostId === ctx.host.hostId || n.hostIp === ctx.host.datapathIp;
  // A provider network's remote ports are reached through the physical network (compile-provider.ts).
  if (!local && n.hostIp && !ctx.vpc(n.vpcId)?.physicalNetwork) {
    flows.push({
      table: Table.L2,
      priority: 100,
      match: `reg6=${vni},dl_dst=${mac}`,
      actions: `set_field:${vni}->tun_id,set_field:${n.hostIp}->tun_dst,output:${ctx.host.tunnelOfport}`,
    });
  }
  return flows;
}

/** Flows of a subnet: ARP for the DHCP server's address (the gateway IP) when no router answers it. */
export function compileSubnet(ctx: CompileContext, subnetId: string): FlowSpec[] {
  const subnet = ctx.subnet(subnetId);
  if (!subnet || !subnet.enableDhcp || !isIpv4(subnet.gatewayIp)) return [];
  // On a provider network the gateway is a real router of the physical network, which answers itself.
  if (ctx.vpc(subnet.vpcId)?.physicalNetwork) return [];
  const vni = subnetVni(ctx, subnetId);
  if (vni === undefined) return [];
  return [arpResponder(vni, subnet.gatewayIp, dhcpServerMac(subnetId), 90)];
}

/**
 * Flows of a router (distributed: every host with a port in one of its subnets routes locally). For
 * each interface: ARP and ICMP echo answers for the router address; for each pair of interfaces: a route
 * that rewrites the source MAC to the outgoing interface's, decrements the TTL and moves the packet to
 * the destination network, whose IP → MAC table (L3_RESOLVE) then picks the destination MAC. Extra
 * routes do the same towards the interface whose subnet holds the next hop, but take the destination
 * MAC from the next hop's NEXTHOP entry. Longer prefixes win; on equal prefixes a connected subnet wins.
 */
export function compileRouter(ctx: CompileContext, routerId: string): FlowSpec[] {
  const router = ctx.router(routerId);
  if (!router) return [];
  const interfaces = router.interfaces
    .map((ifc) => ({ ifc, subnet: ctx.subnet(ifc.subnetId), vni: subnetVni(ctx, ifc.subnetId) }))
    .filter((x) => x.subnet && x.vni !== undefined && isIpv4(x.ifc.ipAddress) && isIpv4(x.subnet.cidr));
  const flows: FlowSpec[] = gatewayFlows(ctx, router, interfaces.map((x) => ({ vni: x.vni!, mac: x.ifc.macAddress.toLowerCase(), cidr: x.subnet!.cidr })));
  for (const { ifc, vni } of interfaces) {
    const mac = ifc.macAddress.toLowerCase();
    flows.push(arpResponder(vni!, ifc.ipAddress, mac, 110));
    flows.push({
      table: Table.ROUTING,
      priority: 200,
      match: `reg6=${vni},icmp,icmp_type=8,icmp_code=0,nw_dst=${ifc.ipAddress}`,
      actions: [
        'move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]',
        `set_field:${mac}->eth_src`,
        'move:NXM_OF_IP_SRC[]->NXM_OF_IP_DST[]',
        `set_field:${ifc.ipAddress}->ip_src`,
        'load:0xff->NXM_NX_IP_TTL[]',
        'load:0->NXM_OF_ICMP_TYPE[]',
        'in_port',
      ].join(','),
    });
  }
  const priority = (cidr: string, connected: boolean) => 100 + 2 * Number(cidr.split('/')[1] ?? 32) + (connected ? 1 : 0);
  const routes = router.routes
    .filter((r) => isIpv4(r.nexthop) && isIpv4(r.destination))
    .map((route) => ({ route, via: interfaces.find((x) => ipv4InCidr(route.nexthop, x.subnet!.cidr)) }));
  for (const from of interfaces) {
    const routed = `reg6=${from.vni},dl_dst=${from.ifc.macAddress.toLowerCase()},ip`;
    for (const to of interfaces) {
      if (from === to || from.subnet!.cidr === to.subnet!.cidr) continue;
      flows.push({
        table: Table.ROUTING,
        priority: priority(to.subnet!.cidr, true),
        match: `${routed},nw_dst=${to.subnet!.cidr}`,
        actions: `dec_ttl,set_field:${to.ifc.macAddress.toLowerCase()}->eth_src,load:${to.vni}->NXM_NX_REG6[],goto_table:${Table.L3_RESOLVE}`,
      });
    }
    for (const { route, via } of routes) {
      // Neutron only accepts next hops inside a subnet of the router; one that is not attached here yet is skipped.
      if (!via) continue;
      flows.push({
        table: Table.ROUTING,
        priority: priority(route.destination, false),
        match: `${routed},nw_dst=${route.destination}`,
        actions: [
          'dec_ttl',
          `set_field:${via.ifc.macAddress.toLowerCase()}->eth_src`,
          `load:${via.vni}->NXM_NX_REG6[]`,
          `load:${ipv4ToHex(route.nexthop)}->${REG_NEXTHOP}`,
          `resubmit(,${Table.NEXTHOP})`,
          `goto_table:${Table.L2}`,
        ].join(','),
      });
    }
  }
  return [...flows, ...routerIpv6Flows(ctx, router.interfaces)];
}

/**
 * IPv6 side of a router: neighbor discovery answers (router flag) for each interface address and the
 * link-local address of its MAC (the next hop the RAs announce), echo replies from its addresses, and routes between its IPv6 subnets
 * (hop limit decremented). Extra routes are IPv4 only for now.
 */
function routerIpv6Flows(ctx: CompileContext, all: RouterState['interfaces']): FlowSpec[] {
  const interfaces = all
    .map((ifc) => ({ ifc, subnet: ctx.subnet(ifc.subnetId), vni: subnetVni(ctx, ifc.subnetId) }))
    .filter((x) => x.subnet && x.vni !== undefined && isIpv6(x.ifc.ipAddress) && isIpv6(x.subnet.cidr));
  const flows: FlowSpec[] = [];
  const seen = new Set<string>();
  for (const { ifc, vni } of interfaces) {
    const mac = ifc.macAddress.toLowerCase();
    flows.push(ndResponder(vni!, canonicalIpv6(ifc.ipAddress), mac, true));
    flows.push({
      table: Table.ROUTING,
      priority: 200,
      match: `reg6=${vni},icmp6,icmp_type=128,icmp_code=0,ipv6_dst=${canonicalIpv6(ifc.ipAddress)}`,
      actions: [
        'move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]',
        `set_field:${mac}->eth_src`,
        'move:NXM_NX_IPV6_SRC[]->NXM_NX_IPV6_DST[]',
        `set_field:${canonicalIpv6(ifc.ipAddress)}->ipv6_src`,
        'load:0xff->NXM_NX_IP_TTL[]',
        'set_field:129->icmpv6_type',
        'in_port',
      ].join(','),
    });
    if (!seen.has(`${vni}/${mac}`)) flows.push(ndResponder(vni!, linkLocal(mac), mac, true));
    seen.add(`${vni}/${mac}`);
  }
  for (const from of interfaces) {
    for (const to of interfaces) {
      if (from === to || from.subnet!.cidr === to.subnet!.cidr) continue;
      flows.push({
        table: Table.ROUTING,
        priority: 101 + 2 * Number(to.subnet!.cidr.split('/')[1] ?? 128),
        match: `reg6=${from.vni},dl_dst=${from.ifc.macAddress.toLowerCase()},ipv6,ipv6_dst=${to.subnet!.cidr}`,
        actions: `dec_ttl,set_field:${to.ifc.macAddress.toLowerCase()}->eth_src,load:${to.vni}->NXM_NX_REG6[],goto_table:${Table.L3_RESOLVE}`,
      });
    }
  }
  return flows;
}

/** The pipeline skeleton: table defaults, tunnel classification, conntrack entry points, DHCP punt. */
export function compileBase(ctx: CompileContext): FlowSpec[] {
  const t = Table;
  const goto = (table: number) => `goto_table:${table}`;
  return [
    { table: t.CLASSIFY, priority: 0, match: '', actions: 'drop' },
    // DHCP from an interface the agent has not classified yet (plugged a moment ago): the agent reads the
    // interface's iface-id from OVSDB, so a booting VM does not lose its first DISCOVER to the
    // interface-discovery race.
    { table: t.CLASSIFY, priority: 10, match: 'udp,tp_src=68,tp_dst=67', actions: `controller(userdata=${DHCP_USERDATA},max_len=65535)` },
    {
      table: t.CLASSIFY,
      priority: 100,
      match: `in_port=${ctx.host.tunnelOfport}`,
      actions: `move:NXM_NX_TUN_ID[0..23]->NXM_NX_REG6[0..23],load:0->NXM_NX_REG5[],${goto(t.L2)}`,
    },
    { table: t.PORT_SECURITY, priority: 0, match: '', actions: 'drop' },
    { table: t.EGRESS_CT, priority: 0, match: '', actions: 'drop' },
    { table: t.EGRESS_CT, priority: 200, match: 'arp', actions: goto(t.ARP) },
    { table: t.EGRESS_CT, priority: 200, match: 'udp,tp_src=68,tp_dst=67', actions: goto(t.ARP) },
    // Neighbor discovery, MLD and DHCPv6 requests are never filtered (as ARP and DHCP).
    ...[...ND_TYPES, ...MLD_TYPES].map((type) => ({ table: t.EGRESS_CT, priority: 200, match: `icmp6,icmp_type=${type}`, actions: goto(t.ARP) })),
    { table: t.EGRESS_CT, priority: 200, match: 'udp6,tp_src=546,tp_dst=547', actions: goto(t.ARP) },
    { table: t.EGRESS_CT, priority: 100, match: 'ip', actions: `ct(table=${t.EGRESS_RULES},zone=${CT_ZONE})` },
    { table: t.EGRESS_CT, priority: 100, match: 'ipv6', actions: `ct(table=${t.EGRESS_RULES},zone=${CT_ZONE})` },
    { table: t.EGRESS_RULES, priority: 0, match: '', actions: 'drop' },
    { table: t.EGRESS_RULES, priority: 100, match: 'ct_state=+inv+trk', actions: 'drop' },
    { table: t.EGRESS_RULES, priority: 90, match: 'ct_state=+est+trk', actions: goto(t.ARP) },
    { table: t.EGRESS_RULES, priority: 90, match: 'ct_state=+rel+trk', actions: goto(t.ARP) },
    { table: t.ARP, priority: 0, match: '', actions: goto(t.DHCP) },
    { table: t.ARP, priority: 1, match: 'arp', actions: 'drop' },
    // Duplicate address detection (from ::) is not answered: the address is the sender's own.
    { table: t.ARP, priority: 110, match: 'icmp6,icmp_type=135,ipv6_src=::', actions: goto(t.DHCP) },
    { table: t.ARP, priority: 100, match: 'icmp6,icmp_type=133', actions: `controller(userdata=${RS_USERDATA},max_len=65535)` },
    { table: t.DHCP, priority: 0, match: '', actions: goto(t.METADATA) },
    { table: t.METADATA, priority: 0, match: '', actions: goto(t.ROUTING) },
    { table: t.DHCP, priority: 100, match: 'udp,tp_src=68,tp_dst=67', actions: `controller(userdata=${DHCP_USERDATA},max_len=65535)` },
    { table: t.DHCP, priority: 100, match: 'udp6,tp_src=546,tp_dst=547', actions: `controller(userdata=${DHCP6_USERDATA},max_len=65535)` },
    { table: t.ROUTING, priority: 0, match: '', actions: goto(t.L2) },
    { table: t.SNAT_OUT, priority: 0, match: '', actions: 'drop' },
    { table: t.EXT_OUT, priority: 0, match: '', actions: 'drop' },
    { table: t.UNSNAT, priority: 0, match: '', actions: 'drop' },
    { table: t.FIP_OUT, priority: 0, match: '', actions: 'drop' },
    { table: t.FIP_EXT_OUT, priority: 0, match: '', actions: 'drop' },
    { table: t.L3_RESOLVE, priority: 0, match: '', actions: 'drop' },
    { table: t.L2, priority: 0, match: '', actions: 'drop' },
    { table: t.INGRESS_CT, priority: 0, match: '', actions: 'drop' },
    { table: t.INGRESS_CT, priority: 200, match: 'arp', actions: goto(t.OUTPUT) },
    ...[...ND_TYPES, ...MLD_TYPES].map((type) => ({ table: t.INGRESS_CT, priority: 200, match: `icmp6,icmp_type=${type}`, actions: goto(t.OUTPUT) })),
    { table: t.INGRESS_CT, priority: 100, match: 'ip', actions: `ct_clear,ct(table=${t.INGRESS_RULES},zone=${CT_ZONE})` },
    { table: t.INGRESS_CT, priority: 100, match: 'ipv6', actions: `ct_clear,ct(table=${t.INGRESS_RULES},zone=${CT_ZONE})` },
    { table: t.INGRESS_RULES, priority: 0, match: '', actions: 'drop' },
    { table: t.INGRESS_RULES, priority: 100, match: 'ct_state=+inv+trk', actions: 'drop' },
    { table: t.INGRESS_RULES, priority: 90, match: 'ct_state=+est+trk', actions: goto(t.OUTPUT) },
    { table: t.INGRESS_RULES, priority: 90, match: 'ct_state=+rel+trk', actions: goto(t.OUTPUT) },
    { table: t.OUTPUT, priority: 0, match: '', actions: 'output:NXM_NX_REG7[0..15]' },
  ];
}
