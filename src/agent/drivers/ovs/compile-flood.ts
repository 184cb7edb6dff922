/**
 * Flooding within a network to its ports without port security (Neutron/OVN give such ports the
 * "unknown" address: they may use addresses the API does not know, e.g. a VRRP virtual IP). ARP the
 * responder cannot answer, broadcast, multicast and unknown unicast of the network reach exactly those
 * ports: local ones directly, remote ones through their hosts' tunnels (each host then delivers to its
 * own such ports; OVS never sends a packet back out of the port it came in on, so nothing loops). Ports
 * that keep port security never receive flooded frames.
 */
import type { DesiredStateView } from '../../driver.js';
import type { CompileContext, FloodTargets, HostFacts } from './context.js';
import type { FlowSpec } from './flow.js';
import { Table } from './tables.js';

/**
 * The flood targets of every network that has ports without port security: local ports whose interface
 * is plugged, and the hosts of remote neighbors.
 */
export function floodIndex(view: DesiredStateView, ofports: ReadonlyMap<string, number>, host: HostFacts): Map<string, FloodTargets> {
  const index = new Map<string, { ofports: Set<number>; hostIps: Set<string> }>();
  const entry = (vpcId: string) => {
    let e = index.get(vpcId);
    if (!e) index.set(vpcId, (e = { ofports: new Set(), hostIps: new Set() }));
    return e;
  };
  for (const [id, port] of view.port) {
    const ofport = ofports.get(id);
    if (!port.portSecurityEnabled && port.adminStateUp && ofport !== undefined && ofport > 0) entry(port.vpcId).ofports.add(ofport);
  }
  for (const n of view.neighbor.values()) {
    if (!n.portSecurityDisabled || !n.hostIp) continue;
    if (n.hostId === host.hostId || n.hostIp === host.datapathIp) continue;
    entry(n.vpcId).hostIps.add(n.hostIp);
  }
  const out = new Map<string, FloodTargets>();
  for (const [vpcId, e] of index) {
    out.set(vpcId, { ofports: [...e.ofports].sort((a, b) => a - b), hostIps: [...e.hostIps].sort() });
  }
  return out;
}

/** A stable text of a network's targets, to tell whether they changed. */
export function floodSignature(targets: FloodTargets | undefined): string {
  return targets ? `${targets.ofports.join(',')}|${targets.hostIps.join(',')}` : '';
}

/** The flood flows of one network (owner `vpc/<id>`); none when it has no port without port security. */
export function compileFlood(ctx: CompileContext, vpcId: string): FlowSpec[] {
  const vni = ctx.vpc(vpcId)?.segmentationId;
  const targets = ctx.floodTargets(vpcId);
  if (!vni || !targets) return [];
  const outputs = [
    ...targets.ofports.map((p) => `output:${p}`),
    ...targets.hostIps.map((ip) => `set_field:${vni}->tun_id,set_field:${ip}->tun_dst,output:${ctx.host.tunnelOfport}`),
  ];
  return [
    // ARP the responder did not answer (and ARP replies) is switched instead of dropped.
    { table: Table.ARP, priority: 5, match: `reg6=${vni},arp`, actions: `goto_table:${Table.L2}` },
    // Broadcast, multicast and unknown unicast: every known MAC matched at priority 100 before.
    { table: Table.L2, priority: 1, match: `reg6=${vni}`, actions: outputs.join(',') },
  ];
}
