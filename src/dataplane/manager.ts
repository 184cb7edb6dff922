/**
 * Data-plane manager: tails the outbox, compiles per-scope deltas and hands them to the transports.
 *
 * Each step reads the change records after the last compiled revision, works out which scopes they
 * touch, recompiles exactly those from the tables (phase 1, reads only), then applies the results to
 * the in-memory scopes and publishes one `CompiledBatch` to every listener synchronously (phase 2), so
 * a transport subscribing between steps never sees a half-applied batch. Many change records compile
 * into one batch stamped with the newest revision (coalescing under load).
 *
 *   idle ──start()──▶ running ──close()──▶ closed
 */
import type { Queryable, Store } from '../store/store.js';
import { GRPC_ONLY, VpcChannels, type Channel, type ChannelPolicy } from './channels.js';
import {
  compileHostScope,
  compileNeighbors,
  compileVpcNeighbors,
  detectTables,
  entryKey,
  splitKey,
  type CompiledHost,
  type CompiledNeighbor,
  type OptionalTables,
} from './compiler.js';
import { planChanges, type ChangeRecord } from './change-plan.js';
import { FloatingIpStatusTracker } from './floating-ip-status.js';
import { PortStatusTracker } from './port-status.js';
import { ProgrammedIndex } from './programmed-index.js';
import { DEFAULT_SCOPE_LOG_LIMITS, hostScope, Scope, vpcScope, type ScopeLogLimits } from './scope-table.js';
import { watchDelta, watchSnapshotChunks } from './wire.js';

/** Options of the manager. */
export interface DataPlaneManagerOptions {
  store: Store;
  /** Delta log retention per scope. @default DEFAULT_SCOPE_LOG_LIMITS */
  logLimits?: ScopeLogLimits;
  /** Most change records compiled into one batch. @default 5000 */
  batchSize?: number;
  /** States per snapshot chunk. @default 4096 */
  snapshotChunkStates?: number;
  /** Error sink. @default console.error */
  onError?: (err: unknown, what: string) => void;
  /** How VPC scopes reach hosts (gRPC or the bus). @default GRPC_ONLY */
  channels?: ChannelPolicy;
}

/** The compiled result of one step. */
export interface CompiledBatch {
  revision: number;
  /** Scope name → encoded `GoalStateDelta.scopes` field. */
  fields: Map<string, Uint8Array>;
  /** Host → VPCs it joined in this batch (they get the whole VPC scope). */
  joined: Map<string, Set<string>>;
  /** Whole-scope fields of joined VPCs and of VPCs back on gRPC, built once per batch. */
  fullFields: Map<string, Uint8Array>;
  /** VPC scope name → revision of that scope's previous delta (the bus carries it for gap detection). */
  previous: Map<string, number>;
  /** VPCs whose channel went from mq to grpc in this batch: mq hosts get their whole scope on the stream. */
  toGrpc: Set<string>;
}

/** A lazily chunked snapshot of one host. */
export interface HostSnapshot {
  revision: number;
  states: number;
  /** Encoded `WatchResponse{snapshot}` chunks. */
  chunks(): Generator<Uint8Array>;
}

/** Lifecycle states of the manager. */
export type DataPlaneState =
  /** Constructed, nothing compiled. */
  | 'idle'
  /** Compiled and tailing the outbox. */
  | 'running'
  /** Closed; no more batches. */
  | 'closed';

/** Compiles goal states from the store and publishes per-scope deltas. */
export class DataPlaneManager {
  state: DataPlaneState = 'idle';
  /** Newest compiled revision. */
  revision = 0;
  /** Revision of the start-up compile: scopes have no history before it. */
  private startRevision = 0;
  readonly scopes = new Map<string, Scope>();
  readonly hostVpcs = new Map<string, Set<string>>();
  /** Revision at which a host's VPC set last changed (resume across it is impossible). */
  private readonly membershipAt = new Map<string, number>();
  /** What is programmed where (the change planner's indexes). */
  private readonly programmed = new ProgrammedIndex();
  /** Port → VPC of its programmed neighbor record. */
  private readonly neighborVpc = new Map<string, string>();
  private tables: OptionalTables = { securityGroups: false, routers: false };
  /** Effective channel of every VPC with bound ports (see channels.ts). */
  private readonly channels: VpcChannels;
  private readonly listeners = new Set<(batch: CompiledBatch) => void>();
  readonly portStatus: PortStatusTracker;
  private readonly floatingIpStatus: FloatingIpStatusTracker;
  /** Per batch, delta messages shared by hosts with the same VPC fields (see messageFor). */
  private readonly sharedMessages = new WeakMap<CompiledBatch, Map<string, Uint8Array>>();
  private readonly options: Required<Omit<DataPlaneManagerOptions, 'store'>>;
  private running: Promise<void> | undefined;
  private again = false;
  /** Counters for the admin endpoint and tests. */
  readonly counters = { batches: 0, changes: 0, hostRecompiles: 0, neighborCompiles: 0, errors: 0 };

  constructor(private readonly store: Store, options: Omit<DataPlaneManagerOptions, 'store'> = {}) {
    this.options = {
      logLimits: options.logLimits ?? DEFAULT_SCOPE_LOG_LIMITS,
      batchSize: options.batchSize ?? 5000,
      snapshotChunkStates: options.snapshotChunkStates ?? 4096,
      onError: options.onError ?? ((err, what) => console.error(`dataplane: ${what}:`, err)),
      channels: options.channels ?? GRPC_ONLY,
    };
    this.channels = new VpcChannels(this.options.channels);
    this.portStatus = new PortStatusTracker(store, (err) => this.options.onError(err, 'port status write'));
    this.floatingIpStatus = new FloatingIpStatusTracker(this.portStatus);
  }

  /** Compiles every scope from the tables at the current revision. */
  async start(): Promise<void> {
    if (this.state !== 'idle') return;
    const loaded = await this.store.read(async (q) => {
      this.tables = await detectTables(q, this.store.engine);
      const max = await q.get<{ r: number | null }>('SELECT MAX(revision) AS r FROM changes');
      const networks = await q.all<{ id: string }>(
        'SELECT DISTINCT p.network_id AS id FROM ports p JOIN hosts h ON h.host = p.binding_host_id',
      );
      const neighbors = new Map<string, CompiledNeighbor>();
      for (const n of networks) for (const [id, c] of await compileVpcNeighbors(q, n.id)) neighbors.set(id, c);
      const sizes = this.channels.sizesAfter([...neighbors.values()].map((n) => [undefined, n.vpcId] as const));
      const channels = await this.channels.plan(q, networks.map((n) => n.id), sizes);
      const channelOf = (id: string) => channels.get(id) ?? this.channels.of(id);
      const hosts = (await q.all<{ host: string }>('SELECT host FROM hosts ORDER BY host')).map((h) => h.host);
      const compiledHosts = new Map<string, CompiledHost>();
      for (const host of hosts) compiledHosts.set(host, await compileHostScope(q, host, this.tables, channelOf));
      return { revision: Number(max?.r ?? 0), compiledHosts, neighbors, channels, sizes };
    });
    await this.store.write(async (tx) => {
      await tx.run("UPDATE ports SET status = 'DOWN' WHERE status = 'ACTIVE' AND binding_host_id NOT IN (SELECT host FROM hosts WHERE connected = 1)");
      if (this.tables.routers) await FloatingIpStatusTracker.reset(tx);
    });
    this.revision = this.startRevision = loaded.revision;
    this.channels.commit(loaded.channels, loaded.sizes);
    const unused: CompiledBatch = this.emptyBatch(loaded.revision);
    this.applyNeighbors(loaded.neighbors, new Set(loaded.neighbors.keys()), unused, false);
    for (const [host, compiled] of loaded.compiledHosts) this.applyHost(host, compiled, unused, false);
    this.state = 'running';
  }

  /** Registers a batch listener; returns the unsubscribe function. */
  subscribe(listener: (batch: CompiledBatch) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Something committed: compile what is new. Resolves when the outbox is drained. */
  poll(): Promise<void> {
    if (this.state !== 'running') return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          while (this.state === 'running' && (await this.step())) {
            // Keep stepping while full batches come back.
          }
        } while (this.again && this.state === 'running');
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** One compile step; returns true when more change records may be waiting. */
  private async step(): Promise<boolean> {
    let more = false;
    let result: Awaited<ReturnType<DataPlaneManager['collect']>> | undefined;
    try {
      result = await this.store.read(async (q) => {
        const changes = await q.all<ChangeRecord>(
          'SELECT revision, resource_type, resource_id, operation FROM changes WHERE revision > ? ORDER BY revision LIMIT ?',
          [this.revision, this.options.batchSize],
        );
        if (changes.length === 0) return undefined;
        more = changes.length === this.options.batchSize;
        return this.collect(q, changes);
      });
    } catch (err) {
      this.counters.errors++;
      this.options.onError(err, 'compile');
      return false;
    }
    if (!result) return false;
    this.publish(result);
    return more;
  }

  /** Phase 1: reads and compiles everything the change records touch. No state is modified. */
  private async collect(q: Queryable, changes: ChangeRecord[]) {
    if (!this.tables.routers || !this.tables.securityGroups) this.tables = await detectTables(q, this.store.engine);
    const plan = await planChanges(q, changes, this.programmed, this.tables);
    const neighbors = await compileNeighbors(q, [...plan.ports]);
    // VPCs whose size or override may have moved: those gaining or losing neighbor records, and changed networks.
    const sizes = this.channels.sizesAfter([...plan.ports].map((port) => [this.neighborVpc.get(port), neighbors.get(port)?.vpcId] as const));
    const touched = new Set(sizes.keys());
    for (const c of changes) if (c.resource_type === 'network') touched.add(c.resource_id);
    const channels = await this.channels.plan(q, [...touched], sizes);
    // A VPC changing channel changes the VpcState of every host holding it.
    for (const [vpc, channel] of channels) if (this.channels.moves(vpc, channel)) for (const h of this.hostsOfVpc(vpc)) plan.hosts.add(h);
    const channelOf = (id: string) => channels.get(id) ?? this.channels.of(id);
    const hosts = new Map<string, CompiledHost>();
    for (const host of plan.hosts) hosts.set(host, await compileHostScope(q, host, this.tables, channelOf));
    const revision = Number(changes[changes.length - 1]?.revision ?? this.revision);
    return { revision, hosts, neighbors, channels, sizes, ports: plan.ports, deletedPorts: plan.deletedPorts, changes };
  }

  /** The effective channel of a VPC. */
  channelOf(vpc: string): Channel {
    return this.channels.of(vpc);
  }

  /** Phase 2: applies compiled results to the scopes and publishes the batch. Synchronous. */
  private publish(result: Awaited<ReturnType<DataPlaneManager['collect']>>): void {
    const batch = this.emptyBatch(result.revision);
    for (const vpc of this.channels.commit(result.channels, result.sizes, result.revision)) batch.toGrpc.add(vpc);
    this.applyNeighbors(result.neighbors, result.ports, batch, true);
    for (const [host, compiled] of result.hosts) this.applyHost(host, compiled, batch, true, result.deletedPorts);
    this.floatingIpStatus.changed(result.changes.filter((c) => c.resource_type === 'floatingip').map((c) => c.resource_id));
    this.revision = result.revision;
    this.counters.batches++;
    this.counters.changes += result.changes.length;
    this.counters.hostRecompiles += result.hosts.size;
    this.counters.neighborCompiles += result.ports.size;
    for (const [host, vpcs] of batch.joined) {
      for (const vpc of vpcs) if (!batch.fullFields.has(vpc)) batch.fullFields.set(vpc, this.scope(vpcScope(vpc)).fullField());
      if (vpcs.size === 0) batch.joined.delete(host);
    }
    for (const vpc of batch.toGrpc) if (!batch.fullFields.has(vpc)) batch.fullFields.set(vpc, this.scope(vpcScope(vpc)).fullField());
    for (const listener of this.listeners) {
      try {
        listener(batch);
      } catch (err) {
        this.options.onError(err, 'listener');
      }
    }
  }

  private emptyBatch(revision: number): CompiledBatch {
    return { revision, fields: new Map(), joined: new Map(), fullFields: new Map(), previous: new Map(), toGrpc: new Set() };
  }

  private scope(name: string): Scope {
    let scope = this.scopes.get(name);
    if (!scope) this.scopes.set(name, (scope = new Scope(name, this.startRevision, this.options.logLimits)));
    return scope;
  }

  private applyNeighbors(neighbors: ReadonlyMap<string, CompiledNeighbor>, ports: ReadonlySet<string>, batch: CompiledBatch, live: boolean): void {
    const records = new Map<string, Uint8Array[]>();
    const push = (scope: string, record: Uint8Array | undefined) => {
      if (record) records.set(scope, [...(records.get(scope) ?? []), record]);
    };
    for (const port of ports) {
      const next = neighbors.get(port);
      const oldVpc = this.neighborVpc.get(port);
      const key = entryKey('neighbor', port);
      if (oldVpc !== undefined && oldVpc !== next?.vpcId) {
        push(vpcScope(oldVpc), this.scope(vpcScope(oldVpc)).remove(key));
        this.neighborVpc.delete(port);
      }
      if (next) {
        push(vpcScope(next.vpcId), this.scope(vpcScope(next.vpcId)).upsert(key, next.entry));
        this.neighborVpc.set(port, next.vpcId);
      }
    }
    if (!live) return;
    for (const [name, list] of records) {
      const scope = this.scope(name);
      batch.previous.set(name, scope.lastRevision);
      batch.fields.set(name, scope.record(batch.revision, list));
    }
  }

  private applyHost(host: string, compiled: CompiledHost, batch: CompiledBatch, live: boolean, deletedPorts?: ReadonlySet<string>): void {
    const scope = this.scope(hostScope(host));
    const { records, upserted, removed } = scope.replaceAll(compiled.entries);
    this.programmed.record(host, compiled);
    const before = this.hostVpcs.get(host) ?? new Set<string>();
    const joined = new Set([...compiled.vpcs].filter((v) => !before.has(v)));
    const left = [...before].filter((v) => !compiled.vpcs.has(v));
    if (joined.size > 0 || left.length > 0 || !this.membershipAt.has(host)) this.membershipAt.set(host, batch.revision);
    this.hostVpcs.set(host, new Set(compiled.vpcs));
    if (joined.size > 0) {
      batch.joined.set(host, joined);
      for (const vpc of joined) this.scope(vpcScope(vpc));
    }

    const programmed = new Set<string>();
    for (const key of upserted) {
      const [kind, id] = splitKey(key);
      if ((kind !== 'port' && kind !== 'dhcp') || compiled.preparedPorts.has(id)) continue;
      this.portStatus.programmed(host, id, batch.revision);
      programmed.add(id);
    }
    // A port prepared here and now bound here (a live migration activated) changed no bytes: it is this host's now.
    for (const port of compiled.ports) {
      if (!programmed.has(port) && this.portStatus.hostOf(port) !== host) this.portStatus.programmed(host, port, batch.revision);
      this.floatingIpStatus.carried(host, port, compiled.floatingIps.get(port) ?? []);
    }
    for (const key of removed) {
      const [kind, id] = splitKey(key);
      if (kind === 'port') this.portStatus.unprogrammed(host, id, deletedPorts?.has(id) ?? false);
      if (kind === 'port') this.floatingIpStatus.dropped(host, id);
    }
    if (live && records.length > 0) batch.fields.set(scope.name, scope.record(batch.revision, records));
  }

  /**
   * True when `host`, an agent with the mq capability, takes `vpc` from the bus: the VPC is on mq and
   * the host holds its VpcState (VPCs reached only through a router carry no channel and stay on gRPC).
   */
  private onBus(host: string, vpc: string): boolean {
    return this.channels.of(vpc) === 'mq' && this.programmed.holdsVpcState(host, vpc);
  }

  /**
   * The delta message of one host for a batch, or undefined when the batch does not concern it. For an
   * agent with the mq capability (`mq`), VPC scopes on the bus are left out, except whole scopes (join,
   * or the VPC just moved back to gRPC) which are unicast.
   */
  messageFor(host: string, batch: CompiledBatch, mq = false): Uint8Array | undefined {
    const parts: Uint8Array[] = [];
    const own = batch.fields.get(hostScope(host));
    if (own) parts.push(own);
    const joined = batch.joined.get(host);
    let key = '';
    for (const vpc of this.hostVpcs.get(host) ?? []) {
      const whole = joined?.has(vpc) === true || (mq && batch.toGrpc.has(vpc));
      if (!whole && mq && this.onBus(host, vpc)) continue;
      const field = whole ? batch.fullFields.get(vpc) : batch.fields.get(vpcScope(vpc));
      if (!field) continue;
      parts.push(field);
      key += `${whole ? '+' : '-'}${vpc} `;
    }
    if (parts.length === 0) return undefined;
    if (own) return watchDelta(batch.revision, parts);
    // Hosts that get the same VPC fields and nothing of their own (all but one host of a new port's VPC)
    // get the same bytes: assemble them once per batch.
    let shared = this.sharedMessages.get(batch);
    if (!shared) this.sharedMessages.set(batch, (shared = new Map()));
    let message = shared.get(key);
    if (!message) shared.set(key, (message = watchDelta(batch.revision, parts)));
    return message;
  }

  /** Delta messages that bring `host` from `revision` to now, or undefined when a snapshot is needed. */
  resume(host: string, revision: number, mq = false): Uint8Array[] | undefined {
    if (this.state !== 'running' || revision > this.revision || revision < this.startRevision) return undefined;
    if ((this.membershipAt.get(host) ?? this.startRevision) > revision) return undefined;
    const vpcs = [...(this.hostVpcs.get(host) ?? [])];
    // Across a channel switch the agent needs the whole scope: a snapshot gives it.
    if (mq && vpcs.some((v) => this.channels.switchedAfter(v, revision))) return undefined;
    const byRevision = new Map<number, Uint8Array[]>();
    const scopes = [hostScope(host), ...vpcs.filter((v) => !(mq && this.onBus(host, v))).map(vpcScope)];
    for (const name of scopes) {
      const entries = this.scope(name).since(revision);
      if (!entries) return undefined;
      for (const e of entries) byRevision.set(e.revision, [...(byRevision.get(e.revision) ?? []), e.field]);
    }
    return [...byRevision.keys()].sort((a, b) => a - b).map((r) => watchDelta(r, byRevision.get(r) ?? []));
  }

  /** The complete goal state of `host` now, chunked lazily over references captured at call time. */
  snapshot(host: string): HostSnapshot {
    const states: Uint8Array[] = [];
    for (const e of this.scope(hostScope(host)).entries.values()) states.push(e.bytes);
    for (const vpc of this.hostVpcs.get(host) ?? []) for (const e of this.scope(vpcScope(vpc)).entries.values()) states.push(e.bytes);
    const revision = this.revision;
    const size = this.options.snapshotChunkStates;
    return { revision, states: states.length, chunks: () => watchSnapshotChunks(revision, states, size) };
  }

  /** Hosts that currently have a port (or router) in a VPC. */
  hostsOfVpc(vpc: string): ReadonlySet<string> {
    return this.programmed.hostsHolding(entryKey('vpc', vpc));
  }

  /** Stops compiling; waits for a running step and pending status writes. */
  async close(): Promise<void> {
    this.state = 'closed';
    await this.running;
    await this.portStatus.stop();
  }
}
