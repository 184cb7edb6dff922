/**
 * One agent's Watch stream on the controller.
 *
 *   hello-wait ──Hello ok──▶ syncing (resume deltas or snapshot) ──▶ live ──▶ closed
 *                              ▲                                     │
 *                              └──── lagging (buffer over limit) ◀───┘
 *
 * Flow control: bytes handed to gRPC but not yet flushed are counted; when they exceed the limit the
 * session stops sending deltas (they are dropped, not queued), waits for the stream to drain, and
 * sends one snapshot instead. Controller memory per slow agent is therefore bounded by the limit plus
 * one snapshot chunk, whatever the change rate.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { create, toBinary } from '@bufbuild/protobuf';
import { WatchResponseSchema, WelcomeSchema } from '../proto/alcor/v1/southbound_pb.js';
import type { CompiledBatch, DataPlaneManager } from '../dataplane/manager.js';
import type { BatchFanOut, BatchReceiver } from './fanout.js';
import { sentOnStream } from './metrics.js';

/** States of a session. */
export type SessionState =
  /** Waiting for the agent's Hello. */
  | 'hello-wait'
  /** Sending resume deltas or a snapshot; live batches are queued. */
  | 'syncing'
  /** Forwarding every batch as it is compiled. */
  | 'live'
  /** Over the buffer limit: batches are dropped, a snapshot follows once the stream drains. */
  | 'lagging'
  /** Stream ended. */
  | 'closed';

/** Counters of one session. */
export interface SessionCounters {
  messages: number;
  bytes: number;
  snapshots: number;
  coalesced: number;
}

/** A Watch stream bound to one host after its Hello. */
export class AgentSession implements BatchReceiver {
  state: SessionState = 'hello-wait';
  host = '';
  /** Highest revision sent to the agent. */
  sentRevision = 0;
  /** Highest revision the agent acked. */
  ackedRevision = 0;
  lastSeen = Date.now();
  /** The agent announced the `mq` capability: it takes VPC scopes on the bus from the bus. */
  mq = false;
  readonly counters: SessionCounters = { messages: 0, bytes: 0, snapshots: 0, coalesced: 0 };
  private pendingBytes = 0;
  private drainWaiters: (() => void)[] = [];
  private queue: Uint8Array[] = [];
  private queueBytes = 0;
  private overflow = false;

  constructor(
    readonly call: ServerDuplexStream<Buffer, Uint8Array>,
    private readonly manager: DataPlaneManager,
    private readonly fanOut: BatchFanOut,
    private readonly maxPendingBytes: number,
  ) {}

  /** Starts delivery after a valid Hello: welcome, then resume deltas or a snapshot, then live batches. */
  begin(host: string, resumeRevision: number, controllerId: string, mq: boolean): void {
    this.host = host;
    this.mq = mq;
    this.state = 'syncing';
    const resume = resumeRevision > 0 ? this.manager.resume(host, resumeRevision, mq) : undefined;
    this.fanOut.add(this);
    const welcome = create(WatchResponseSchema, {
      kind: { case: 'welcome', value: create(WelcomeSchema, { controllerId, revision: BigInt(this.manager.revision), resumed: resume !== undefined }) },
    });
    this.write(toBinary(WatchResponseSchema, welcome), 0);
    if (resume) {
      for (const message of resume) this.write(message, this.manager.revision);
      this.sentRevision = Math.max(this.sentRevision, this.manager.revision);
      this.state = 'live';
      return;
    }
    void this.sendSnapshot();
  }

  /** A batch from the fan-out (after this session subscribed). */
  onBatch(batch: CompiledBatch): void {
    if (this.state === 'closed' || this.state === 'hello-wait' || this.state === 'lagging') return;
    const message = this.manager.messageFor(this.host, batch, this.mq);
    if (!message) return;
    if (this.state === 'syncing') {
      if (this.overflow) return;
      this.queue.push(message);
      this.queueBytes += message.length;
      if (this.queueBytes > this.maxPendingBytes) {
        this.overflow = true;
        this.queue = [];
        this.queueBytes = 0;
      }
      return;
    }
    if (this.pendingBytes > this.maxPendingBytes) {
      this.state = 'lagging';
      this.counters.coalesced++;
      void this.recover();
      return;
    }
    this.write(message, batch.revision);
  }

  private async recover(): Promise<void> {
    await this.drained();
    if (this.state !== 'lagging') return;
    this.state = 'syncing';
    await this.sendSnapshot();
  }

  private async sendSnapshot(): Promise<void> {
    // One snapshot per event-loop turn: hosts reconnecting together (a worker's shared connection, a
    // controller restart) send their Hellos in one read, and building all their snapshots in that turn
    // held the event loop for seconds. Batches arriving meanwhile are queued and then covered by it.
    await new Promise<void>((resolve) => setImmediate(resolve));
    do {
      this.overflow = false;
      this.queue = [];
      this.queueBytes = 0;
      const snapshot = this.manager.snapshot(this.host);
      this.counters.snapshots++;
      // Set before the chunks go out: the agent may ack the last chunk before this loop resumes.
      this.sentRevision = Math.max(this.sentRevision, snapshot.revision);
      for (const chunk of snapshot.chunks()) {
        if (this.state === 'closed') return;
        this.write(chunk, 0);
        if (this.pendingBytes > this.maxPendingBytes) await this.drained();
      }
    } while (this.overflow && this.state !== 'closed');
    if (this.state === 'closed') return;
    const queued = this.queue;
    this.queue = [];
    this.queueBytes = 0;
    this.state = 'live';
    for (const message of queued) this.write(message, this.manager.revision);
    this.sentRevision = Math.max(this.sentRevision, this.manager.revision);
  }

  /** Sends a message that carries no revision (a datapath trace request) after what is already queued. */
  send(bytes: Uint8Array): void {
    this.write(bytes, 0);
  }

  private write(bytes: Uint8Array, revision: number): void {
    if (this.state === 'closed') return;
    this.pendingBytes += bytes.length;
    this.counters.messages++;
    this.counters.bytes += bytes.length;
    sentOnStream(bytes.length);
    if (revision > this.sentRevision) this.sentRevision = revision;
    this.call.write(bytes, () => {
      this.pendingBytes -= bytes.length;
      if (this.pendingBytes <= this.maxPendingBytes / 2 && this.drainWaiters.length > 0) {
        const waiters = this.drainWaiters;
        this.drainWaiters = [];
        for (const w of waiters) w();
      }
    });
  }

  private drained(): Promise<void> {
    if (this.pendingBytes <= this.maxPendingBytes / 2 || this.state === 'closed') return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Ends the session (idempotent); `status` closes the stream with an error status. */
  close(status?: { code: number; details: string }): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.fanOut.delete(this);
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
    try {
      if (status) this.call.emit('error', status);
      else this.call.end();
    } catch {
      // The stream is already gone; nothing to tell the agent.
    }
  }
}
