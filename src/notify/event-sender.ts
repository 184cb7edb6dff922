/**
 * Sends queued events to Nova in batches, exactly once across replicas while they live, at least once
 * across crashes. A sender claims a batch in one short write (a claim token and a lease end on the rows),
 * posts it outside any transaction, then deletes it once Nova answered. A replica that dies mid-batch
 * leaves its claim to expire, and another sender (or the restarted one) takes the rows again.
 *
 * Batching: the first event after a quiet spell goes out at once; events arriving within `intervalMs`
 * of a send wait for the next one together. While Nova is unreachable or failing, the whole queue waits
 * (order kept) with exponential backoff and jitter; a batch Nova refuses as malformed (400) is dropped
 * and logged, as are events Nova answers per event with an error (404: no such instance).
 *
 *   idle ──start()──▶ running ──close()──▶ closed
 */
import { randomUUID } from 'node:crypto';
import type { Store } from '../store/store.js';
import type { NovaClient } from './nova-client.js';
import type { NovaEvent, NovaEventName } from './nova-event.js';
import type { NotifyLogger } from './notify-log.js';
import { runningSenders } from './metrics.js';

/** Compiled options of the sender. */
export interface EventSenderOptions {
  intervalMs: number;
  /** Most events per request. */
  batchSize: number;
  /** How long a claim holds before another sender may take its rows. */
  leaseMs: number;
  /** How often the queue is looked at without being woken (other replicas' events, expired claims). */
  pollMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
}

/** Lifecycle of the sender. */
export type EventSenderState =
  /** Constructed; nothing sent. */
  | 'idle'
  /** Sending whenever events wait. */
  | 'running'
  /** Stopped; claims released. */
  | 'closed';

interface EventRow {
  id: number;
  name: string;
  server_uuid: string;
  tag: string;
  status: string;
}

/** Drains `nova_events` into Nova. */
export class EventSender {
  state: EventSenderState = 'idle';
  /** Counters for tests and the admin view. */
  readonly counters = { requests: 0, delivered: 0, dropped: 0, retries: 0 };
  /** Events in the queue when this sender last claimed (metrics). */
  queued = 0;
  private unregister: (() => void) | undefined;
  private readonly owner = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private lastSendAt = 0;
  private failures = 0;
  private blockedUntil = 0;
  private readonly abort = new AbortController();

  constructor(
    private readonly store: Store,
    private readonly client: NovaClient,
    private readonly options: EventSenderOptions,
    private readonly log: NotifyLogger,
  ) {}

  /** Starts sending; `releaseAll` first frees every claim (a lone controller restarting: they are its own). */
  async start(releaseAll: boolean): Promise<void> {
    if (this.state !== 'idle') return;
    if (releaseAll) await this.store.write((tx) => tx.run("UPDATE nova_events SET claim = '', claimed_until = 0 WHERE claim <> ''"));
    this.state = 'running';
    this.unregister = runningSenders.add(this);
    this.poller = setInterval(() => this.wake(), this.options.pollMs);
    this.poller.unref();
    this.wake();
  }

  /** Events may be waiting: send them now, or with the next batch. */
  wake(): void {
    if (this.state !== 'running') return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    const at = Math.max(this.lastSendAt + this.options.intervalMs, this.blockedUntil);
    const delay = Math.max(0, at - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.drain().finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
    }, delay);
  }

  /** Sends batches until the queue is empty, Nova fails, or the interval asks to wait. */
  private async drain(): Promise<void> {
    try {
      const batch = await this.claim();
      if (batch.length === 0) return;
      this.lastSendAt = Date.now();
      this.counters.requests++;
      const events: NovaEvent[] = batch.map((r) => ({
        name: r.name as NovaEventName,
        server_uuid: r.server_uuid,
        tag: r.tag,
        ...(r.status ? { status: r.status as 'completed' | 'failed' } : {}),
      }));
      const answer = await this.client.send(events, this.abort.signal);
      if (answer.kind === 'retry') {
        await this.release();
        this.failures++;
        this.counters.retries++;
        const backoff = Math.min(this.options.backoffMaxMs, this.options.backoffInitialMs * 2 ** (this.failures - 1));
        this.blockedUntil = Date.now() + backoff * (0.5 + Math.random() / 2);
        if (this.failures === 1 || this.failures % 10 === 0) this.log.warn({ failures: this.failures, detail: answer.detail }, 'nova: events not delivered; retrying');
        this.again = true;
        return;
      }
      if (this.failures > 0) this.log.info({ failures: this.failures }, 'nova: delivering events again');
      this.failures = 0;
      if (answer.kind === 'rejected') {
        this.log.error({ status: answer.status, detail: answer.detail, events }, 'nova: refused a batch of events; dropped');
        this.counters.dropped += events.length;
      } else {
        answer.codes.forEach((code, i) => {
          if (code === 200) this.counters.delivered++;
          else {
            this.counters.dropped++;
            this.log.info({ code, event: events[i] }, 'nova: did not take an event (unknown instance or none on a host); dropped');
          }
        });
      }
      await this.store.write((tx) => tx.run('DELETE FROM nova_events WHERE claim = ?', [this.owner]));
      // A full batch means more are waiting; they go with the next interval.
      if (batch.length === this.options.batchSize) this.again = true;
    } catch (err) {
      if (this.state !== 'running') return;
      this.log.error({ err }, 'nova: event queue');
      this.blockedUntil = Date.now() + this.options.backoffMaxMs;
      this.again = true;
    }
  }

  /** Takes up to a batch of unclaimed (or abandoned) events; reads first so an empty queue costs no write. */
  private async claim(): Promise<EventRow[]> {
    const now = Date.now();
    // A count rather than a probe for one row: the queue is small unless Nova is away, and its depth is a metric.
    const waiting = await this.store.read((q) => q.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM nova_events WHERE claimed_until < ?', [now]));
    this.queued = Number(waiting?.n ?? 0);
    if (this.queued === 0) return [];
    return this.store.write(async (tx) => {
      const rows = await tx.all<EventRow>(
        `SELECT id, name, server_uuid, tag, status FROM nova_events WHERE claimed_until < ? ORDER BY id LIMIT ${this.options.batchSize}`,
        [now],
      );
      if (rows.length === 0) return rows;
      await tx.run(
        `UPDATE nova_events SET claim = ?, claimed_until = ?, attempts = attempts + 1 WHERE id IN (${rows.map(() => '?').join(',')})`,
        [this.owner, now + this.options.leaseMs, ...rows.map((r) => r.id)],
      );
      return rows;
    });
  }

  private async release(): Promise<void> {
    await this.store.write((tx) => tx.run("UPDATE nova_events SET claim = '', claimed_until = 0 WHERE claim = ?", [this.owner]));
  }

  /** Stops sending: aborts a request in flight and frees this sender's claims for others. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasRunning = this.state === 'running';
    this.state = 'closed';
    this.unregister?.();
    clearInterval(this.poller);
    clearTimeout(this.timer);
    this.abort.abort();
    await this.running;
    if (wasRunning) await this.release().catch((err: unknown) => this.log.warn({ err }, 'nova: releasing claims at close'));
  }
}
