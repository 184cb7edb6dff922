/**
 * Provider networks (flat and vlan on a physical network): their frames leave and enter br-int through
 * the patch port to the bridge `--bridge-mapping` names for the physnet, never through the tunnel. The
 * VLAN tag is pushed when a frame leaves and popped when it enters, in br-int (the physical bridge
 * stays a plain NORMAL switch). Everything between is the ordinary pipeline with the network's provider
 * reg6 value (context.ts).
 *
 * Owner `vpc/<id>` (with the flood flows of overlay networks, compile-flood.ts):
 * - CLASSIFY 100: `in_port=<patch>,vlan_vid=<tag>` → pop the tag, reg6, reg5=0, → PHYS_IN.
 * - PHYS_IN 0 → resubmit to L2 (frames for a local port's MAC are delivered; the rest floods as below).
 * - ARP 5: ARP the responder did not answer (requests for addresses outside Alcor, replies) → L2.
 * - L2 1: broadcast, multicast and unknown unicast → the network's local ports without port security,
 *   then (tagged) out of the patch; remote ports of the network are reached the same way.
 * Owner `port/<id>`: PHYS_IN 100 answers ARP requests from the physical side for the local port's
 * addresses (only the port's host answers, so the network sees one reply).
 */
import { arpReplyActions, ipv4Addresses } from './compile-addresses.js';
import { providerSegment, providerVni, type CompileContext, type ProviderSegment } from './context.js';
import type { FlowSpec } from './flow.js';
import { Table } from './tables.js';

/** The actions that send the packet out to the physical network, tagged when it is a vlan network. */
export function physicalOutput(segment: ProviderSegment & { patchOfport: number }, outputAction = `output:${segment.patchOfport}`): string {
  return segment.vlan ? `push_vlan:0x8100,set_field:${0x1000 | segment.vlan}->vlan_vid,${outputAction}` : outputAction;
}

/** The provider segment of a VPC when this host maps its physnet. */
export function mappedSegment(ctx: CompileContext, vpcId: string): (ProviderSegment & { patchOfport: number }) | undefined {
  const segment = providerSegment(ctx.host, ctx.vpc(vpcId));
  return segment?.patchOfport === undefined ? undefined : { ...segment, patchOfport: segment.patchOfport };
}

/** Flows of a provider network on this host (none when the host does not map its physnet). */
export function compileProvider(ctx: CompileContext, vpcId: string): FlowSpec[] {
  const segment = mappedSegment(ctx, vpcId);
  if (!segment) return [];
  const vni = providerVni(segment);
  const targets = ctx.floodTargets(vpcId);
  const local = (targets?.ofports ?? []).map((p) => `output:${p}`);
  return [
    {
      table: Table.CLASSIFY,
      priority: 100,
      match: `in_port=${segment.patchOfport},vlan_vid=${segment.vlan ? `0x${(0x1000 | segment.vlan).toString(16)}` : '0'}`,
      actions: `${segment.vlan ? 'pop_vlan,' : ''}load:${vni}->NXM_NX_REG6[],load:0->NXM_NX_REG5[],goto_table:${Table.PHYS_IN}`,
    },
    // goto_table only goes forward: L2 is reached by resubmit.
    { table: Table.PHYS_IN, priority: 0, match: `reg6=${vni}`, actions: `resubmit(,${Table.L2})` },
    { table: Table.ARP, priority: 5, match: `reg6=${vni},arp`, actions: `goto_table:${Table.L2}` },
    { table: Table.L2, priority: 1, match: `reg6=${vni}`, actions: [...local, physicalOutput(segment)].join(',') },
  ];
}

/** ARP answers, on the physical side, for a local port's addresses on a provider network. */
export function providerPortFlows(ctx: CompileContext, vpcId: string, mac: string, fixedIps: Parameters<typeof ipv4Addresses>[1], pairs: Parameters<typeof ipv4Addresses>[2]): FlowSpec[] {
  const segment = mappedSegment(ctx, vpcId);
  if (!segment) return [];
  const vni = providerVni(segment);
  return ipv4Addresses(mac, fixedIps, pairs).map(({ ip, mac: m }) => ({
    table: Table.PHYS_IN,
    priority: 100,
    match: `reg6=${vni},arp,arp_op=1,arp_tpa=${ip}`,
    actions: physicalOutput(segment, arpReplyActions(m, ip)),
  }));
}
