/**
 * Port status from agent acks (DESIGN.md §4 "Port binding"):
 * - a port is programmed on its host at the revision whose delta carried its state;
 * - it becomes ACTIVE when that host acks a revision >= that one, ERROR when the ack reports the port
 *   (or its DHCP entry) failed, and DOWN when its host disconnects, it is unbound, or it moves;
 * - it stays DOWN while the host's acks list it as waiting (its VM interface is not plugged yet), as
 *   Neutron keeps a port DOWN until its VIF is plugged.
 * Status lives in `ports.status`; writes are batched into one transaction per flush and never append
 * outbox records (status is observed state, not desired state).
 */
import type { Queryable, Store } from '../store/store.js';
import { portProgrammingSeconds } from './metrics.js';

const NONE: ReadonlySet<string> = new Set();

/** A port status as Neutron reports it. */
export type PortStatus = 'ACTIVE' | 'DOWN' | 'ERROR';

/** When a port's current state was sent and when it became ACTIVE (epoch ms). */
interface PortTiming {
  sentAt: number;
  activeAt?: number;
}

/** What this controller knows of where and how far a port is programmed (operator view). */
export interface PortProgramming {
  host: string;
  /** Revision whose delta carried the port's current state. */
  programmedRevision: number;
  /** Newest revision the host acked over its stream to this controller; undefined while it is not connected here. */
  hostAckedRevision: number | undefined;
  /** The host's last ack listed the port as waiting (its VM interface is not plugged). */
  waiting: boolean;
  /** The host reported that it could not apply the port's current state. */
  failed: boolean;
  /** When the current state was sent (epoch ms). */
  sentAt: number | undefined;
  /** When the ack that made it ACTIVE arrived (epoch ms). */
  activeAt: number | undefined;
}

/** One port that became ACTIVE: how long it took from the send of its state (operator view). */
export interface ProgrammingSample {
  port: string;
  host: string;
  /** When it became ACTIVE (epoch ms). */
  at: number;
  ms: number;
}

/** Samples kept in `recent`. */
const RECENT_SAMPLES = 200;

/** Observes status writes: runs inside each status transaction (events derived from it commit with it), then after the commit. */
export interface StatusWriteHook {
  inTransaction(tx: Queryable, ports: readonly string[]): Promise<void>;
  committed(): void;
  /** True while the hook has statuses of its own to write (a status transaction runs for them too; see wake). */
  queued?(): boolean;
}

/** Pause before writing statuses again after a failed write. */
const STATUS_RETRY_MS = 1000;

/** Tracks programmed ports and writes their status. */
export class PortStatusTracker {
  /** host → port → revision at which the port's current state was sent. */
  private readonly byHost = new Map<string, Map<string, number>>();
  private readonly hostOfPort = new Map<string, string>();
  /** Last status written (or known) per port, so repeated acks write nothing. */
  private readonly written = new Map<string, PortStatus>();
  private readonly pending = new Map<string, PortStatus>();
  private readonly acked = new Map<string, number>();
  /** host → ports its last ack listed as waiting (replaced by every ack). */
  private readonly waiting = new Map<string, ReadonlySet<string>>();
  private readonly failedAt = new Map<string, number>();
  private readonly timing = new Map<string, PortTiming>();
  /** The last ports that became ACTIVE, oldest first (at most RECENT_SAMPLES). */
  readonly recent: ProgrammingSample[] = [];
  /**
   * host → its ports whose programmed state it may not have acked yet. An ack that reports nothing
   * failed or waiting, after one that reported nothing waiting, can change only these: with 1,000
   * hosts acking every change of a VPC, the rest of each host's ports are not walked again.
   */
  private readonly unacked = new Map<string, Set<string>>();
  private flushing: Promise<void> | undefined;
  /** A failed write waits for this timer; stop() ends the retries. */
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly hooks: StatusWriteHook[] = [];
  /**
   * Ports set DOWN because a host stopped programming them, with that host. With replicas, the replica
   * holding the new host's stream may already have written ACTIVE: this DOWN is written only while the
   * port is bound to no other host.
   */
  private readonly releasedBy = new Map<string, string>();
  /** Told of every status a port's host decides (acks, host lost), not of releases when a port leaves a host. */
  private readonly deciders: ((port: string, status: PortStatus) => void)[] = [];

  constructor(private readonly store: Store, private readonly onError: (err: unknown) => void) {}

  /** The host whose acks decide the port's status, if it is programmed. */
  hostOf(port: string): string | undefined {
    return this.hostOfPort.get(port);
  }

  /** Adds an observer of every status write. */
  addWriteHook(hook: StatusWriteHook): void {
    this.hooks.push(hook);
  }

  /** Calls `listener` with every status a port's own host decides (see `deciders`). */
  onDecided(listener: (port: string, status: PortStatus) => void): void {
    this.deciders.push(listener);
  }

  /** The port's state reached `host` at `revision`. */
  programmed(host: string, port: string, revision: number): void {
    const previous = this.hostOfPort.get(port);
    if (previous !== undefined && previous !== host) {
      this.byHost.get(previous)?.delete(port);
      this.set(port, 'DOWN', true);
    }
    this.hostOfPort.set(port, host);
    let ports = this.byHost.get(host);
    if (!ports) this.byHost.set(host, (ports = new Map()));
    ports.set(port, revision);
    this.timing.set(port, { sentAt: Date.now() });
    this.unackedOf(host).add(port);
    const acked = this.acked.get(host);
    if (acked !== undefined && acked >= revision && !this.waiting.get(host)?.has(port)) this.set(port, 'ACTIVE');
  }

  /** Ports the host's last ack listed as waiting (metrics, tests). */
  waitingPorts(host: string): number {
    return this.waiting.get(host)?.size ?? 0;
  }

  /** The port is no longer programmed on `host` (unbound, moved away or deleted). */
  unprogrammed(host: string, port: string, deleted: boolean): void {
    if (this.hostOfPort.get(port) !== host) return;
    this.hostOfPort.delete(port);
    this.byHost.get(host)?.delete(port);
    this.failedAt.delete(port);
    this.timing.delete(port);
    if (deleted) {
      this.written.delete(port);
      this.pending.delete(port);
    } else {
      this.set(port, 'DOWN', true);
      if (this.pending.has(port)) this.releasedBy.set(port, host);
    }
  }

  /**
   * `host` applied everything up to `revision`; `failed` names ports whose state it could not apply,
   * `waiting` every port the host holds that cannot take effect yet (its VM interface is not plugged):
   * those stay DOWN until an ack no longer lists them.
   */
  ack(host: string, revision: number, failed: ReadonlySet<string>, waiting: ReadonlySet<string> = NONE): void {
    const waitedBefore = (this.waiting.get(host)?.size ?? 0) > 0;
    this.acked.set(host, Math.max(revision, this.acked.get(host) ?? 0));
    this.waiting.set(host, waiting);
    const ports = this.byHost.get(host);
    if (!ports) return;
    const unacked = this.unackedOf(host);
    const candidates = failed.size === 0 && waiting.size === 0 && !waitedBefore ? unacked : ports.keys();
    for (const port of candidates) {
      const programmedAt = ports.get(port);
      if (programmedAt === undefined || programmedAt <= revision) unacked.delete(port);
      else unacked.add(port);
      if (programmedAt === undefined) continue;
      if (failed.has(port)) {
        // The failure sticks to this programmed state; a newer state of the port gets a fresh chance.
        this.failedAt.set(port, programmedAt);
        this.set(port, 'ERROR');
      } else if (programmedAt <= revision && this.failedAt.get(port) !== programmedAt) {
        this.set(port, waiting.has(port) ? 'DOWN' : 'ACTIVE');
      }
    }
  }

  /** `host` disconnected: its ports go DOWN until it acks again. */
  hostDown(host: string): void {
    this.acked.delete(host);
    this.waiting.delete(host);
    const unacked = this.unackedOf(host);
    for (const port of this.byHost.get(host)?.keys() ?? []) {
      this.set(port, 'DOWN');
      unacked.add(port);
    }
  }

  private unackedOf(host: string): Set<string> {
    let ports = this.unacked.get(host);
    if (!ports) this.unacked.set(host, (ports = new Set()));
    return ports;
  }

  /** Forgets what was written (after start-up reset every port of a disconnected host to DOWN). */
  assumeStatus(port: string, status: PortStatus): void {
    this.written.set(port, status);
  }

  /** Where `port` is programmed as this controller sees it; undefined when it is not programmed anywhere. */
  describe(port: string): PortProgramming | undefined {
    const host = this.hostOfPort.get(port);
    const programmedRevision = host === undefined ? undefined : this.byHost.get(host)?.get(port);
    if (host === undefined || programmedRevision === undefined) return undefined;
    const timing = this.timing.get(port);
    return {
      host,
      programmedRevision,
      hostAckedRevision: this.acked.get(host),
      waiting: this.waiting.get(host)?.has(port) ?? false,
      failed: this.failedAt.get(port) === programmedRevision,
      sentAt: timing?.sentAt,
      activeAt: timing?.activeAt,
    };
  }

  /** Where the host acked the port's current state: its status is decided by that host (ACTIVE unless waiting or failed). */
  applied(port: string): boolean {
    const p = this.describe(port);
    return p !== undefined && (p.hostAckedRevision ?? -1) >= p.programmedRevision && !p.waiting && !p.failed;
  }

  /** `released`: the port left the host whose acks decided it. */
  private set(port: string, status: PortStatus, released = false): void {
    if (!released) for (const decided of this.deciders) decided(port, status);
    const timing = this.timing.get(port);
    if (status === 'ACTIVE' && timing && timing.activeAt === undefined) {
      timing.activeAt = Date.now();
      portProgrammingSeconds.observe((timing.activeAt - timing.sentAt) / 1000);
      this.recent.push({ port, host: this.hostOfPort.get(port) ?? '', at: timing.activeAt, ms: timing.activeAt - timing.sentAt });
      if (this.recent.length > RECENT_SAMPLES) this.recent.shift();
    }
    this.releasedBy.delete(port);
    if (this.written.get(port) === status && !this.pending.has(port)) return;
    this.pending.set(port, status);
    this.written.set(port, status);
    this.wake();
  }

  /** Starts a status transaction soon (a hook queued statuses of its own). */
  wake(): void {
    this.flushing ??= Promise.resolve().then(() => this.flush());
  }

  /** Writes pending statuses; resolves when everything queued so far is stored. */
  async flush(): Promise<void> {
    while (this.pending.size > 0 || this.hooks.some((hook) => hook.queued?.() === true)) {
      const batch = new Map(this.pending);
      this.pending.clear();
      const released = new Map<string, string>();
      const byStatus = new Map<PortStatus, string[]>();
      for (const [port, status] of batch) {
        const host = this.releasedBy.get(port);
        this.releasedBy.delete(port);
        if (host !== undefined) released.set(port, host);
        else byStatus.set(status, [...(byStatus.get(status) ?? []), port]);
      }
      // Released ports another host holds now: their status is not this tracker's to know.
      const skipped = new Set<string>();
      try {
        await this.store.write(async (tx) => {
          skipped.clear();
          for (const [port, host] of released) {
            const changed = await tx.run("UPDATE ports SET status = 'DOWN' WHERE id = ? AND binding_host_id IN ('', ?)", [port, host]);
            if (changed === 0) skipped.add(port);
          }
          for (const [status, ports] of byStatus) {
            for (let i = 0; i < ports.length; i += 500) {
              const chunk = ports.slice(i, i + 500);
              await tx.run(`UPDATE ports SET status = ? WHERE id IN (${chunk.map(() => '?').join(',')})`, [status, ...chunk]);
            }
          }
          for (const hook of this.hooks) await hook.inTransaction(tx, [...batch.keys()]);
        });
        for (const port of skipped) if (!this.pending.has(port)) this.written.delete(port);
        for (const hook of this.hooks) hook.committed();
      } catch (err) {
        this.onError(err);
        // Not stored (the database is away): queue the batch again, behind any newer status of the same
        // port, and try again after a pause. An outage delays statuses; it must not leave a port DOWN in
        // the store that its host has acked, since nothing would write that status again.
        for (const [port, status] of batch) if (!this.pending.has(port)) this.pending.set(port, status);
        for (const [port, host] of released) if (!this.releasedBy.has(port)) this.releasedBy.set(port, host);
        this.retryLater();
        break;
      }
    }
    this.flushing = undefined;
  }

  private retryLater(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.flushing ??= this.flush();
    }, STATUS_RETRY_MS);
    this.retryTimer.unref();
  }

  /** Waits for queued writes (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Waits for queued writes and stops retrying failed ones (shutdown). */
  async stop(): Promise<void> {
    await this.idle();
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}
