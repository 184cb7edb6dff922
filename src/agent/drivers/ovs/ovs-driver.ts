/**
 * The Open vSwitch driver (`alcor-agent --driver ovs`). It owns br-int: every flow on it carries a cookie
 * naming its owner resource (see flow.ts), so reconciliation is a cookie diff.
 *
 * - start(): repair the bridge and tunnel port, learn plugged interfaces, open the OpenFlow connection
 *   for DHCP packet-ins. Installed flows are left alone.
 * - apply(full) — and the first apply after start, and any apply after a failure or an OVS restart:
 *   recompute every desired flow, read installed cookies back, change only the difference (so an agent
 *   restart on an unchanged goal state changes nothing and never interrupts traffic).
 * - apply(delta): recompute the owners the changes affect and program the ledger's modifications.
 * - After a full apply, or a delta that may take an allowance away, the conntrack sweeper flushes the
 *   connections no rule allows any more (conntrack-sweeper.ts); the ack does not wait for it.
 * Every batch is one atomic OpenFlow 1.4 bundle of binary flow-mods on the driver's own connection to
 * the bridge (flow-bundle.ts), which also reads installed cookies and carries DHCP. Interface changes
 * and (re)connections are handled under the same lock as apply().
 */
import { join } from 'node:path';
import type { ApplyRequest, DatapathTrace, DatapathTracePacket, DesiredStateView, Driver, DriverContext, DriverStats, ResourceOutcome } from '../../driver.js';
import { ensureBridge, ensurePhysicalBridges, resolveDatapathType } from './bridge.js';
import { metadataFixedIp, metadataOfport, metadataProxyIp } from './compile-metadata.js';
import { mayRevokeConnections } from './conntrack.js';
import { ConntrackSweeper } from './conntrack-sweeper.js';
import type { HostFacts } from './context.js';
import { DhcpResponder } from './dhcp-responder.js';
import type { FlowMod } from './flow.js';
import { applyFlowMods, FlowRejectedError } from './flow-bundle.js';
import { FlowEngine, type FlowInputs } from './flow-engine.js';
import { diffInstalled } from './flow-ledger.js';
import { GatewayArp, localGateways } from './gateway-arp.js';
import { InterfaceWatcher, readBridgeInterfaces } from './interface-watcher.js';
import { ensureMetadataLink } from './metadata-link.js';
import { MetadataProxy, type MetadataRequester } from './metadata-proxy.js';
import { Ipv6Responder } from './ipv6-responder.js';
import { OfConnection } from './of-connection.js';
import { compileOvsDriverOptions, type CompiledOvsDriverOptions } from './options.js';
import { OvsCli } from './ovs-cli.js';
import { ofprotoTraceFlow } from './trace-flow.js';

const EMPTY_VIEW: DesiredStateView = {
  vpc: new Map(), subnet: new Map(), securityGroup: new Map(), router: new Map(), port: new Map(), dhcp: new Map(), neighbor: new Map(),
};

/** Owner keys of the resource kinds that own flows. */
const FLOW_OWNER_KINDS = new Set(['port', 'neighbor', 'subnet', 'router', 'vpc']);

/** The OVS data-plane driver. */
export class OvsDriver implements Driver {
  readonly name = 'ovs';
  readonly datapathType: string;
  readonly options: CompiledOvsDriverOptions;
  private readonly cli: OvsCli;
  private readonly engine = new FlowEngine();
  private watcher: InterfaceWatcher | undefined;
  private connection: OfConnection | undefined;
  private readonly dhcp: DhcpResponder;
  private readonly ipv6: Ipv6Responder;
  private readonly sweeper: ConntrackSweeper;
  private metadataProxy: MetadataProxy | undefined;
  private readonly gatewayArp: GatewayArp;
  private view: DesiredStateView = EMPTY_VIEW;
  private host: HostFacts;
  private needsResync = true;
  private lock: Promise<unknown> = Promise.resolve();
  private readonly counters = { incrementalTotal: 0, recomputeTotal: 0, flowModsTotal: 0, bundleFailures: 0 };
  private connectedOnce = false;
  private outcomesListener: ((outcomes: ResourceOutcome[]) => void) | undefined;
  /** Phase timings of the last full reconcile (ms). */
  lastResync: { computeMs: number; readInstalledMs: number; programMs: number; changed: number } | undefined;

  constructor(private readonly context: DriverContext) {
    this.options = compileOvsDriverOptions(context.options);
    this.datapathType = resolveDatapathType(this.options.datapathType);
    this.cli = new OvsCli({ db: this.options.db, rundir: this.options.rundir });
    this.host = { hostId: context.hostId, datapathIp: context.datapathIp, tunnelOfport: this.options.tunnelOfport };
    this.dhcp = new DhcpResponder({
      view: () => this.view,
      portAt: (ofport) => this.portAt(ofport),
      bridgeInterfaces: () => readBridgeInterfaces(this.cli, this.options.bridge),
      packetOut: (ofport, frame) => this.connection?.packetOut(ofport, frame) ?? false,
      leaseSeconds: this.options.leaseSeconds,
      isolatedMetadata: context.metadata !== undefined,
      log: context.log,
    });
    this.gatewayArp = new GatewayArp(
      (ofport, frame) => this.connection?.packetOut(ofport, frame) ?? false,
      (ip) => void this.onExternalMacLearned(ip),
      join(context.stateDir, 'ovs', 'external-macs.json'),
    );
    this.ipv6 = new Ipv6Responder({
      view: () => this.view,
      portAt: (ofport) => this.portAt(ofport),
      ofports: () => this.watcher?.ofports ?? new Map(),
      packetOut: (ofport, frame) => this.connection?.packetOut(ofport, frame) ?? false,
    });
    this.sweeper = new ConntrackSweeper({
      rundir: this.options.rundir,
      datapathType: resolveDatapathType(this.options.datapathType),
      inputs: () => ({ view: this.view, ofports: this.watcher?.ofports ?? new Map() }),
      log: context.log,
    });
  }

  async start(): Promise<void> {
    const settings = {
      bridge: this.options.bridge,
      datapathType: this.datapathType,
      tunnelPort: this.options.tunnelPort,
      tunnelOfportRequest: this.options.tunnelOfport,
      localIp: this.context.datapathIp,
    };
    const tunnelOfport = await ensureBridge(this.cli, settings);
    const physnets = await ensurePhysicalBridges(this.cli, settings, this.context.bridgeMappings ?? new Map());
    this.host = { ...this.host, tunnelOfport, physnets };
    if (this.context.metadata) await this.startMetadata(this.context.metadata);
    this.watcher = new InterfaceWatcher(this.cli, (ids) => void this.onInterfacesChanged(ids), (level, message, fields) => this.context.log(level, message, fields));
    await this.watcher.start();
    this.connection = new OfConnection(this.options.bridgeTarget.replace(/^unix:/, ''), {
      packetIn: (packetIn) => {
        if (this.gatewayArp.handle(packetIn) || this.ipv6.handle(packetIn)) return;
        void this.dhcp.handle(packetIn).catch((err: unknown) => this.context.log('error', 'dhcp packet-in failed', { error: String(err) }));
      },
      ready: () => this.onConnectionReady(),
      log: this.context.log,
    });
    this.connection.start();
    this.ipv6.start();
    if (!(await this.connection.waitReady(5000))) this.context.log('warn', 'openflow connection not ready yet; DHCP waits for it');
    this.context.log('info', 'ovs driver started', { bridge: this.options.bridge, tunnelOfport, physnets: Object.fromEntries(physnets), interfaces: this.watcher.ofports.size });
  }

  apply(request: ApplyRequest): Promise<ResourceOutcome[]> {
    return this.locked(async () => {
      const started = process.hrtime.bigint();
      this.view = request.desired;
      let failedOwners = new Set<string>();
      if (request.mode === 'full' || this.needsResync) failedOwners = await this.resync();
      else {
        this.counters.incrementalTotal++;
        const mods = this.engine.update(this.inputs(), request.changes.map((c) => `${c.kind}/${c.id}`));
        failedOwners = await this.program(mods);
      }
      if (request.mode === 'full' || request.changes.some(mayRevokeConnections)) void this.sweeper.request();
      if (request.mode === 'full' || request.changes.some((c) => c.kind === 'router' || c.kind === 'vpc' || c.kind === 'port')) this.gatewayArp.sync(localGateways(this.view, this.host));
      const micros = Number((process.hrtime.bigint() - started) / 1000n) / Math.max(1, request.changes.length);
      return request.changes.map((change): ResourceOutcome => {
        const owner = `${change.kind}/${change.id}`;
        const applyMicros = Math.round(micros);
        if (FLOW_OWNER_KINDS.has(change.kind) && failedOwners.has(owner)) {
          return { kind: change.kind, id: change.id, ok: false, error: 'OVS rejected the flows of this resource', applyMicros };
        }
        if (change.kind === 'port' && change.desired) return { ...this.portOutcome(change.id), applyMicros };
        return { kind: change.kind, id: change.id, ok: true, applyMicros };
      });
    });
  }

  onOutcomesChanged(listener: (outcomes: ResourceOutcome[]) => void): void {
    this.outcomesListener = listener;
  }

  /** Runs `ovs-appctl ofproto/trace` on the bridge for `packet`, entering at its port's OpenFlow port. */
  async traceDatapath(packet: DatapathTracePacket): Promise<DatapathTrace> {
    const ofport = this.watcher?.ofports.get(packet.portId);
    if (ofport === undefined) throw new Error(`port ${packet.portId} has no interface on ${this.options.bridge} (no interface with external_ids:iface-id=${packet.portId})`);
    const flow = ofprotoTraceFlow(ofport, packet);
    return { flow, output: await this.cli.appctl(['ofproto/trace', this.options.bridge, flow]) };
  }

  stats(): DriverStats {
    return { installedEntries: this.engine.flowCount, incrementalTotal: this.counters.incrementalTotal, recomputeTotal: this.counters.recomputeTotal };
  }

  /** Driver-specific counters (flow mods, bundle failures, DHCP). */
  details(): Record<string, number> {
    return { ...this.counters, ...this.dhcp.counters, ...this.ipv6.counters, ...this.sweeper.counters, ...this.gatewayArp.counters, ...this.metadataProxy?.counters, flows: this.engine.flowCount, interfaces: this.watcher?.ofports.size ?? 0 };
  }

  async close(): Promise<void> {
    this.gatewayArp.close();
    this.metadataProxy?.close();
    this.watcher?.close();
    this.ipv6.stop();
    this.connection?.close();
    await this.lock.catch(() => undefined);
  }

  /** Sets up the metadata link and starts the proxy on it (before any flow sends a VM there). */
  private async startMetadata(service: NonNullable<DriverContext['metadata']>): Promise<void> {
    const o = this.options;
    const facts = await ensureMetadataLink(this.cli, { bridge: o.bridge, port: o.metadataPort, interface: o.metadataInterface, cidr: o.metadataCidr, rundir: o.rundir });
    const proxy = new MetadataProxy(service, (source) => this.metadataRequester(source), this.context.log);
    await proxy.listen(metadataProxyIp(o.metadataCidr));
    this.metadataProxy = proxy;
    this.host = { ...this.host, metadata: facts };
    this.context.log('info', 'metadata proxy listening', { address: metadataProxyIp(o.metadataCidr), port: o.metadataPort, ofport: facts.ofport, nova: service.url });
  }

  /** The instance behind a metadata connection's source address: the port at the OpenFlow port it names. */
  private metadataRequester(source: string): MetadataRequester | undefined {
    const ofport = metadataOfport(this.options.metadataCidr, source);
    const portId = ofport === undefined ? undefined : this.portAt(ofport);
    const port = portId === undefined ? undefined : this.view.port.get(portId);
    const fixed = port ? metadataFixedIp(port) : undefined;
    if (!port || !fixed || !port.deviceId) return undefined;
    return { instanceId: port.deviceId, projectId: port.projectId, ip: fixed.ipAddress };
  }

  /** Recomputes everything and changes only what differs from what OVS has installed. */
  private async resync(): Promise<Set<string>> {
    this.counters.recomputeTotal++;
    const t0 = performance.now();
    this.engine.reset();
    this.engine.recompute(this.inputs());
    const t1 = performance.now();
    const installed = await this.installedCookies();
    const t2 = performance.now();
    const mods = diffInstalled(this.engine.desired(), installed);
    const failed = await this.program(mods);
    const t3 = performance.now();
    if (failed.size === 0) this.needsResync = false;
    this.lastResync = { computeMs: Math.round(t1 - t0), readInstalledMs: Math.round(t2 - t1), programMs: Math.round(t3 - t2), changed: mods.length };
    this.context.log('info', 'ovs full reconcile', { desired: this.engine.flowCount, installed: installed.size, ...this.lastResync });
    return failed;
  }

  /**
   * Programs modifications in one bundle. If a modification is refused, nothing of the bundle was
   * applied: its owner fails, and the rest is sent again without that owner's modifications (so one bad
   * resource never blocks the others); the next batch reconciles fully against OVS.
   */
  private async program(mods: FlowMod[]): Promise<Set<string>> {
    const failed = new Set<string>();
    let pending = mods;
    while (pending.length > 0) {
      try {
        await applyFlowMods(await this.openflow(), pending);
        this.counters.flowModsTotal += pending.length;
        break;
      } catch (err) {
        this.counters.bundleFailures++;
        this.needsResync = true;
        if (!(err instanceof FlowRejectedError)) {
          this.context.log('warn', 'flow bundle failed', { error: String(err), mods: pending.length });
          for (const mod of pending) failed.add(mod.owner);
          break;
        }
        const owner = err.mod.owner;
        this.context.log('error', 'flows rejected', { owner, error: err.message });
        failed.add(owner);
        pending = pending.filter((mod) => mod.owner !== owner);
      }
    }
    return failed;
  }

  /** Installed cookies, read with a binary flow-stats request. */
  private async installedCookies(): Promise<Set<bigint>> {
    return (await this.openflow()).installedCookies();
  }

  /** The OpenFlow connection, once ready (it reconnects by itself; a reconnection triggers a resync). */
  private async openflow(): Promise<OfConnection> {
    const connection = this.connection;
    if (!connection || !(await connection.waitReady(5000))) throw new Error('openflow connection to the bridge is not ready');
    return connection;
  }

  private onInterfacesChanged(portIds: string[]): Promise<void> {
    return this.locked(async () => {
      if (this.needsResync) {
        // Before the first batch there is nothing to reconcile yet; after a failure, reconcile fully.
        if (this.view !== EMPTY_VIEW) await this.resync();
        return;
      }
      const failed = await this.program(this.engine.update(this.inputs(), portIds.map((id) => `iface/${id}`)));
      this.ipv6.advertiseNew(portIds.filter((id) => !failed.has(`port/${id}`)));
      const outcomes = portIds
        .filter((id) => this.view.port.has(id))
        .map((id): ResourceOutcome =>
          failed.has(`port/${id}`) ? { kind: 'port', id, ok: false, error: 'OVS rejected the flows of this resource', applyMicros: 0 } : this.portOutcome(id),
        );
      if (outcomes.length > 0) this.outcomesListener?.(outcomes);
    }).catch((err: unknown) => this.context.log('error', 'interface change handling failed', { error: String(err) }));
  }

  /**
   * A reconnection may mean ovs-vswitchd restarted with an empty flow table: reconcile. So does a
   * first connection that came after a batch failed for want of one.
   */
  private onConnectionReady(): void {
    const first = !this.connectedOnce;
    this.connectedOnce = true;
    if (first && !(this.needsResync && this.view !== EMPTY_VIEW)) return;
    this.context.log('info', 'openflow connection re-established, reconciling flows');
    void this.locked(() => this.resync()).catch((err: unknown) => this.context.log('error', 'reconcile after reconnect failed', { error: String(err) }));
  }

  /** A desired port takes effect only once its VM interface is plugged (Neutron keeps it DOWN until then). */
  private portOutcome(id: string): ResourceOutcome {
    const plugged = this.watcher?.ofports.has(id) ?? false;
    return plugged ? { kind: 'port', id, ok: true, applyMicros: 0 } : { kind: 'port', id, ok: true, waitingFor: 'VM interface not plugged', applyMicros: 0 };
  }

  private portAt(ofport: number): string | undefined {
    for (const [id, p] of this.watcher?.ofports ?? []) if (p === ofport) return id;
    return undefined;
  }

  private inputs(): FlowInputs {
    return { view: this.view, ofports: this.watcher?.ofports ?? new Map(), host: this.host, externalMacs: this.gatewayArp.macs };
  }

  /** A gateway's next hop answered ARP: its EXT_OUT flows can send now. */
  private onExternalMacLearned(ip: string): Promise<void> {
    return this.locked(async () => {
      if (this.needsResync) await this.resync();
      else await this.program(this.engine.update(this.inputs(), [`extmac/${ip}`]));
    }).catch((err: unknown) => this.context.log('error', 'programming a learned next hop failed', { error: String(err) }));
  }

  private locked<T>(work: () => Promise<T>): Promise<T> {
    const next = this.lock.then(work, work);
    this.lock = next.catch(() => undefined);
    return next;
  }
}
