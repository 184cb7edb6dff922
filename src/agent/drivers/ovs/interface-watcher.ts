/**
 * Finds VM interfaces by `external_ids:iface-id=<port id>` and their OpenFlow port numbers, and reports
 * changes as they happen: `ovsdb-client monitor` streams Interface table updates, each of which
 * triggers a (debounced) re-read of the table. A port may be bound before or after its interface
 * exists; the driver recomputes a port's flows whenever its interface appears, changes or goes away.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { OvsCli } from './ovs-cli.js';

/** One row of the Interface table, as the driver reads it. */
export interface InterfaceRow {
  name: string;
  /** OpenFlow port; undefined until ovs-vswitchd has numbered it (or when it failed). */
  ofport: number | undefined;
  /** `external_ids:iface-id`: the port the interface is. */
  ifaceId: string | undefined;
}

/** Parses `ovs-vsctl --format=json --columns=name,ofport,external_ids list Interface` output. */
export function parseInterfaceRows(json: string): InterfaceRow[] {
  const table = JSON.parse(json) as { headings: string[]; data: unknown[][] };
  const nameColumn = table.headings.indexOf('name');
  const ofportColumn = table.headings.indexOf('ofport');
  const idsColumn = table.headings.indexOf('external_ids');
  return table.data.map((row) => {
    const ofport = row[ofportColumn];
    const ids = row[idsColumn] as [string, Array<[string, string]>] | undefined;
    return {
      name: String(row[nameColumn]),
      ofport: typeof ofport === 'number' && ofport > 0 ? ofport : undefined,
      ifaceId: ids?.[1]?.find(([k]) => k === 'iface-id')?.[1],
    };
  });
}

/** Parses `ovs-vsctl --format=json list Interface` output into iface-id → ofport. */
export function parseInterfaces(json: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const row of parseInterfaceRows(json)) if (row.ifaceId && row.ofport) out.set(row.ifaceId, row.ofport);
  return out;
}

const INTERFACE_COLUMNS = ['--format=json', '--columns=name,ofport,external_ids', 'list', 'Interface'];

/**
 * The interfaces of one bridge as OVSDB has them right now (OpenFlow port numbers are per bridge, so
 * interfaces of other bridges are left out).
 */
export async function readBridgeInterfaces(cli: OvsCli, bridge: string): Promise<InterfaceRow[]> {
  const [rows, names] = await Promise.all([cli.vsctl(INTERFACE_COLUMNS), cli.vsctl(['list-ifaces', bridge])]);
  const onBridge = new Set(names.split('\n').map((n) => n.trim()).filter(Boolean));
  return parseInterfaceRows(rows).filter((row) => onBridge.has(row.name));
}

/** Watches the Interface table of one OVSDB. */
export class InterfaceWatcher {
  private current = new Map<string, number>();
  private monitor: ChildProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private refreshing: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly cli: OvsCli,
    private readonly onChange: (portIds: string[]) => void,
    private readonly log: (level: 'debug' | 'warn', message: string, fields?: Record<string, unknown>) => void,
  ) {}

  /** Port id → OpenFlow port of plugged interfaces. */
  get ofports(): ReadonlyMap<string, number> {
    return this.current;
  }

  /** Reads the table once, then follows changes. */
  async start(): Promise<void> {
    this.current = await this.read();
    this.startMonitor();
  }

  /** Stops following changes. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.monitor?.kill('SIGTERM');
  }

  private async read(): Promise<Map<string, number>> {
    return parseInterfaces(await this.cli.vsctl(INTERFACE_COLUMNS));
  }

  private startMonitor(): void {
    if (this.closed) return;
    const { db, rundir } = this.cli.endpoints;
    const child = spawn('ovsdb-client', ['monitor', db, 'Open_vSwitch', 'Interface', 'name,ofport,external_ids', '--format=json'], {
      env: { ...process.env, OVS_RUNDIR: rundir },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    this.monitor = child;
    child.stdout.on('data', () => this.scheduleRefresh());
    child.on('error', (err) => this.log('warn', 'ovsdb-client monitor failed', { error: err.message }));
    child.on('close', () => {
      if (this.closed) return;
      this.timer = setTimeout(() => this.startMonitor(), 1000);
      this.timer.unref?.();
    });
  }

  private scheduleRefresh(): void {
    if (this.refreshing) {
      this.again = true;
      return;
    }
    this.refreshing = this.refresh().finally(() => {
      this.refreshing = undefined;
      if (this.again) {
        this.again = false;
        this.scheduleRefresh();
      }
    });
  }

  private async refresh(): Promise<void> {
    let next: Map<string, number>;
    try {
      next = await this.read();
    } catch (err) {
      this.log('warn', 'reading interfaces failed', { error: String(err) });
      return;
    }
    const changed: string[] = [];
    for (const [id, ofport] of next) if (this.current.get(id) !== ofport) changed.push(id);
    for (const id of this.current.keys()) if (!next.has(id)) changed.push(id);
    this.current = next;
    if (changed.length > 0 && !this.closed) this.onChange(changed);
  }
}
