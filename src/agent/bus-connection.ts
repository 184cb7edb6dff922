/**
 * The agent's NATS connection: dialled in the background (retrying while the bus is unreachable) or
 * borrowed from the caller (simulated hosts of one process share one), watched for disconnects, the
 * limit on catch-ups that replay the stream over it at once, and the stream reads of a catch-up.
 *
 * Why the watch: live VPC deltas come on core NATS, at most once. A connection the server cut (a slow
 * consumer over its pending-bytes limit, a stalled write, a restart) loses whatever the server still
 * buffered for it, and nats.js reconnects and resubscribes without saying what was lost. Nothing after
 * the cut may reveal the gap (the controller may publish nothing more for that VPC), so every consumer
 * on the connection replays the stream from its cursor once it is back.
 *
 * Why the limit: after a cut, every host of a shared connection catches up at the same moment; replayed
 * all at once, their copies of the missed deltas would overrun the server's buffer for the connection
 * again and get it cut again, for good.
 */
import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { ConnectionOptions, NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { natsTlsOptions, type TlsFilePaths } from '../proto/tls-files.js';
import { parseVpcDelta } from './bus-delta.js';

/** An open bus connection with its JetStream handles. */
export interface Bus {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/** What happens to a watched connection. */
export interface ConnectionEvents {
  /** The connection dropped: live messages may be lost from here on. */
  disconnected(): void;
  /** The connection is back (subscriptions renewed): what was lost must be replayed. */
  reconnected(): void;
}

/** Catch-ups replaying the stream at once over one connection. */
const CATCH_UPS_PER_CONNECTION = 8;

/** Waiting and running catch-ups per connection (shared by every consumer on it). */
const slots = new WeakMap<NatsConnection, { running: number; waiting: (() => void)[] }>();

/** Waits for a catch-up slot on `nc`; call the returned function to give it back. */
export async function catchUpSlot(nc: NatsConnection): Promise<() => void> {
  let s = slots.get(nc);
  if (!s) slots.set(nc, (s = { running: 0, waiting: [] }));
  const slot = s;
  if (slot.running >= CATCH_UPS_PER_CONNECTION) await new Promise<void>((resolve) => slot.waiting.push(resolve));
  else slot.running++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    // The slot passes straight to the next waiter, if any; otherwise it is free.
    const next = slot.waiting.shift();
    if (next) next();
    else slot.running--;
  };
}

/**
 * Dials the bus at `url` (comma-separated servers), retrying with backoff until connected or until
 * `closed()` holds; `onRetry` hears about each failed attempt.
 */
export async function dialBus(
  url: string,
  options: Partial<ConnectionOptions>,
  closed: () => boolean,
  onRetry: (err: unknown) => void,
): Promise<Bus | undefined> {
  let delay = 200;
  while (!closed()) {
    try {
      const nc = await connect({ ...options, servers: url.split(',').map((s) => s.trim()), maxReconnectAttempts: -1, reconnectTimeWait: 500 });
      if (closed()) {
        await nc.close();
        return undefined;
      }
      return await openBus(nc);
    } catch (err) {
      onRetry(err);
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
      delay = Math.min(delay * 2, 5000);
    }
  }
  return undefined;
}

/** Where the bus is. */
export interface BusLocation {
  /** NATS server URL(s), comma separated. */
  url: string;
  /** @default "ALCOR_GS" */
  stream?: string;
  /** First subject token. @default "alcor" */
  prefix?: string;
  /** Mutual TLS to the bus: the host's certificate is its NATS identity (see docs/southbound.md). */
  tls?: TlsFilePaths;
  /**
   * An open connection to use instead of dialling one; the consumer leaves it open when it closes. The
   * simulated hosts of a benchmark process share one, each with its own subscriptions.
   */
  connection?: NatsConnection;
}

/** How `hostId` connects: its name, its certificate as its NATS identity, and replies of its JetStream requests on subjects only it may subscribe to. */
export function hostBusOptions(hostId: string, tls: TlsFilePaths | undefined): Partial<ConnectionOptions> {
  return { name: `alcor-agent-${hostId}`, inboxPrefix: `_INBOX_${hostId}`, ...natsTlsOptions(tls) };
}

/** JetStream handles on an open connection. */
export async function openBus(nc: NatsConnection): Promise<Bus> {
  return { nc, js: jetstream(nc), jsm: await jetstreamManager(nc, { checkAPI: false }) };
}

/** Reports the connection's drops and returns to `events` until the returned function stops the watch. */
export function watchConnection(nc: NatsConnection, events: ConnectionEvents): () => void {
  const status = nc.status();
  void (async () => {
    for await (const s of status) {
      if (s.type === 'disconnect') events.disconnected();
      else if (s.type === 'reconnect') events.reconnected();
    }
  })();
  // nats.js's status iterator can be stopped, though its type only declares AsyncIterable.
  return () => (status as { stop?: () => void }).stop?.();
}

/** Sequence and revision of the newest delta `stream` holds on a VPC's `subject` (an undecodable one counts as newest). */
export async function newestStored(bus: Bus, stream: string, subject: string, vpc: string): Promise<{ seq: number; revision: number } | undefined> {
  let stored;
  try {
    stored = await bus.jsm.streams.getMessage(stream, { last_by_subj: subject });
  } catch (err) {
    if (/no message found|not found/i.test(String(err))) return undefined;
    throw err;
  }
  if (!stored) return undefined;
  const parsed = parseVpcDelta(vpc, stored.data);
  return { seq: stored.seq, revision: typeof parsed === 'string' ? Number.MAX_SAFE_INTEGER : parsed.revision };
}

/** Which stored messages a replay delivers: those of `subject` after sequence `after` (0: all) up to `until`. */
export interface ReplayRange {
  stream: string;
  subject: string;
  after: number;
  until: number;
}

/** A replay that receives nothing for this long gives up (and is retried): the message it waits for may be gone. */
const REPLAY_IDLE_MS = 10_000;

/**
 * Delivers the stored messages in `range` in order through an ordered consumer, one `each` at a time
 * until it returns false. `started` gets the consumer's messages (stopping them ends the replay early)
 * and undefined when the replay is over. Throws when nothing arrives for a while (the newest message
 * expired meanwhile, the server is gone): a replay must never hold its catch-up slot for good.
 */
export async function replayStream(
  bus: Bus,
  range: ReplayRange,
  started: (messages: ConsumerMessages | undefined) => void,
  each: (m: { data: Uint8Array; seq: number }) => Promise<boolean>,
): Promise<void> {
  const consumer = await bus.js.consumers.getPushConsumer(range.stream, {
    filter_subjects: range.subject,
    ...(range.after > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: range.after + 1 } : { deliver_policy: DeliverPolicy.All }),
  });
  const messages = await consumer.consume();
  started(messages);
  let idle: NodeJS.Timeout | undefined;
  let stalled = false;
  const watch = () => {
    idle = setTimeout(() => {
      stalled = true;
      messages.stop();
    }, REPLAY_IDLE_MS);
    idle.unref();
  };
  watch();
  try {
    for await (const m of messages) {
      clearTimeout(idle);
      if (!(await each({ data: m.data, seq: m.seq })) || m.seq >= range.until) break;
      watch();
    }
  } finally {
    clearTimeout(idle);
    messages.stop();
    started(undefined);
  }
  if (stalled) throw new Error(`nothing stored arrived for ${REPLAY_IDLE_MS} ms while replaying ${range.subject} up to ${range.until}`);
}
