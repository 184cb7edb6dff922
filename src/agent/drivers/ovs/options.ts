/**
 * OVS driver settings from `--driver-opt key=value`, compiled once at construction.
 */
import { join } from 'node:path';

/** Raw options (all strings, as given on the command line). */
export interface OvsDriverOptions {
  /** OVS run directory: where `db.sock` and `<bridge>.mgmt` live. @default $OVS_RUNDIR or /var/run/openvswitch */
  rundir?: string;
  /** OVSDB remote. @default unix:<rundir>/db.sock */
  db?: string;
  /** Integration bridge. @default br-int */
  bridge?: string;
  /** `netdev`, `system` or `auto` (system when the kernel module is loaded). @default auto */
  'datapath-type'?: string;
  /** Name of the flow-based VXLAN port. @default vxlan0 */
  'tunnel-port'?: string;
  /** OpenFlow port number requested for it. @default 4000 */
  'tunnel-ofport'?: string;
  /** DHCP lease time, seconds. @default 86400 */
  'lease-seconds'?: string;
}

/** Fully populated settings. */
export interface CompiledOvsDriverOptions {
  rundir: string;
  db: string;
  bridge: string;
  bridgeTarget: string;
  datapathType: string;
  tunnelPort: string;
  tunnelOfport: number;
  leaseSeconds: number;
}

/** Fills in defaults and validates numbers. */
export function compileOvsDriverOptions(raw: Readonly<Record<string, string>>): CompiledOvsDriverOptions {
  const o = raw as OvsDriverOptions;
  const rundir = o.rundir ?? process.env.OVS_RUNDIR ?? '/var/run/openvswitch';
  const bridge = o.bridge ?? 'br-int';
  const number = (value: string | undefined, fallback: number, name: string) => {
    const n = value === undefined ? fallback : Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new TypeError(`--driver-opt ${name}: "${value}" is not a positive integer`);
    return n;
  };
  return {
    rundir,
    db: o.db ?? `unix:${join(rundir, 'db.sock')}`,
    bridge,
    bridgeTarget: `unix:${join(rundir, `${bridge}.mgmt`)}`,
    datapathType: o['datapath-type'] ?? 'auto',
    tunnelPort: o['tunnel-port'] ?? 'vxlan0',
    tunnelOfport: number(o['tunnel-ofport'], 4000, 'tunnel-ofport'),
    leaseSeconds: number(o['lease-seconds'], 86400, 'lease-seconds'),
  };
}
