/**
 * Floating-IP status from agent acks. A distributed floating IP is part of its port's goal state
 * (`PortState.floating_ips`), so it is programmed exactly when that state is: it turns ACTIVE when the
 * port's host acks a revision carrying it (the port tracker decides the port ACTIVE), and DOWN when that
 * host is lost or reports the port waiting or failed. The API writes DOWN whenever the association or
 * the port's host changes; this module writes ACTIVE once the new carrier's host has it.
 * Statuses are written in the port tracker's status transaction, each only while the floating IP is
 * still associated with the port that carried it: an ack of an older state never marks a floating IP
 * ACTIVE that the API has moved meanwhile.
 */
import type { Queryable } from '../store/store.js';
import type { PortStatus, PortStatusTracker, StatusWriteHook } from './port-status.js';

/** A floating IP status as Neutron reports it. */
export type FloatingIpStatus = 'ACTIVE' | 'DOWN';

/** The floating IPs a port's programmed state carries, and the host it is programmed on. */
interface Carrier {
  host: string;
  fips: ReadonlySet<string>;
}

/** Tracks which port carries each floating IP and writes floating-IP statuses. */
export class FloatingIpStatusTracker implements StatusWriteHook {
  /** Floating IP → port whose programmed state carries it. */
  private readonly portOf = new Map<string, string>();
  private readonly carriers = new Map<string, Carrier>();
  /** Last status written per floating IP; forgotten whenever the API may have written it. */
  private readonly written = new Map<string, FloatingIpStatus>();
  private readonly pending = new Map<string, FloatingIpStatus>();
  /** What the running status transaction writes. */
  private inFlight = new Map<string, FloatingIpStatus>();

  constructor(private readonly ports: PortStatusTracker) {
    ports.addWriteHook(this);
    ports.onDecided((port, status) => this.decided(port, status));
  }

  /**
   * Start-up: floating IPs whose port is on no connected host are not programmed anywhere (as port
   * statuses are reset). Hosts connected to other replicas keep theirs.
   */
  static async reset(tx: Queryable): Promise<void> {
    await tx.run(
      `UPDATE floatingips SET status = 'DOWN' WHERE status = 'ACTIVE' AND NOT EXISTS (SELECT 1 FROM ports p JOIN hosts h ON h.host = p.binding_host_id
         WHERE p.id = floatingips.port_id AND h.connected = 1)`,
    );
  }

  /** The state of `port` programmed on `host` now carries `fips` (none: the port left the host or has none). */
  carried(host: string, port: string, fips: readonly string[]): void {
    const before = this.carriers.get(port);
    const moved = before !== undefined && before.host !== host;
    for (const fip of before?.fips ?? []) {
      if ((moved || !fips.includes(fip)) && this.portOf.get(fip) === port) {
        this.portOf.delete(fip);
        this.forget(fip);
      }
    }
    if (fips.length === 0) this.carriers.delete(port);
    else this.carriers.set(port, { host, fips: new Set(fips) });
    for (const fip of fips) {
      if (this.portOf.get(fip) === port && !moved) continue;
      this.portOf.set(fip, port);
      this.forget(fip);
      this.settle(fip);
    }
  }

  /** The port is no longer programmed on `host`. */
  dropped(host: string, port: string): void {
    if (this.carriers.get(port)?.host === host) this.carried(host, port, []);
  }

  /** Floating IPs the API changed (it may have written their status): their status is worked out again. */
  changed(fips: Iterable<string>): void {
    for (const fip of fips) {
      this.forget(fip);
      this.settle(fip);
    }
  }

  private settle(fip: string): void {
    const port = this.portOf.get(fip);
    if (port !== undefined && this.ports.applied(port)) this.set(fip, 'ACTIVE');
  }

  private forget(fip: string): void {
    this.written.delete(fip);
    this.pending.delete(fip);
  }

  private decided(port: string, status: PortStatus): void {
    for (const fip of this.carriers.get(port)?.fips ?? []) if (this.portOf.get(fip) === port) this.set(fip, status === 'ACTIVE' ? 'ACTIVE' : 'DOWN');
  }

  private set(fip: string, status: FloatingIpStatus): void {
    if (this.written.get(fip) === status && !this.pending.has(fip)) return;
    this.pending.set(fip, status);
    this.written.set(fip, status);
    this.ports.wake();
  }

  queued(): boolean {
    return this.pending.size > 0;
  }

  async inTransaction(tx: Queryable): Promise<void> {
    this.inFlight = new Map(this.pending);
    for (const [fip, status] of this.inFlight) {
      const port = this.portOf.get(fip);
      if (port !== undefined) await tx.run('UPDATE floatingips SET status = ? WHERE id = ? AND port_id = ?', [status, fip, port]);
    }
  }

  committed(): void {
    for (const [fip, status] of this.inFlight) if (this.pending.get(fip) === status) this.pending.delete(fip);
    this.inFlight.clear();
  }
}
