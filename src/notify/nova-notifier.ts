/**
 * Events to Nova: a consumer of committed changes beside the data-plane manager. It derives events from
 * the outbox (API writes: fixed IPs, floating IPs, deletes, binding failures) and, inside the same
 * transaction as each port status write, from status changes (ACTIVE, DOWN, ERROR), queues them in
 * `nova_events`, and its sender delivers them in batches. Nothing is ever sent from a service's
 * transaction: the queue row commits with the change, the request to Nova happens afterwards.
 *
 * Start-up diffs every instance port against what Nova was told (so a status change whose transaction
 * committed just before a crash is not missed); the very first start takes a silent baseline instead.
 *
 *   idle ──start()──▶ running ──close()──▶ closed
 */
import type { NovaConfig, ServerConfig } from '../config.js';
import type { Queryable, Store } from '../store/store.js';
import { recordPortEvents, tailOutbox, takeBaseline, trackedPortIds } from './event-journal.js';
import { EventSender } from './event-sender.js';
import { KeystoneSession, type KeystoneSessionOptions } from './keystone-session.js';
import { NovaClient } from './nova-client.js';
import { silentNotifyLogger, type NotifyLogger } from './notify-log.js';

/** Options of the notifier: the compiled settings and how this controller runs. */
export interface NovaNotifierOptions {
  nova: NovaConfig;
  /** Service credentials (keystone mode); undefined sends no token. */
  keystone: Omit<KeystoneSessionOptions, 'region' | 'interface'> | undefined;
  /**
   * This controller is alone on the store (SQLite): claims left in the queue are its previous run's and
   * are freed at start-up instead of waiting for their lease.
   */
  exclusive: boolean;
  /** @default silent */
  log?: NotifyLogger;
  /** Most events per request. @default 100 */
  batchSize?: number;
  /** Look at the outbox and the queue at least this often. @default 1000 */
  pollMs?: number;
  /** First retry delay when Nova fails; doubles up to `backoffMaxMs`. @default 500 */
  backoffInitialMs?: number;
  /** @default 30000 */
  backoffMaxMs?: number;
}

/** Lifecycle of the notifier. */
export type NovaNotifierState =
  /** Constructed; nothing derived or sent. */
  | 'idle'
  /** Deriving and sending. */
  | 'running'
  /** Stopped. */
  | 'closed';

/** Change records read per outbox pass. */
const OUTBOX_PASS = 1000;

/** Derives events to Nova from committed changes and sends them. */
export class NovaNotifier {
  state: NovaNotifierState = 'idle';
  readonly sender: EventSender;
  private readonly log: NotifyLogger;
  private readonly pollMs: number;
  private scanned = 0;
  private tailing: Promise<void> | undefined;
  private again = false;
  private poller: NodeJS.Timeout | undefined;

  constructor(private readonly store: Store, private readonly options: NovaNotifierOptions) {
    this.log = options.log ?? silentNotifyLogger;
    this.pollMs = options.pollMs ?? 1000;
    const nova = options.nova;
    const keystone = options.keystone ? new KeystoneSession({ ...options.keystone, region: nova.region, interface: nova.interface }) : undefined;
    const client = new NovaClient({ url: nova.url, keystone, timeoutMs: nova.timeoutMs });
    this.sender = new EventSender(
      store,
      client,
      {
        intervalMs: nova.intervalMs,
        batchSize: options.batchSize ?? 100,
        leaseMs: 2 * nova.timeoutMs,
        pollMs: this.pollMs,
        backoffInitialMs: options.backoffInitialMs ?? 500,
        backoffMaxMs: options.backoffMaxMs ?? 30_000,
      },
      this.log,
    );
  }

  /** Takes the baseline (first start) or catches up with what changed while stopped, then starts sending. */
  async start(): Promise<void> {
    if (this.state !== 'idle') return;
    if (!(await takeBaseline(this.store))) {
      const ids = await this.store.read((q) => trackedPortIds(q));
      for (let i = 0; i < ids.length; i += 500) await this.store.write((tx) => recordPortEvents(tx, ids.slice(i, i + 500)));
    }
    this.state = 'running';
    this.poller = setInterval(() => void this.poke(), this.pollMs);
    this.poller.unref();
    await this.sender.start(this.options.exclusive);
    await this.poke();
  }

  /** Something committed: turn new outbox records into events. Resolves when the outbox is drained. */
  poke(): Promise<void> {
    if (this.state !== 'running') return Promise.resolve();
    if (this.tailing) {
      this.again = true;
      return this.tailing;
    }
    this.tailing = (async () => {
      try {
        do {
          this.again = false;
          for (let more = true; more && this.state === 'running'; ) {
            const pass = await tailOutbox(this.store, this.scanned, OUTBOX_PASS);
            this.scanned = pass.scanned;
            more = pass.more;
            if (pass.queued > 0) this.sender.wake();
          }
        } while (this.again && this.state === 'running');
      } catch (err) {
        this.log.error({ err }, 'nova: deriving events from the outbox');
      } finally {
        this.tailing = undefined;
      }
    })();
    return this.tailing;
  }

  /**
   * Hook for the port status writer: queues the events of a status change in the transaction that
   * writes it, and wakes the sender once it committed.
   */
  readonly statusHook = {
    inTransaction: async (tx: Queryable, ports: readonly string[]): Promise<void> => {
      await recordPortEvents(tx, ports);
    },
    committed: (): void => this.sender.wake(),
  };

  /** Stops deriving and sending. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearInterval(this.poller);
    await this.tailing;
    await this.sender.close();
  }
}

/** The notifier `config` asks for, or undefined when events to Nova are off (ALCOR_NOVA_URL unset). */
export function novaNotifierFor(store: Store, config: ServerConfig, options: Omit<NovaNotifierOptions, 'nova' | 'keystone'>): NovaNotifier | undefined {
  if (!config.nova.enabled) return undefined;
  const k = config.keystone;
  return new NovaNotifier(store, {
    nova: config.nova,
    keystone: config.auth === 'keystone' ? { url: k.url, username: k.username, password: k.password, project: k.project, domain: k.domain } : undefined,
    ...options,
  });
}
