/**
 * Flushes the conntrack entries that the security-group rules no longer allow (conntrack.ts decides),
 * once the flows of a change are installed: `ovs-appctl dpctl/dump-conntrack <dp> zone=<zone>` for each
 * zone with governed local ports, then `dpctl/flush-conntrack zone=<zone> <exact tuple>` per stale
 * entry (works for the userspace and the kernel datapath alike). One sweep runs at a time; requests
 * that arrive meanwhile cause one more sweep after it, so a burst of changes costs at most two.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DesiredStateView } from '../../driver.js';
import { flushArgs, governedPorts, groupMembership, parseConntrackDump, staleEntries } from './conntrack.js';
import { runTool } from './ovs-cli.js';

/** What a sweep reads and where it runs the tools. */
export interface ConntrackSweeperDeps {
  rundir: string;
  /** Datapath type of the bridge (`netdev` or `system`). */
  datapathType: string;
  inputs: () => { view: DesiredStateView; ofports: ReadonlyMap<string, number> };
  log: (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

/** Sweeps stale connections after rule changes. */
export class ConntrackSweeper {
  readonly counters = { ctSweeps: 0, ctFlushed: 0, ctFailures: 0 };
  private running: Promise<void> | undefined;
  private again = false;
  private lastWarning = -Infinity;

  constructor(private readonly deps: ConntrackSweeperDeps) {}

  /** Asks for a sweep; resolves once one that started after this call has finished. Never rejects. */
  request(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop();
    return this.running;
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.sweep().catch((err: unknown) => this.failed(String(err)));
      } while (this.again);
    } finally {
      this.running = undefined;
    }
  }

  /**
   * ovs-appctl's target: a fixed `ovs-vswitchd.ctl` socket in the run directory when ovs-vswitchd was
   * started with one (`--unixctl`), else its default (`ovs-vswitchd.<pid>.ctl`, found by pidfile).
   */
  private target(): string[] {
    const fixed = join(this.deps.rundir, 'ovs-vswitchd.ctl');
    return existsSync(fixed) ? ['-t', fixed] : [];
  }

  /** Counts a failure; warns at most once a minute (a host without ovs-appctl access would fail every sweep). */
  private failed(error: string, zone?: number): void {
    this.counters.ctFailures++;
    if (Date.now() - this.lastWarning < 60_000) return;
    this.lastWarning = Date.now();
    this.deps.log('warn', 'conntrack sweep failed', { zone, error, failures: this.counters.ctFailures });
  }

  private async sweep(): Promise<void> {
    const { view, ofports } = this.deps.inputs();
    const zones = governedPorts(view, ofports);
    if (zones.size === 0) return;
    this.counters.ctSweeps++;
    const isMember = groupMembership(view);
    const datapath = `${this.deps.datapathType}@ovs-${this.deps.datapathType}`;
    const appctl = (args: string[]) => runTool('ovs-appctl', [...this.target(), ...args], this.deps.rundir);
    for (const [zone, ports] of zones) {
      try {
        const dump = await appctl(['dpctl/dump-conntrack', datapath, `zone=${zone}`]);
        const stale = staleEntries(parseConntrackDump(dump).filter((e) => e.zone === zone), ports, isMember);
        // No datapath argument here: OVS 3.1 reads a datapath name followed by a zone and a tuple as a
        // second tuple and fails; without one, ovs-vswitchd uses its only datapath.
        for (const entry of stale) {
          const tuples = flushArgs(entry);
          if (!tuples) continue;
          await appctl(['dpctl/flush-conntrack', `zone=${zone}`, ...tuples]);
          this.counters.ctFlushed++;
        }
        if (stale.length > 0) this.deps.log('info', 'flushed connections no rule allows any more', { zone, flushed: stale.length });
      } catch (err) {
        this.failed(String(err), zone);
      }
    }
  }
}
