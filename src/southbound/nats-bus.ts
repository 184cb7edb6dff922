/**
 * The NATS JetStream side of the southbound ("MQ for VPC scopes, gRPC for control"). Every batch's VPC
 * scope fields whose VPC is on the `mq` channel are published ONCE to `alcor.gs.vpc.<vpc>` as an encoded
 * `GoalStateDelta{revision, scopes: [field], base_revision: previous revision of that scope}`, with
 * `Nats-Msg-Id: <scope>:<revision>` so replicas publishing the same batch store it once. Agents ack VPC
 * deltas on core NATS `alcor.ack.<host>` (`BusAck`); the applied revisions per host and VPC are kept here.
 *
 * Publishing never blocks the manager: the batch listener only queues; a pump publishes in batch order
 * with a bounded window of in-flight publishes. A failed publish is retried (same message id, so a
 * publish that did reach the stream is not stored twice) until the bus is back; beyond `maxQueued`
 * waiting messages the oldest are dropped and counted. Agents detect a dropped or reordered message by
 * its `base_revision` and re-fetch their state over gRPC, so gRPC keeps working through an outage and
 * the bus path repairs itself after it.
 *
 *   connecting (retrying; batches queue) ──connected, stream ensured──▶ open ──close()──▶ closed
 */
import { fromBinary } from '@bufbuild/protobuf';
import { jetstream, jetstreamManager, DiscardPolicy, StorageType, type JetStreamClient, type StreamConfig } from '@nats-io/jetstream';
import { nanos, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { BusAckSchema } from '../proto/alcor/v1/southbound_pb.js';
import { decodeBusAck, type BusAckFields } from '../proto/bus-ack.js';
import type { CompiledBatch, DataPlaneManager } from '../dataplane/manager.js';
import { goalStateDelta } from '../dataplane/wire.js';
import { natsTlsOptions, type TlsFilePaths } from '../proto/tls-files.js';
import { RateLimitedLog, type SouthboundLogger } from './log.js';
import { natsPublishFailures, sentOnBus } from './metrics.js';

/** Options of the bus. */
export interface NatsBusOptions {
  /** NATS server URL(s), comma separated, e.g. nats://127.0.0.1:4222. (env ALCOR_NATS_URL) */
  url: string;
  /** JetStream stream holding `<prefix>.gs.>`. @default "ALCOR_GS" */
  stream?: string;
  /** First subject token (several deployments or test runs can share one NATS server). @default "alcor" */
  prefix?: string;
  /** Oldest message kept. @default 86400000 (one day; env ALCOR_NATS_MAX_AGE_MS) */
  maxAgeMs?: number;
  /** Messages kept per subject (a consumer further behind re-fetches over gRPC). @default 10000 (env ALCOR_NATS_MAX_PER_SUBJECT) */
  maxPerSubject?: number;
  /** Duplicate-detection window of `Nats-Msg-Id`. @default 120000 */
  duplicateWindowMs?: number;
  /** Publishes awaiting their stream ack at once. @default 256 */
  window?: number;
  /** Messages waiting to be published before the oldest are dropped. @default 100000 */
  maxQueued?: number;
  /** Mutual TLS to the bus with the controller's certificate (a tls:// URL). @default none */
  tls?: TlsFilePaths;
}

interface Outgoing {
  subject: string;
  id: string;
  payload: Uint8Array;
  /** Position in publish order. */
  n: number;
}


/** The controller's connection to the bus. */
export class NatsBus {
  readonly counters = { published: 0, publishedBytes: 0, failed: 0, dropped: 0, inFlight: 0, acks: 0, malformedAcks: 0, refusedAcks: 0 };
  /** Host → VPC → highest revision the host acked on the bus. */
  readonly applied = new Map<string, Map<string, number>>();
  /** Called for every accepted bus ack (benchmarks, tests). */
  readonly ackListeners = new Set<(host: string, vpc: string, revision: number) => void>();
  private queue: Outgoing[] = [];
  /** Failed publishes waiting for the retry timer. */
  private retries: Outgoing[] = [];
  /** Messages queued so far (gives each its place in publish order). */
  private queued = 0;
  private head = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly warn: RateLimitedLog;
  private readonly unsubscribe: () => void;
  private acks: Subscription | undefined;
  private readonly window: number;
  private readonly maxQueued: number;
  private idleWaiters: (() => void)[] = [];
  private readonly prefix: string;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  /** Resolves once connected with the stream in place (false when closed first). */
  private readonly connection: Promise<boolean>;

  /**
   * Starts queueing the manager's batches at once and connects in the background (retrying while the bus
   * is unreachable): a controller starting during a bus outage serves gRPC and publishes once it can.
   */
  constructor(
    private readonly manager: DataPlaneManager,
    private readonly log: SouthboundLogger,
    private readonly options: NatsBusOptions,
  ) {
    this.prefix = options.prefix ?? 'alcor';
    this.window = options.window ?? 256;
    this.maxQueued = options.maxQueued ?? 100_000;
    this.warn = new RateLimitedLog(log);
    this.unsubscribe = manager.subscribe((batch) => this.onBatch(batch));
    this.connection = this.dial();
  }

  /** Waits up to `ms` for the first connection; true when connected. */
  connected(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([this.connection, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]).finally(() => clearTimeout(timer));
  }

  private async dial(): Promise<boolean> {
    let delay = 200;
    while (!this.closed) {
      try {
        const nc = await connect({
          servers: this.options.url.split(',').map((s) => s.trim()),
          name: 'alcor-controller',
          ...natsTlsOptions(this.options.tls),
          maxReconnectAttempts: -1,
          reconnectTimeWait: 500,
          pingInterval: 10_000,
        });
        try {
          await ensureStream(nc, this.options);
        } catch (err) {
          await nc.close();
          throw err;
        }
        if (this.closed) {
          await nc.close();
          return false;
        }
        this.nc = nc;
        this.js = jetstream(nc);
        this.acks = nc.subscribe(`${this.prefix}.ack.>`, { callback: (err, msg) => (err ? undefined : this.onAck(msg.subject, msg.data)) });
        void (async () => {
          for await (const s of nc.status()) {
            if (s.type === 'disconnect' || s.type === 'reconnect') this.log.warn({ bus: s.type }, `nats ${s.type}`);
          }
        })();
        this.log.info({ url: this.options.url }, 'nats bus connected');
        this.pump();
        return true;
      } catch (err) {
        this.warn.warn('connect', { err: String(err) }, 'nats bus unreachable; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
        delay = Math.min(delay * 2, 5000);
      }
    }
    return false;
  }

  /** Messages queued or awaiting their stream ack. */
  get pending(): number {
    return this.queue.length - this.head + this.retries.length + this.counters.inFlight;
  }

  /** Readiness: the connection is up and the server answers. */
  async check(): Promise<void> {
    if (!this.nc) throw new Error('not connected to nats yet');
    if (this.nc.isClosed()) throw new Error('nats connection closed');
    await this.nc.flush();
  }

  /** Resolves when every queued message is stored (tests, benchmarks). */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private onBatch(batch: CompiledBatch): void {
    for (const [scope, field] of batch.fields) {
      if (!scope.startsWith('vpc/')) continue;
      const vpc = scope.slice(4);
      if (this.manager.channelOf(vpc) !== 'mq') continue;
      this.queue.push({
        subject: `${this.prefix}.gs.vpc.${vpc}`,
        id: `${scope}:${batch.revision}`,
        payload: goalStateDelta(batch.revision, [field], batch.previous.get(scope) ?? 0),
        n: this.queued++,
      });
    }
    const excess = this.queue.length - this.head - this.maxQueued;
    if (excess > 0) {
      this.head += excess;
      this.counters.dropped += excess;
      this.warn.warn('dropped', { dropped: excess }, 'bus publish queue full; dropped the oldest messages (agents re-fetch on the gap)');
    }
    this.pump();
  }

  private pump(): void {
    const js = this.js;
    while (js && !this.closed && this.retryTimer === undefined && this.counters.inFlight < this.window && this.head < this.queue.length) {
      const m = this.queue[this.head++] as Outgoing;
      this.counters.inFlight++;
      js.publish(m.subject, m.payload, { msgID: m.id, timeout: 5000 }).then(
        () => {
          this.counters.published++;
          this.counters.publishedBytes += m.payload.length;
          sentOnBus(m.payload.length);
          this.settled();
        },
        (err: unknown) => {
          this.counters.failed++;
          natsPublishFailures.inc();
          this.warn.warn('publish', { err: String(err), subject: m.subject }, 'bus publish failed; retrying');
          // Retried ahead of what is still queued, in their original order (agents wait a moment for a
          // delta stored out of order); the message id makes a stored duplicate harmless.
          this.retries.push(m);
          this.retryTimer ??= setTimeout(() => {
            this.retryTimer = undefined;
            this.queue.splice(this.head, 0, ...this.retries.sort((a, b) => a.n - b.n));
            this.retries = [];
            this.pump();
          }, 500);
          this.settled();
        },
      );
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private settled(): void {
    this.counters.inFlight--;
    this.pump();
    if (this.pending === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** `configurations` facts of one host for GET /v2.0/agents: VPC id → revision acked on the bus. */
  configurationOf(host: string): Record<string, unknown> | undefined {
    const vpcs = this.applied.get(host);
    return vpcs ? { bus_applied_revisions: Object.fromEntries(vpcs) } : undefined;
  }

  private onAck(subject: string, data: Uint8Array): void {
    const ack = decodeBusAck(data) ?? decodeAnyBusAck(data);
    if (!ack || ack.hostId === '' || ack.vpcId === '' || subject !== `${this.prefix}.ack.${ack.hostId}`) {
      this.counters.malformedAcks++;
      this.warn.warn(`ack:${subject}`, { subject }, 'ignored a malformed bus ack');
      return;
    }
    // The subject proves the sender (each host may publish only its own, see nats-permissions.ts); what it
    // claims is checked against what was sent to it.
    if (!this.manager.hostVpcs.get(ack.hostId)?.has(ack.vpcId) || ack.revision > this.manager.revision) {
      this.counters.refusedAcks++;
      this.warn.warn(`ack:${subject}`, { host: ack.hostId, vpc: ack.vpcId, revision: ack.revision }, 'refused a bus ack for a VPC the host does not hold or a revision never published');
      return;
    }
    this.counters.acks++;
    let vpcs = this.applied.get(ack.hostId);
    if (!vpcs) this.applied.set(ack.hostId, (vpcs = new Map()));
    const revision = ack.revision;
    if (revision > (vpcs.get(ack.vpcId) ?? 0)) vpcs.set(ack.vpcId, revision);
    for (const listener of this.ackListeners) listener(ack.hostId, ack.vpcId, revision);
  }

  /** Stops publishing and closes the connection (queued messages are dropped; agents re-fetch). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.acks?.unsubscribe();
    for (const w of this.idleWaiters) w();
    this.idleWaiters = [];
    const nc = this.nc;
    await nc?.drain().catch(() => nc.close());
  }
}

/** A bus ack in any form protobuf-es reads (the canonical one is decoded by `decodeBusAck`), or undefined. */
function decodeAnyBusAck(data: Uint8Array): BusAckFields | undefined {
  try {
    const ack = fromBinary(BusAckSchema, data);
    return { hostId: ack.hostId, vpcId: ack.vpcId, revision: Number(ack.revision), streamSequence: Number(ack.streamSequence) };
  } catch {
    return undefined;
  }
}

/** Deletes a stream (benchmarks clean up their own); a missing stream or server is not an error. */
export async function deleteStream(where: { url: string; stream?: string }): Promise<void> {
  try {
    const nc = await connect({ servers: where.url.split(',').map((s) => s.trim()), timeout: 2000, reconnect: false });
    try {
      await (await jetstreamManager(nc)).streams.delete(where.stream ?? 'ALCOR_GS');
    } finally {
      await nc.close();
    }
  } catch {
    // Nothing to delete.
  }
}

/** Creates the stream, or brings an existing one to the configured limits (idempotent). */
async function ensureStream(nc: NatsConnection, options: NatsBusOptions): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const config: Partial<StreamConfig> & { name: string } = {
    name: options.stream ?? 'ALCOR_GS',
    subjects: [`${options.prefix ?? 'alcor'}.gs.>`],
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(options.maxAgeMs ?? 86_400_000),
    max_msgs_per_subject: options.maxPerSubject ?? 10_000,
    duplicate_window: nanos(options.duplicateWindowMs ?? 120_000),
    // Live delivery: the server republishes each stored VPC delta once (duplicates already dropped by
    // Nats-Msg-Id) with its stream sequence, and core NATS fans it out to the hosts' subscriptions. A
    // JetStream consumer per host and VPC is used only to catch up; it cost the server ~0.1 ms of CPU per
    // host and message, which made it the bottleneck at 1,000 hosts.
    republish: { src: `${options.prefix ?? 'alcor'}.gs.vpc.>`, dest: `${options.prefix ?? 'alcor'}.live.vpc.>` },
  };
  try {
    await jsm.streams.info(config.name);
  } catch {
    await jsm.streams.add(config);
    return;
  }
  await jsm.streams.update(config.name, config);
}
