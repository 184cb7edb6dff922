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
import { compileProvider } from './compile-provider.js';
import type { FlowSpec } from './flow.js';
import { Table } from './tables.js';

/** One port's or neighbor's contribution: its network and where its frames go (`port:<ofport>` or `host:<ip>`). */
interface FloodMember {
  vpcId: string;
  target: string;
}

/** A local port without port security whose interface is plugged, or a remote neighbor without it. */
function floodMember(key: string, view: DesiredStateView, ofports: ReadonlyMap<string, number>, host: HostFacts): FloodMember | undefined {
  const slash = key.indexOf('/');
  const kind = key.slice(0, slash);
  const id = key.slice(slash + 1);
  if (kind === 'port' || kind === 'iface') {
    const port = view.port.get(id);
    const ofport = ofports.get(id);
    if (!port || port.portSecurityEnabled || !port.adminStateUp || ofport === undefined || ofport <= 0) return undefined;
    return { vpcId: port.vpcId, target: `port:${ofport}` };
  }
  if (kind === 'neighbor') {
    const n = view.neighbor.get(id);
    if (!n || !n.portSecurityDisabled || !n.hostIp || n.hostId === host.hostId || n.hostIp === host.datapathIp) return undefined;
    return { vpcId: n.vpcId, target: `host:${n.hostIp}` };
  }
  return undefined;
}

/**
 * The flood targets of every network that has ports without port security, kept up to date member by
 * member (a change reads only the ports and neighbors it names, never the whole VPC).
 */
export class FloodIndex {
  /** `port/<id>` or `neighbor/<id>` → what it contributes. */
  private members = new Map<string, FloodMember>();
  /** Network → target → how many members need it (several neighbors share a host). */
  private byVpc = new Map<string, Map<string, number>>();

  /** Rebuilds from the whole desired state. */
  rebuild(view: DesiredStateView, ofports: ReadonlyMap<string, number>, host: HostFacts): void {
    this.members = new Map();
    this.byVpc = new Map();
    for (const id of view.port.keys()) this.set(`port/${id}`, floodMember(`port/${id}`, view, ofports, host));
    for (const id of view.neighbor.keys()) this.set(`neighbor/${id}`, floodMember(`neighbor/${id}`, view, ofports, host));
  }

  /** Re-reads the members that changed keys name; returns the networks whose targets changed. */
  update(view: DesiredStateView, ofports: ReadonlyMap<string, number>, host: HostFacts, keys: readonly string[]): Set<string> {
    const changed = new Set<string>();
    for (const key of keys) {
      const kind = key.slice(0, key.indexOf('/'));
      if (kind !== 'port' && kind !== 'iface' && kind !== 'neighbor') continue;
      const memberKey = kind === 'iface' ? `port/${key.slice('iface/'.length)}` : key;
      for (const vpcId of this.set(memberKey, floodMember(key, view, ofports, host))) changed.add(vpcId);
    }
    return changed;
  }

  /** Where the network's flooded frames go; undefined when it has no port without port security. */
  targets(vpcId: string): FloodTargets | undefined {
    const targets = this.byVpc.get(vpcId);
    if (!targets) return undefined;
    const ofports: number[] = [];
    const hostIps: string[] = [];
    for (const t of targets.keys()) {
      if (t.startsWith('port:')) ofports.push(Number(t.slice('port:'.length)));
      else hostIps.push(t.slice('host:'.length));
    }
    return { ofports: ofports.sort((a, b) => a - b), hostIps: hostIps.sort() };
  }

  /** Replaces one member's contribution; returns the networks whose set of targets changed. */
  private set(key: string, member: FloodMember | undefined): string[] {
    const old = this.members.get(key);
    if (old?.vpcId === member?.vpcId && old?.target === member?.target) return [];
    const changed: string[] = [];
    if (old) {
      this.members.delete(key);
      const targets = this.byVpc.get(old.vpcId)!;
      const count = (targets.get(old.target) ?? 1) - 1;
      if (count > 0) targets.set(old.target, count);
      else {
        targets.delete(old.target);
        changed.push(old.vpcId);
        if (targets.size === 0) this.byVpc.delete(old.vpcId);
      }
    }
    if (member) {
      this.members.set(key, member);
      let targets = this.byVpc.get(member.vpcId);
      if (!targets) this.byVpc.set(member.vpcId, (targets = new Map()));
      const count = targets.get(member.target) ?? 0;
      targets.set(member.target, count + 1);
      if (count === 0) changed.push(member.vpcId);
    }
    return changed;
  }
}

/** The flood flows of one network (owner `vpc/<id>`); none when it has no port without port security. */
export function compileFlood(ctx: CompileContext, vpcId: string): FlowSpec[] {
  const vpc = ctx.vpc(vpcId);
  // Provider networks flood to the physical network instead (compile-provider.ts).
  if (vpc?.physicalNetwork) return compileProvider(ctx, vpcId);
  const vni = vpc?.segmentationId;
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
