/**
 * `sim` driver: an in-memory model of the flows a host would install, for tests and the scalability
 * benchmark. Each resource compiles to a small list of flow strings under its key (the flow cookie);
 * the model records per key what was installed, so applying one neighbor is a constant number of map
 * operations whatever the number of neighbors already installed, and a full reconcile removes exactly
 * the keys that are no longer desired.
 *
 * Fault injection for tests: a port (and its DHCP entry) whose `device_id` starts with `sim-fail`
 * fails to apply; a port whose `device_id` starts with `sim-unplugged` is installed but reported waiting
 * for its interface (it stays DOWN); option `applyDelayMs=<n>` makes every batch take at least n ms.
 */
import { RESOURCE_KINDS, type ApplyRequest, type DesiredStateView, type Driver, type DriverContext, type DriverStats, type KindStates, type ResourceChange, type ResourceKind, type ResourceOutcome } from '../driver.js';

const T_CLASSIFY = 0;
const T_SPOOF = 10;
const T_ARP = 20;
const T_DHCP = 25;
const T_ROUTE = 30;
const T_L2 = 40;
const T_SG = 50;

/** Flows of one resource. */
type Flows = readonly string[];

/**
 * What is installed for one resource: its flow count and the VNI it was programmed with. The flows are
 * a pure function of these and the resource's state, which the sim installs exactly as desired, so they
 * are rendered on demand from the desired view (`renderFlows`): a million neighbors cost a million
 * two-number records rather than millions of strings.
 */
interface Installed {
  vni: number;
  count: number;
}

type AnyState = KindStates[ResourceKind];

function programmedVni(desired: AnyState, view: DesiredStateView): number {
  const vpcId = (desired as { vpcId?: string }).vpcId;
  return vpcId !== undefined ? vni(view, vpcId) : 0;
}

function flowCount(kind: ResourceKind, desired: AnyState): number {
  switch (kind) {
    case 'vpc':
      return 1;
    case 'subnet':
      return (desired as KindStates['subnet']).gatewayIp ? 1 : 0;
    case 'port': {
      const p = desired as KindStates['port'];
      return 2 + p.fixedIps.length + p.allowedAddressPairs.length;
    }
    case 'dhcp':
      return 1;
    case 'neighbor':
      return (desired as KindStates['neighbor']).fixedIps.length + 1;
    case 'securityGroup':
      return (desired as KindStates['securityGroup']).rules.length;
    case 'router': {
      const r = desired as KindStates['router'];
      return r.interfaces.length + r.routes.length;
    }
  }
}

function vni(view: Pick<DesiredStateView, 'vpc'>, vpcId: string): number {
  return view.vpc.get(vpcId)?.segmentationId ?? 0;
}

function compile(change: ResourceChange, view: Pick<DesiredStateView, 'vpc'>): Flows {
  switch (change.kind) {
    case 'vpc': {
      const v = change.desired as KindStates['vpc'];
      return [`table=${T_CLASSIFY},priority=100,tun_id=${v.segmentationId} actions=set_field:${v.segmentationId}->reg6,goto_table:${T_ARP}`];
    }
    case 'subnet': {
      const s = change.desired as KindStates['subnet'];
      return s.gatewayIp ? [`table=${T_ARP},priority=200,reg6=${s.segmentationId},arp,arp_tpa=${s.gatewayIp} actions=gateway_arp_reply`] : [];
    }
    case 'port': {
      const p = change.desired as KindStates['port'];
      const net = vni(view, p.vpcId);
      return [
        `table=${T_CLASSIFY},priority=100,iface_id=${p.id} actions=set_field:${net}->reg6,goto_table:${T_SPOOF}`,
        ...p.fixedIps.map((ip) => `table=${T_SPOOF},priority=100,iface_id=${p.id},dl_src=${p.macAddress},nw_src=${ip.ipAddress} actions=goto_table:${T_SG}`),
        ...p.allowedAddressPairs.map((a) => `table=${T_SPOOF},priority=100,iface_id=${p.id},nw_src=${a.ipAddress} actions=goto_table:${T_SG}`),
        `table=${T_L2},priority=100,reg6=${net},dl_dst=${p.macAddress} actions=output:iface_id=${p.id}`,
      ];
    }
    case 'dhcp': {
      const d = change.desired as KindStates['dhcp'];
      return [`table=${T_DHCP},priority=100,dl_src=${d.macAddress},udp,tp_dst=67 actions=controller(userdata=dhcp:${d.id})`];
    }
    case 'neighbor': {
      const n = change.desired as KindStates['neighbor'];
      const net = vni(view, n.vpcId);
      return [
        ...n.fixedIps.map((ip) => `table=${T_ARP},priority=100,reg6=${net},arp,arp_tpa=${ip.ipAddress} actions=arp_reply:${n.macAddress}`),
        `table=${T_L2},priority=90,reg6=${net},dl_dst=${n.macAddress} actions=set_field:${n.hostIp}->tun_dst,set_field:${net}->tun_id,output:vxlan`,
      ];
    }
    case 'securityGroup': {
      const g = change.desired as KindStates['securityGroup'];
      return g.rules.map(
        (r) =>
          `table=${T_SG},priority=100,cookie_sg=${g.id},dir=${r.direction},${r.ethertype},proto=${r.protocol || 'any'},ports=${r.portRangeMin}-${r.portRangeMax},remote=${r.remoteIpPrefix || r.remoteGroupId || 'any'} actions=ct(commit),accept`,
      );
    }
    case 'router': {
      const r = change.desired as KindStates['router'];
      return [
        ...r.interfaces.map((i) => `table=${T_ROUTE},priority=100,dl_dst=${i.macAddress} actions=dec_ttl,route:${i.subnetId}`),
        ...r.routes.map((rt) => `table=${T_ROUTE},priority=50,nw_dst=${rt.destination} actions=nexthop:${rt.nexthop}`),
      ];
    }
  }
}

function fails(kind: ResourceKind, id: string, desired: AnyState, view: DesiredStateView): boolean {
  if (kind === 'port') return (desired as KindStates['port']).deviceId.startsWith('sim-fail');
  if (kind === 'dhcp') return view.port.get(id)?.deviceId.startsWith('sim-fail') ?? false;
  return false;
}

/** A port whose VM interface never appears (its status must stay DOWN). */
function unplugged(change: ResourceChange): boolean {
  return change.kind === 'port' && (change.desired as KindStates['port'] | undefined)?.deviceId.startsWith('sim-unplugged') === true;
}

/** The in-memory flow model. */
export class SimDriver implements Driver {
  readonly name = 'sim';
  /** As an OVS host would report it (driver option `datapath-type`). */
  readonly datapathType: string;
  /** Per kind, id → what is installed for it (`<kind>/<id>` is the flow cookie). */
  private readonly flows = new Map<ResourceKind, Map<string, Installed>>(RESOURCE_KINDS.map((kind) => [kind, new Map()]));
  /** The desired state of the last batch: what is installed, for rendering. */
  private view: DesiredStateView | undefined;
  private installed = 0;
  private readonly counters = { incrementalTotal: 0, recomputeTotal: 0 };
  private readonly applyDelayMs: number;

  constructor(private readonly context: DriverContext) {
    this.applyDelayMs = Number(context.options.applyDelayMs ?? 0) || 0;
    this.datapathType = context.options['datapath-type'] ?? 'system';
  }

  async start(): Promise<void> {
    this.context.log('debug', 'sim driver started', { host: this.context.hostId });
  }

  async apply(request: ApplyRequest): Promise<ResourceOutcome[]> {
    const started = Date.now();
    this.view = request.desired;
    if (request.mode === 'full') {
      this.counters.recomputeTotal++;
      for (const [kind, installed] of this.flows) {
        const desired = request.desired[kind];
        for (const id of installed.keys()) if (!desired.has(id)) this.remove(kind, id);
      }
    } else {
      this.counters.incrementalTotal++;
    }
    const outcomes: ResourceOutcome[] = [];
    for (const change of request.changes) {
      const t0 = performance.now();
      const { kind, id } = change;
      const desired = change.desired;
      let error: string | undefined;
      if (desired === undefined) {
        this.remove(kind, id);
      } else if (fails(kind, id, desired, request.desired)) {
        this.remove(kind, id);
        error = 'sim: injected failure (device_id sim-fail*)';
      } else {
        const installed = this.kindFlows(kind);
        const count = flowCount(kind, desired);
        this.installed += count - (installed.get(id)?.count ?? 0);
        installed.set(id, { vni: programmedVni(desired, request.desired), count });
      }
      const applyMicros = Math.round((performance.now() - t0) * 1000);
      if (error) outcomes.push({ kind, id, ok: false, error, applyMicros });
      else if (unplugged(change)) outcomes.push({ kind, id, ok: true, waitingFor: 'sim: no interface (device_id sim-unplugged*)', applyMicros });
      else outcomes.push({ kind, id, ok: true, applyMicros });
    }
    const remaining = this.applyDelayMs - (Date.now() - started);
    if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));
    return outcomes;
  }

  /** Keys (`<kind>/<id>`, the flow cookies) of every installed resource (tests, debugging). */
  *installedKeys(): Generator<string> {
    for (const [kind, installed] of this.flows) for (const id of installed.keys()) yield `${kind}/${id}`;
  }

  /** Whether a resource has flows installed. */
  isInstalled(kind: ResourceKind, id: string): boolean {
    return this.kindFlows(kind).has(id);
  }

  /** The flow text installed for one resource key (tests, debugging). */
  renderFlows(key: string): Flows {
    const slash = key.indexOf('/');
    const kind = key.slice(0, slash) as ResourceKind;
    const id = key.slice(slash + 1);
    const entry = this.flows.get(kind)?.get(id);
    const desired = this.view?.[kind].get(id);
    if (!entry || !desired) return [];
    const vpcId = (desired as { vpcId?: string }).vpcId ?? '';
    const vpc = new Map([[vpcId, { segmentationId: entry.vni } as KindStates['vpc']]]);
    return compile({ kind, id, desired, previous: undefined } as ResourceChange, { vpc });
  }

  private kindFlows(kind: ResourceKind): Map<string, Installed> {
    return this.flows.get(kind) as Map<string, Installed>;
  }

  private remove(kind: ResourceKind, id: string): void {
    const installed = this.kindFlows(kind);
    const old = installed.get(id);
    if (!old) return;
    this.installed -= old.count;
    installed.delete(id);
  }

  /** The model is not a data path: there is nothing real to trace. */
  async traceDatapath(): Promise<never> {
    throw new Error('the sim driver has no datapath to trace (its flows are an in-memory model)');
  }

  stats(): DriverStats {
    return { installedEntries: this.installed, ...this.counters };
  }

  async close(): Promise<void> {
    // Nothing to release: the model lives in memory.
  }
}
