/**
 * A router's external gateway (IPv4): SNAT on the gateway host the controller chose, through conntrack.
 *
 * Every host of the router (owner `router/<id>`):
 * - ROUTING 98: `reg6=<internal VNI>,dl_dst=<router MAC there>,ip` (nothing more specific matched: the
 *   destination is outside the router) → on the gateway host SNAT_OUT, elsewhere the tunnel to the gateway
 *   host, unchanged (the gateway host routes it).
 * Only the gateway host:
 * - L2 100: the same frames arriving from the tunnel → resubmit to SNAT_OUT.
 * - SNAT_OUT 100 (with enable_snat): `reg6=<VNI>,ip,nw_src=<subnet>` → dec_ttl, ct(commit, zone Z,
 *   nat(src=<gateway IP>)) → EXT_OUT. Z is the router's SNAT zone (below).
 * - EXT_OUT 100: `reg6=<VNI>,ip` → source MAC = gateway port's, destination MAC = the external next hop's
 *   (resolved by the agent with ARP, gateway-arp.ts; until then nothing leaves), out of the patch.
 * - PHYS_IN 100: ARP requests for the gateway IP are answered; ARP replies to it go to the agent
 *   (userdata dc.b0.00.05), which learns the next hop's MAC.
 * - PHYS_IN 90: `ip,nw_dst=<gateway IP>` → reg3 = Z, ct(zone Z, nat) → UNSNAT (replies get their
 *   internal destination back).
 * - UNSNAT 100: `reg3=Z,ip,nw_dst=<subnet>` → dec_ttl, source MAC = router's, reg6 = VNI → L3_RESOLVE.
 */
import type { RouterState } from '../../../proto/alcor/v1/goal_state_pb.js';
import { arpReplyActions } from './compile-addresses.js';
import { mappedSegment, physicalOutput } from './compile-provider.js';
import { providerVni, type CompileContext } from './context.js';
import { fnv32, isIpv4, type FlowSpec } from './flow.js';
import { GATEWAY_ARP_USERDATA, REG_SNAT_ZONE, Table } from './tables.js';

/** One router interface with the VNI and CIDR of its subnet. */
export interface RoutedInterface {
  vni: number;
  mac: string;
  cidr: string;
}

/**
 * The conntrack zone of a router's SNAT: 0xf000 + 12 bits of the router id's hash (apart from the
 * network zones of VNIs below 61,440; a collision of two routers' hashes on one host would make them
 * share connection state, harmless unless their internal addresses overlap).
 */
export function snatZone(routerId: string): number {
  return 0xf000 | (fnv32(routerId) & 0xfff);
}

/** Flows of a router's gateway on this host (none without a gateway or chosen host). */
export function gatewayFlows(ctx: CompileContext, router: RouterState, interfaces: readonly RoutedInterface[]): FlowSpec[] {
  const gw = router.gateway;
  if (!gw || !gw.hostId || !isIpv4(gw.ipAddress)) return [];
  const local = gw.hostId === ctx.host.hostId;
  const flows: FlowSpec[] = [];
  for (const ifc of interfaces) {
    const routed = `reg6=${ifc.vni},dl_dst=${ifc.mac},ip`;
    if (!local) {
      if (gw.hostIp) {
        flows.push({
          table: Table.ROUTING,
          priority: 98,
          match: routed,
          actions: `set_field:${ifc.vni}->tun_id,set_field:${gw.hostIp}->tun_dst,output:${ctx.host.tunnelOfport}`,
        });
      }
      continue;
    }
    flows.push({ table: Table.ROUTING, priority: 98, match: routed, actions: `goto_table:${Table.SNAT_OUT}` });
    flows.push({ table: Table.L2, priority: 100, match: `reg6=${ifc.vni},dl_dst=${ifc.mac}`, actions: `resubmit(,${Table.SNAT_OUT})` });
  }
  if (!local) return flows;
  const segment = mappedSegment(ctx, gw.networkId);
  if (!segment) return flows;
  const zone = snatZone(router.id);
  const extVni = providerVni(segment);
  const gwMac = gw.macAddress.toLowerCase();
  flows.push(
    { table: Table.PHYS_IN, priority: 100, match: `reg6=${extVni},arp,arp_op=1,arp_tpa=${gw.ipAddress}`, actions: physicalOutput(segment, arpReplyActions(gwMac, gw.ipAddress)) },
    { table: Table.PHYS_IN, priority: 100, match: `reg6=${extVni},arp,arp_op=2,arp_tpa=${gw.ipAddress}`, actions: `controller(userdata=${GATEWAY_ARP_USERDATA},max_len=128)` },
    { table: Table.PHYS_IN, priority: 90, match: `reg6=${extVni},ip,nw_dst=${gw.ipAddress}`, actions: `load:${zone}->${REG_SNAT_ZONE},ct(zone=${zone},table=${Table.UNSNAT},nat)` },
  );
  const nexthopMac = ctx.externalMac(gw.nexthop);
  for (const ifc of interfaces) {
    if (gw.enableSnat) {
      flows.push({
        table: Table.SNAT_OUT,
        priority: 100,
        match: `reg6=${ifc.vni},ip,nw_src=${ifc.cidr}`,
        actions: `dec_ttl,ct(commit,zone=${zone},table=${Table.EXT_OUT},nat(src=${gw.ipAddress}))`,
      });
    }
    if (nexthopMac) {
      flows.push({
        table: Table.EXT_OUT,
        priority: 100,
        match: `reg6=${ifc.vni},ip`,
        actions: `set_field:${gwMac}->eth_src,set_field:${nexthopMac}->eth_dst,${physicalOutput(segment)}`,
      });
    }
    flows.push({
      table: Table.UNSNAT,
      priority: 100,
      match: `reg3=${zone},ip,nw_dst=${ifc.cidr}`,
      actions: `dec_ttl,set_field:${ifc.mac}->eth_src,load:${ifc.vni}->NXM_NX_REG6[],goto_table:${Table.L3_RESOLVE}`,
    });
  }
  return flows;
}
