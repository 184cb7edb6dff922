/**
 * Floating IPs, distributed: NATed on the host of the port they are associated with, never hairpinned
 * through the gateway host. Owner `port/<id>`, for each floating IP F of the local port with address X
 * in subnet S of router R (Zf = the floating IP's conntrack zone, below):
 * - ROUTING 99: `reg6=<VNI of S>,dl_dst=<R's MAC in S>,ip,nw_src=X` (destination outside R) → FIP_OUT
 *   (above the gateway's 98, below every connected or extra route).
 * - FIP_OUT 100: `reg6=<VNI>,ip,nw_src=X` → dec_ttl, ct(commit, zone Zf, nat(src=F)) → FIP_EXT_OUT.
 * - FIP_EXT_OUT 100: `ip,nw_src=F` → source MAC = F's own MAC, destination = the external next hop's
 *   (R's gateway next hop, resolved by the agent), out of the patch.
 * - PHYS_IN 100: ARP requests for F answered with F's MAC; ARP replies to F go to the agent.
 * - PHYS_IN 90: `ip,nw_dst=F` → reg3 = Zf, ct(commit, zone Zf, nat(dst=X)) → UNSNAT, whose entry
 *   `reg3=Zf,ip,nw_dst=X` moves the packet into S; the port's ingress security groups then judge it
 *   like any packet from outside.
 * F's MAC is derived from the floating IP id, so it is the same on whichever host F lives and the
 * external switches relearn it from the gratuitous ARPs the new host sends.
 */
import type { PortFloatingIp, PortState } from '../../../proto/alcor/v1/goal_state_pb.js';
import { arpReplyActions } from './compile-addresses.js';
import { mappedSegment, physicalOutput } from './compile-provider.js';
import { providerVni, subnetVni, type CompileContext } from './context.js';
import { derivedMac, fnv32, isIpv4, type FlowSpec } from './flow.js';
import { GATEWAY_ARP_USERDATA, REG_SNAT_ZONE, Table } from './tables.js';

/** The MAC a floating IP answers ARP with on the external network. */
export function floatingIpMac(fipId: string): string {
  return derivedMac(`fip/${fipId}`);
}

/** The conntrack zone of a floating IP's NAT: 0xe000 + 12 bits of its id's hash. */
export function floatingIpZone(fipId: string): number {
  return 0xe000 | (fnv32(fipId) & 0xfff);
}

/** The flows of one floating IP of a local port (none until its router, subnet and external network are known here). */
function floatingIpFlows(ctx: CompileContext, port: PortState, fip: PortFloatingIp): FlowSpec[] {
  const fixed = port.fixedIps.find((f) => f.ipAddress === fip.fixedIpAddress);
  const router = ctx.router(fip.routerId);
  const segment = mappedSegment(ctx, fip.networkId);
  if (!fixed || !router || !segment || !isIpv4(fip.floatingIpAddress) || !isIpv4(fip.fixedIpAddress)) return [];
  const ifc = router.interfaces.find((i) => i.subnetId === fixed.subnetId);
  const vni = subnetVni(ctx, fixed.subnetId);
  if (!ifc || vni === undefined) return [];
  const F = fip.floatingIpAddress;
  const X = fip.fixedIpAddress;
  const mac = floatingIpMac(fip.id);
  const zone = floatingIpZone(fip.id);
  const extVni = providerVni(segment);
  const flows: FlowSpec[] = [
    { table: Table.ROUTING, priority: 99, match: `reg6=${vni},dl_dst=${ifc.macAddress.toLowerCase()},ip,nw_src=${X}`, actions: `goto_table:${Table.FIP_OUT}` },
    { table: Table.FIP_OUT, priority: 100, match: `reg6=${vni},ip,nw_src=${X}`, actions: `dec_ttl,ct(commit,zone=${zone},table=${Table.FIP_EXT_OUT},nat(src=${F}))` },
    { table: Table.PHYS_IN, priority: 100, match: `reg6=${extVni},arp,arp_op=1,arp_tpa=${F}`, actions: physicalOutput(segment, arpReplyActions(mac, F)) },
    { table: Table.PHYS_IN, priority: 100, match: `reg6=${extVni},arp,arp_op=2,arp_tpa=${F}`, actions: `controller(userdata=${GATEWAY_ARP_USERDATA},max_len=128)` },
    { table: Table.PHYS_IN, priority: 90, match: `reg6=${extVni},ip,nw_dst=${F}`, actions: `load:${zone}->${REG_SNAT_ZONE},ct(commit,zone=${zone},table=${Table.UNSNAT},nat(dst=${X}))` },
    {
      table: Table.UNSNAT,
      priority: 100,
      match: `reg3=${zone},ip,nw_dst=${X}`,
      actions: `dec_ttl,set_field:${ifc.macAddress.toLowerCase()}->eth_src,load:${vni}->NXM_NX_REG6[],goto_table:${Table.L3_RESOLVE}`,
    },
  ];
  const nexthop = router.gateway?.nexthop;
  const nexthopMac = nexthop ? ctx.externalMac(nexthop) : undefined;
  if (nexthopMac) {
    flows.push({ table: Table.FIP_EXT_OUT, priority: 100, match: `ip,nw_src=${F}`, actions: `set_field:${mac}->eth_src,set_field:${nexthopMac}->eth_dst,${physicalOutput(segment)}` });
  }
  return flows;
}

/** The flows of every floating IP of a local port. */
export function compileFloatingIps(ctx: CompileContext, port: PortState): FlowSpec[] {
  return port.floatingIps.flatMap((fip) => floatingIpFlows(ctx, port, fip));
}
