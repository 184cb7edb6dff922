/**
 * The agent's side of the NATS JetStream bus: for each VPC it holds whose `VpcState.channel` is `mq`, a
 * core NATS subscription on `alcor.live.vpc.<vpc>`, where the server republishes every delta it stored on
 * `alcor.gs.vpc.<vpc>` with its stream sequence (one stored copy, one cheap fan-out to all hosts); and,
 * only to catch up, an ordered JetStream consumer of `alcor.gs.vpc.<vpc>`. VPC deltas are applied in
 * revision order and acked on core NATS `alcor.ack.<host>`. Everything else (Hello, host scope,
 * snapshots, whole VPC scopes on a join or a move back to gRPC, port-status acks) stays on the gRPC stream.
 *
 * Per VPC a cursor holds the newest revision of the scope this host has and the stream sequence it came
 * at. A bus message is `GoalStateDelta{revision, scopes: [vpc field], base_revision}`:
 *   revision <= cursor             already have it (a replica republished, or the channel switched): dropped
 *   base_revision > cursor         a delta is missing (outage, retention): re-fetch everything over gRPC
 *   otherwise                      applied, cursor advanced, acked
 * Subscribe, then catch up, then go live: live messages are held while a catch-up consumer replays the
 * stream from the persisted sequence + 1 (from the subject's oldest retained message when there is none)
 * up to the newest stored message, and are applied after it; what the host already got over gRPC, a
 * snapshot or the replay is dropped by the revision check. No catch-up runs when the newest stored delta
 * is not newer than what the host has (the common case on a join). A delta that does not follow on waits:
 * publishes retried after a bus outage can be stored out of order, so the missing one usually comes
 * next; if it does not within a second (lost in an outage or a slow-consumer cut), a catch-up replays the
 * stream, and only a gap the stream cannot fill (retention dropped it) fetches a snapshot. After a
 * snapshot every VPC starts over that way. When the connection drops (the server cut it as a slow
 * consumer, a restart), live messages are held from then on and, once it is back, every VPC catches up
 * from its cursor the same way and acks its revision again (acks sent meanwhile may be lost too), a few
 * catch-ups at a time per connection (see bus-connection.ts).
 *
 * Messages that do not decode, name another scope, or carry anything but neighbors of this VPC are
 * rejected (counted, logged rate-limited) and skipped; the consumer goes on.
 */
import type { ConsumerMessages } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { encodeBusAck } from '../proto/bus-ack.js';
import { catchUpSlot, dialBus, hostBusOptions, newestStored, openBus, replayStream, watchConnection, type Bus, type BusLocation } from './bus-connection.js';
import { loadCursors, type VpcCursor } from './bus-cursors.js';
import { parseVpcDelta, type VpcDelta } from './bus-delta.js';
import type { DesiredStateView } from './driver.js';

/** The capability an agent announces in its Hello when it consumes VPC subjects. */
export const MQ_CAPABILITY = 'mq';

/** What the bus consumer needs from the runtime. */
export interface BusHost {
  hostId: string;
  /** The desired state (VPCs with their channel). */
  desired: DesiredStateView;
  /** Applies VPC delta records through the driver, serialized with the gRPC stream's applies. */
  apply(records: Uint8Array[]): Promise<void>;
  /** A gap was detected: fetch the complete state over gRPC (a snapshot). */
  resync(reason: string): void;
  log: (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

interface RunningConsumer {
  stopped: boolean;
  live: Subscription | undefined;
  /** The catch-up consumer's messages while one runs. */
  catchUp: ConsumerMessages | undefined;
  /** A catch-up is running (or waiting for its slot). */
  catchingUp: boolean;
  /** Another catch-up was asked for while one ran (the connection dropped meanwhile): it runs again. */
  again: boolean;
  /** Live messages held during a catch-up; undefined while live messages are applied as they come. */
  held: BusMessage[] | undefined;
  /** Applies of live messages, one at a time in arrival order. */
  queue: Promise<void>;
  /** Deltas that do not follow on yet (an earlier one is still on its way), by revision. */
  ahead: Map<number, { m: BusMessage; delta: VpcDelta }>;
  /** Starts a catch-up when what `ahead` waits for does not arrive live. */
  repairTimer: NodeJS.Timeout | undefined;
}

/** How long a live delta that does not follow on waits for the missing one before a catch-up. */
const REPAIR_DELAY_MS = 1000;

/** A delta from the bus with its stream sequence. */
interface BusMessage {
  data: Uint8Array;
  seq: number;
}

/** One agent's bus connection and VPC consumers. */
export class BusConsumer {
  readonly counters = { applied: 0, duplicates: 0, gaps: 0, rejected: 0, foreign: 0, restarts: 0, catchUps: 0, disconnects: 0 };
  /** VPC → cursor; kept for every VPC the host holds (gRPC ones too, so a switch to mq starts right). */
  readonly cursors = new Map<string, VpcCursor>();
  private readonly consumers = new Map<string, RunningConsumer>();
  private nc: NatsConnection | undefined;
  /** The connection, once made; undefined when closed first. */
  private readonly connection: Promise<Bus | undefined>;
  private lastWarn = 0;
  private closed = false;
  private unwatch: (() => void) | undefined;

  /**
   * Starts connecting to the bus in the background: an agent whose bus is down still starts and serves
   * everything the stream carries; its mq VPCs catch up once the bus answers.
   */
  constructor(
    private readonly host: BusHost,
    private readonly where: BusLocation,
  ) {
    this.connection = this.dial();
  }

  private async dial(): Promise<Bus | undefined> {
    const shared = this.where.connection;
    const bus = shared
      ? await openBus(shared)
      : await dialBus(this.where.url, hostBusOptions(this.host.hostId, this.where.tls), () => this.closed, (err) => this.warn('bus unreachable; retrying', { err: String(err) }));
    if (!bus || this.closed) return undefined;
    this.nc = bus.nc;
    this.unwatch = watchConnection(bus.nc, { disconnected: () => this.onDisconnected(), reconnected: () => this.onReconnected() });
    return bus;
  }

  /**
   * Live messages may be lost from now on: they are held until a catch-up has replayed what was. A
   * replay under way is cut short and runs again once the connection is back.
   */
  private onDisconnected(): void {
    this.counters.disconnects++;
    for (const running of this.consumers.values()) {
      running.held ??= [];
      if (running.catchingUp) {
        running.again = true;
        running.catchUp?.stop();
      }
    }
  }

  private onReconnected(): void {
    for (const [vpc, running] of this.consumers) this.requestCatchUp(vpc, running);
  }

  /** A snapshot at `revision` replaced the whole state: every cursor restarts there, every consumer from the oldest message. */
  afterSnapshot(revision: number): void {
    this.cursors.clear();
    for (const vpc of this.host.desired.vpc.keys()) this.cursors.set(vpc, { revision, sequence: 0 });
    for (const vpc of [...this.consumers.keys()]) this.stop(vpc);
    this.sync();
  }

  /**
   * A gRPC delta at `revision` was applied (the host was at `before`). `scopes` are its VPC scopes and
   * whether each was whole. A VPC on gRPC is complete up to `revision`; one that just moved to the bus
   * is complete up to `before` (its delta at `revision` may be on the bus).
   */
  afterDelta(revision: number, before: number, scopes: ReadonlyMap<string, boolean>): void {
    for (const [vpc, state] of this.host.desired.vpc) {
      const running = this.consumers.has(vpc);
      if (scopes.has(vpc)) {
        this.cursors.set(vpc, { revision, sequence: 0 });
        if (scopes.get(vpc) === true && running) this.stop(vpc);
      } else if (state.channel !== MQ_CAPABILITY) this.cursors.set(vpc, { revision, sequence: 0 });
      else if (!running) this.cursors.set(vpc, { revision: Math.max(before, this.cursors.get(vpc)?.revision ?? 0), sequence: 0 });
    }
    this.sync();
  }

  /** Starts a consumer for every held VPC on the bus, stops the others. */
  sync(): void {
    if (this.closed) return;
    for (const vpc of [...this.consumers.keys()]) if (this.host.desired.vpc.get(vpc)?.channel !== MQ_CAPABILITY) this.stop(vpc);
    for (const vpc of [...this.cursors.keys()]) if (!this.host.desired.vpc.has(vpc)) this.cursors.delete(vpc);
    for (const [vpc, state] of this.host.desired.vpc) if (state.channel === MQ_CAPABILITY && !this.consumers.has(vpc)) this.start(vpc);
  }

  /** VPCs with a running consumer. */
  get consuming(): string[] {
    return [...this.consumers.keys()];
  }

  private start(vpc: string): void {
    const running: RunningConsumer = {
      stopped: false, live: undefined, catchUp: undefined, catchingUp: false, again: false, held: [], queue: Promise.resolve(), ahead: new Map(), repairTimer: undefined,
    };
    this.consumers.set(vpc, running);
    void this.subscribe(vpc, running);
  }

  private stop(vpc: string): void {
    const running = this.consumers.get(vpc);
    if (!running) return;
    running.stopped = true;
    running.live?.unsubscribe();
    running.catchUp?.stop();
    if (running.repairTimer) clearTimeout(running.repairTimer);
    this.consumers.delete(vpc);
  }

  private subject(kind: 'gs' | 'live', vpc: string): string {
    return `${this.where.prefix ?? 'alcor'}.${kind}.vpc.${vpc}`;
  }

  /** Subscribes to the VPC's live subject (holding what arrives), then catches up from the stream. */
  private async subscribe(vpc: string, running: RunningConsumer): Promise<void> {
    const bus = await this.connection;
    if (!bus || running.stopped) return;
    running.live = bus.nc.subscribe(this.subject('live', vpc), {
      callback: (err, msg) => {
        if (err || running.stopped) return;
        this.enqueue(vpc, running, { data: msg.data, seq: Number(msg.headers?.get('Nats-Sequence') ?? 0) || 0 });
      },
    });
    this.requestCatchUp(vpc, running);
  }

  private enqueue(vpc: string, running: RunningConsumer, m: BusMessage): void {
    if (running.held) {
      running.held.push(m);
      return;
    }
    running.queue = running.queue.then(async () => {
      // A catch-up may have started after this message was queued: it is applied after that.
      if (running.held) running.held.push(m);
      else if (!running.stopped) await this.onMessage(vpc, running, m, 'live');
    });
  }

  /** Holds live messages and starts a catch-up, or has the running one go again when it is done. */
  private requestCatchUp(vpc: string, running: RunningConsumer): void {
    running.held ??= [];
    if (running.catchingUp) {
      running.again = true;
      return;
    }
    running.catchingUp = true;
    void this.catchUp(vpc, running).finally(() => (running.catchingUp = false));
  }

  /**
   * Replays the stream from the VPC's cursor up to its newest stored delta, then applies the live
   * messages held meanwhile, goes live and acks the cursor. Retried with backoff while the bus is
   * unreachable; replayed again when the connection dropped meanwhile.
   */
  private async catchUp(vpc: string, running: RunningConsumer): Promise<void> {
    let backoff = 100;
    while (!running.stopped && !this.closed) {
      running.again = false;
      try {
        const bus = await this.connection;
        if (!bus) return;
        const release = await catchUpSlot(bus.nc);
        try {
          await this.replay(bus, vpc, running);
        } finally {
          release();
        }
        // What arrived live meanwhile, then live as it comes.
        while (running.held && running.held.length > 0 && !running.stopped && !running.again) {
          const held = running.held;
          running.held = [];
          for (const m of held) await this.onMessage(vpc, running, m, 'stream');
        }
        if (running.again) continue;
        running.held = undefined;
        if (running.ahead.size > 0 && !running.stopped) {
          // The stream does not have what is missing either (retention, a dropped publish).
          this.counters.gaps++;
          const cursor = this.cursors.get(vpc)?.revision ?? 0;
          running.ahead.clear();
          this.host.resync(`bus gap on ${vpc}: have ${cursor}, the stream cannot fill it`);
          return;
        }
        const cursor = this.cursors.get(vpc);
        if (cursor && cursor.revision > 0 && !running.stopped) this.ack(vpc, cursor.revision, cursor.sequence);
        return;
      } catch (err) {
        running.catchUp?.stop();
        running.catchUp = undefined;
        if (running.stopped || this.closed) return;
        this.warn('bus catch-up failed; retrying', { vpc, err: String(err) });
      }
      this.counters.restarts++;
      await new Promise((resolve) => setTimeout(resolve, backoff).unref());
      backoff = Math.min(backoff * 2, 5000);
    }
  }

  /** Applies the deltas the stream holds after the VPC's cursor, up to the newest one stored now. */
  private async replay(bus: Bus, vpc: string, running: RunningConsumer): Promise<void> {
    const stream = this.where.stream ?? 'ALCOR_GS';
    const newest = await newestStored(bus, stream, this.subject('gs', vpc), vpc);
    const cursor = this.cursors.get(vpc) ?? { revision: 0, sequence: 0 };
    if (!newest || newest.seq <= cursor.sequence || (newest.revision <= cursor.revision && running.ahead.size === 0)) return;
    this.counters.catchUps++;
    await replayStream(bus, { stream, subject: this.subject('gs', vpc), after: cursor.sequence, until: newest.seq }, (messages) => (running.catchUp = messages), async (m) => {
      if (!running.stopped) await this.onMessage(vpc, running, m, 'stream');
      return !running.stopped;
    });
  }

  /**
   * Applies a delta that follows on from the VPC's cursor, then the held-back later ones that follow on
   * now; keeps one that does not follow on yet (and, when it came live, schedules a catch-up for it).
   */
  private async onMessage(vpc: string, running: RunningConsumer, m: BusMessage, from: 'live' | 'stream'): Promise<void> {
    const delta = parseVpcDelta(vpc, m.data);
    if (typeof delta === 'string') {
      this.counters.rejected++;
      this.warn('rejected a bus message', { vpc, sequence: m.seq, reason: delta });
      return;
    }
    // The consumer may be stopped while this message waited: a VPC left or moved back to gRPC is not ours.
    if (this.host.desired.vpc.get(vpc)?.channel !== MQ_CAPABILITY || !this.consumers.has(vpc)) {
      this.counters.foreign++;
      return;
    }
    let next: { m: BusMessage; delta: VpcDelta } | undefined = { m, delta };
    while (next) {
      const cursor = this.cursors.get(vpc) ?? { revision: 0, sequence: 0 };
      if (next.delta.revision <= cursor.revision) {
        this.counters.duplicates++;
        this.cursors.set(vpc, { revision: cursor.revision, sequence: Math.max(cursor.sequence, next.m.seq) });
      } else if (next.delta.base > cursor.revision) {
        running.ahead.set(next.delta.revision, next);
        if (from === 'live') this.scheduleRepair(vpc, running);
        return;
      } else {
        await this.apply(vpc, next.m, next.delta);
      }
      next = this.takeFollowing(vpc, running);
    }
  }

  /** The held-back delta with the lowest revision when it now follows on (or is a duplicate). */
  private takeFollowing(vpc: string, running: RunningConsumer): { m: BusMessage; delta: VpcDelta } | undefined {
    if (running.ahead.size === 0) return undefined;
    const revision = Math.min(...running.ahead.keys());
    const entry = running.ahead.get(revision);
    if (!entry || entry.delta.base > (this.cursors.get(vpc)?.revision ?? 0)) return undefined;
    running.ahead.delete(revision);
    return entry;
  }

  private scheduleRepair(vpc: string, running: RunningConsumer): void {
    if (running.repairTimer || running.held) return;
    running.repairTimer = setTimeout(() => {
      running.repairTimer = undefined;
      if (running.ahead.size > 0 && !running.stopped && !running.held) this.requestCatchUp(vpc, running);
    }, REPAIR_DELAY_MS);
    running.repairTimer.unref();
  }

  private async apply(vpc: string, m: BusMessage, delta: VpcDelta): Promise<void> {
    await this.host.apply(delta.records);
    // A snapshot or a switch may have reset the cursor while the driver applied: keep the newer one.
    const now = this.cursors.get(vpc);
    if (now && now.revision >= delta.revision) return;
    this.cursors.set(vpc, { revision: delta.revision, sequence: Math.max(m.seq, now?.sequence ?? 0) });
    this.counters.applied++;
    this.ack(vpc, delta.revision, m.seq);
  }

  /** Tells the controller this host has `vpc` at `revision` (a core NATS publish: lost if the connection drops). */
  private ack(vpc: string, revision: number, sequence: number): void {
    this.nc?.publish(
      `${this.where.prefix ?? 'alcor'}.ack.${this.host.hostId}`,
      encodeBusAck({ hostId: this.host.hostId, vpcId: vpc, revision, streamSequence: sequence }),
    );
  }

  private warn(message: string, fields: Record<string, unknown>): void {
    const now = Date.now();
    if (now - this.lastWarn < 200) return;
    this.lastWarn = now;
    this.host.log('warn', message, fields);
  }

  /** Loads persisted cursors of the VPCs the restored state holds. */
  async load(stateDir: string): Promise<void> {
    const stored = await loadCursors(stateDir, (err) => this.host.log('warn', 'ignored an unreadable bus cursor file', { err: String(err) }));
    for (const [vpc, cursor] of stored) if (this.host.desired.vpc.has(vpc)) this.cursors.set(vpc, cursor);
  }

  /** Stops every consumer and closes the connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.unwatch?.();
    for (const vpc of [...this.consumers.keys()]) this.stop(vpc);
    if (!this.where.connection) await this.nc?.close();
  }
}
