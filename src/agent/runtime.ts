/**
 * The agent runtime: holds the Watch stream to the controller, applies deltas and snapshots through the
 * driver in revision order, acks with per-resource results, heartbeats, persists its desired state and
 * revision, and reconnects with exponential backoff and jitter.
 *
 *   idle ──start()──▶ connecting ──Welcome──▶ syncing ──snapshot/resume──▶ ready
 *                        ▲                                                   │
 *                        └────────────── backoff ◀── stream ended ◀──────────┘
 *   any ──close()──▶ closed
 *
 * Flow control: while the driver is busy the stream is paused after a few queued messages, so a slow
 * host pushes back on the controller (which then coalesces it to a snapshot) instead of buffering here.
 * Its options and their defaults: agent-options.ts.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { HeartbeatSchema, HelloSchema, WatchRequestSchema, WelcomeSchema, type Ack } from '../proto/alcor/v1/southbound_pb.js';
import { AckBuilder, ackRequest } from './acks.js';
import { answerTrace } from './datapath-trace.js';
import { DesiredState } from './desired-state.js';
import { saveCursors } from './bus-cursors.js';
import { compileAgentOptions, type AgentOptions, type CompiledAgentOptions } from './agent-options.js';
import { BusConsumer } from './nats-consumer.js';
import { readDelta } from './whole-scope.js';
import type { ResourceChange, ResourceOutcome } from './driver.js';
import { loadState, saveState, type PersistedState } from './state-file.js';
import { controllerAddresses, WatchClient, type WatchCall } from './watch-client.js';
import { chunkStates, FieldCursor, readFields } from './wire-reader.js';
import { ALCOR_VERSION } from '../version.js';

/** Lifecycle states of the runtime. */
export type AgentState =
  /** Created, not connected yet. */
  | 'idle'
  /** Dialing the controller / waiting for Welcome. */
  | 'connecting'
  /** Receiving a snapshot or resume deltas. */
  | 'syncing'
  /** Up to date and applying live deltas. */
  | 'ready'
  /** Waiting before the next connection attempt. */
  | 'backoff'
  /** Closed. */
  | 'closed';

/** One host's agent. */
export class AgentRuntime {
  state: AgentState = 'idle';
  readonly desired = new DesiredState();
  /** Last status of a failed stream (e.g. ALREADY_EXISTS when the host id is taken). */
  lastError: { code?: number; details?: string } | undefined;
  readonly counters = { connects: 0, deltas: 0, snapshots: 0, acks: 0, rejected: 0, applyErrors: 0, persistFailures: 0 };
  /** One channel per controller address; `current` is the one in use. */
  private readonly clients: WatchClient[];
  private current = 0;
  private call: WatchCall | undefined;
  private waiters: { revision: number; resolve: () => void }[] = [];
  private readonly acks = new AckBuilder();
  private persistTimer: NodeJS.Timeout | undefined;
  private persisting: Promise<void> = Promise.resolve();
  /** When persisting began to fail (undefined while it works), and when that was last logged. */
  private persistFailingSince: number | undefined;
  private persistLoggedAt = 0;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly opts: CompiledAgentOptions;
  /** The bus consumer, with `--nats`. */
  bus: BusConsumer | undefined;
  /** Applies of the stream and of the bus run one at a time, in arrival order. */
  private applying: Promise<unknown> = Promise.resolve();
  /** The next Hello asks for a snapshot (the bus found a gap). */
  private resyncing = false;

  private constructor(options: AgentOptions) {
    this.opts = compileAgentOptions(options);
    this.clients = controllerAddresses(options.controller).map((address) => new WatchClient(address, { privateConnection: options.privateGrpcConnection === true, tls: options.tls }));
  }

  /** Loads persisted state, starts the driver and reconciles it with that state (no flush). */
  static async create(options: AgentOptions): Promise<AgentRuntime> {
    const agent = new AgentRuntime(options);
    const unreadable = (err: unknown): void =>
      agent.opts.log('error', 'the persisted agent state cannot be used; keeping the installed data plane until the controller sends a snapshot', { stateDir: options.stateDir, err: String(err) });
    const loaded = await loadState(options.stateDir, unreadable);
    const persisted = loaded && agent.restore(loaded, unreadable) ? loaded : undefined;
    await options.driver.start();
    options.driver.onOutcomesChanged?.((outcomes) => agent.outcomesChanged(outcomes));
    if (persisted) {
      await options.driver.apply({ revision: persisted.revision, mode: 'full', changes: agent.desired.everything(), desired: agent.desired.view });
    }
    if (options.nats) {
      agent.bus = new BusConsumer({
        hostId: options.hostId,
        get desired() {
          return agent.desired.view;
        },
        apply: (records) => agent.serialize(() => agent.applyBusRecords(records)),
        resync: (reason) => agent.resync(reason),
        log: agent.opts.log,
      }, options.nats);
      if (persisted) await agent.bus.load(options.stateDir);
      agent.bus.sync();
    }
    return agent;
  }

  /** Takes the persisted state as the desired state; false (and nothing taken) when its records do not decode. */
  private restore(persisted: PersistedState, unreadable: (err: unknown) => void): boolean {
    try {
      this.desired.replace(persisted.states);
    } catch (err) {
      this.desired.replace([]);
      unreadable(err);
      return false;
    }
    this.desired.revision = persisted.revision;
    return true;
  }

  /** Revision applied. */
  get revision(): number {
    return this.desired.revision;
  }

  /** Starts the connection loop. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Runs `fn` after every apply queued before it. */
  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.applying.then(fn);
    this.applying = next.catch(() => undefined);
    return next;
  }

  /** Fetches the complete state: the current stream ends and the next Hello asks for a snapshot. */
  resync(reason: string): void {
    if (this.resyncing || this.state === 'closed') return;
    this.resyncing = true;
    this.opts.log('warn', 'fetching a snapshot', { reason });
    this.call?.cancel();
  }

  private async applyBusRecords(records: Uint8Array[]): Promise<void> {
    const changes = this.desired.applyRecords(records);
    if (changes.length === 0) return;
    const outcomes = await this.opts.driver.apply({ revision: this.revision, mode: 'delta', changes, desired: this.desired.view });
    const failed = outcomes.filter((o) => !o.ok);
    if (failed.length > 0) this.opts.log('warn', 'applying bus records failed in part', { failed: failed.length, first: failed[0]?.error });
    this.schedulePersist();
  }

  /** Resolves once the applied revision reaches `revision`. */
  waitForRevision(revision: number): Promise<void> {
    if (this.revision >= revision) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ revision, resolve }));
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (this.state !== 'closed') {
      const welcomed = await this.session();
      if (this.closed()) break;
      // Whatever ended the stream (a dead replica, a refused dial), the next attempt goes to the next address.
      this.current = (this.current + 1) % this.clients.length;
      if (welcomed) attempt = 0;
      const delay = Math.min(this.opts.backoffMaxMs, this.opts.backoffInitialMs * 2 ** attempt) * (0.8 + Math.random() * 0.4);
      attempt = Math.min(attempt + 1, 20);
      this.state = 'backoff';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        timer.unref();
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private closed(): boolean {
    return this.state === 'closed';
  }

  /** One stream's life; resolves true when it got a Welcome. */
  private session(): Promise<boolean> {
    this.state = 'connecting';
    this.counters.connects++;
    return new Promise((resolve) => {
      const call = (this.clients[this.current] as WatchClient).watch();
      this.call = call;
      let welcomed = false;
      let queued = 0;
      let chain = Promise.resolve();
      const send = (kind: Parameters<typeof create<typeof WatchRequestSchema>>[1]) => this.write(toBinary(WatchRequestSchema, create(WatchRequestSchema, kind)));
      const heartbeat = setInterval(() => send({ kind: { case: 'heartbeat', value: create(HeartbeatSchema, { appliedRevision: BigInt(this.revision) }) } }), this.opts.heartbeatMs);
      heartbeat.unref();
      call.on('data', (buf: Buffer) => {
        if (++queued > 8) call.pause();
        chain = chain
          .then(async () => {
            if (this.state === 'closed') return;
            const result = await this.serialize(() => this.handle(buf));
            if (result === 'welcome') welcomed = true;
            if (result !== undefined && result !== 'welcome') this.sendAck(result);
          })
          .catch((err: unknown) => {
            this.counters.applyErrors++;
            this.opts.log('error', 'applying a southbound message failed; reconnecting', { err: String(err) });
            call.cancel();
          })
          .finally(() => {
            if (--queued <= 2) call.resume();
          });
      });
      let finished = false;
      const finish = (err?: { code?: number; details?: string }) => {
        if (finished) return;
        finished = true;
        clearInterval(heartbeat);
        if (err) this.lastError = { code: err.code, details: err.details };
        void chain.then(() => resolve(welcomed));
      };
      call.on('error', (err: { code?: number; details?: string }) => {
        this.opts.log('warn', 'southbound stream failed', { code: err.code, details: err.details });
        finish(err);
      });
      call.on('end', () => finish());
      call.on('close', () => finish());
      send({
        kind: {
          case: 'hello',
          value: create(HelloSchema, {
            hostId: this.opts.hostId, datapathIp: this.opts.datapathIp, capabilities: this.opts.capabilities, availabilityZone: this.opts.availabilityZone,
            resumeRevision: BigInt(this.resyncing ? 0 : this.revision),
            agentVersion: ALCOR_VERSION,
            protocolVersion: 1,
            datapathType: this.opts.driver.datapathType ?? '',
            bridgeMappings: this.opts.bridgeMappings,
          }),
        },
      });
    });
  }

  /** Chunks of the snapshot being received, kept whole until the last one (their records are read once, then). */
  private snapshotParts: { revision: number; next: number; chunks: Uint8Array[] } | undefined;

  /** Handles one WatchResponse; returns an Ack to send, 'welcome', or undefined. */
  private async handle(buf: Buffer): Promise<Ack | 'welcome' | undefined> {
    for (const f of readFields(buf)) {
      if (f.field === 1 && f.wireType === 2) {
        const welcome = fromBinary(WelcomeSchema, f.bytes);
        this.resyncing = false;
        this.state = welcome.resumed ? 'ready' : 'syncing';
        this.opts.log('info', 'connected to controller', { controller: this.clients[this.current]?.address, revision: Number(welcome.revision), resumed: welcome.resumed });
        if (welcome.resumed) {
          // Tell the controller where we are, so ports already programmed here turn ACTIVE.
          this.sendAck(this.acks.build(this.revision, [], this.desired.view));
        }
        return 'welcome';
      }
      if (f.field === 2 && f.wireType === 2) return this.applyDelta(f.bytes);
      if (f.field === 3 && f.wireType === 2) return this.applyChunk(f.bytes);
      if (f.field === 40 && f.wireType === 2) return void answerTrace(this.opts.driver, f.bytes).then((reply) => this.write(reply));
    }
    this.counters.rejected++;
    this.opts.log('warn', 'ignored an empty or unknown southbound message');
    return undefined;
  }

  private async applyDelta(bytes: Uint8Array) {
    const { revision, records, vpcScopes } = readDelta(bytes, this.desired.view);
    this.counters.deltas++;
    if (revision <= this.revision) return this.acks.build(this.revision, [], this.desired.view);
    const before = this.revision;
    const changes = this.desired.applyRecords(records);
    const ack = await this.applyChanges(revision, 'delta', changes);
    this.bus?.afterDelta(revision, before, vpcScopes);
    return ack;
  }

  private async applyChunk(bytes: Uint8Array) {
    let revision = 0;
    let index = 0;
    let last = false;
    const f = new FieldCursor().reset(bytes);
    while (f.next()) {
      if (f.field === 1 && f.wireType === 0) revision = f.value;
      else if (f.field === 2 && f.wireType === 0) index = f.value;
      else if (f.field === 3 && f.wireType === 0) last = f.value !== 0;
    }
    if (index === 0) this.snapshotParts = { revision, next: 0, chunks: [] };
    const parts = this.snapshotParts;
    if (!parts || parts.revision !== revision || parts.next !== index) {
      this.counters.rejected++;
      this.snapshotParts = undefined;
      throw new TypeError(`snapshot chunk ${index} of revision ${revision} out of sequence`);
    }
    parts.chunks.push(bytes);
    parts.next++;
    if (!last) return undefined;
    this.snapshotParts = undefined;
    this.counters.snapshots++;
    const changes = this.desired.replace(chunkStates(parts.chunks));
    const ack = await this.applyChanges(revision, 'full', changes);
    this.bus?.afterSnapshot(revision);
    this.state = 'ready';
    return ack;
  }

  private async applyChanges(revision: number, mode: 'delta' | 'full', changes: ResourceChange[]) {
    const outcomes: ResourceOutcome[] = await this.opts.driver.apply({ revision, mode, changes, desired: this.desired.view });
    this.desired.revision = revision;
    this.schedulePersist();
    for (const w of this.waiters.filter((x) => x.revision <= revision)) w.resolve();
    this.waiters = this.waiters.filter((x) => x.revision > revision);
    this.counters.acks++;
    if (mode === 'full') this.acks.forgetRemoved(this.desired.view);
    return this.acks.build(revision, outcomes, this.desired.view);
  }

  /** The driver saw outcomes change outside a batch: re-ack the applied revision with them. */
  private outcomesChanged(outcomes: ResourceOutcome[]): void {
    this.sendAck(this.acks.build(this.revision, outcomes, this.desired.view));
  }

  private sendAck(ack: Ack): void {
    if (this.state === 'ready' || this.state === 'syncing') this.write(ackRequest(ack)); // else the next session's acks carry the state
  }

  private write(request: Uint8Array): void {
    try {
      this.call?.write(request);
    } catch {
      // The stream closed under us; the end handler reconnects.
    }
  }

  private schedulePersist(): void {
    if (this.persistTimer || !this.opts.persistState) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = undefined;
      void this.persist();
    }, this.opts.persistDebounceMs);
    this.persistTimer.unref();
  }

  /** Writes the desired state and revision now. */
  persist(): Promise<void> {
    const revision = this.desired.revision;
    const states = [...this.desired.rawStates()];
    const cursors = this.bus ? new Map(this.bus.cursors) : undefined;
    this.persisting = this.persisting
      .then(() => saveState(this.opts.stateDir, revision, states))
      .then(() => cursors && saveCursors(this.opts.stateDir, cursors))
      .then(() => this.persisted(undefined), (err: unknown) => this.persisted(err));
    return this.persisting;
  }

  /**
   * Records the outcome of a persist. A full or read-only state directory does not stop the agent (the
   * data plane and the controller stay in step; only a restart would begin from an older revision and
   * catch up), so failures are counted and logged when they start, once a minute while they last, and
   * when they end — not on every batch.
   */
  private persisted(err: unknown): void {
    if (err === undefined) {
      if (this.persistFailingSince !== undefined) this.opts.log('info', 'persisting agent state works again', { stateDir: this.opts.stateDir });
      this.persistFailingSince = undefined;
      return;
    }
    this.counters.persistFailures++;
    const now = Date.now();
    if (this.persistFailingSince === undefined || now - this.persistLoggedAt >= 60_000) {
      this.persistFailingSince ??= now;
      this.persistLoggedAt = now;
      this.opts.log('error', 'persisting agent state failed', { stateDir: this.opts.stateDir, err: String(err), failures: this.counters.persistFailures });
    }
  }

  /** Disconnects, persists the state and closes the driver (its data-plane state stays installed). */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.persistTimer) clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    this.call?.cancel();
    this.wake?.();
    await this.loop;
    await this.bus?.close();
    if (this.opts.persistState) await this.persist();
    for (const client of this.clients) client.close();
    await this.opts.driver.close();
  }
}
