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
  /** OVS port of the metadata proxy on the bridge; created as an internal port unless it exists. @default alcor-md */
  'metadata-port'?: string;
  /** Kernel interface (in the agent's namespace) the proxy listens on: the other end of the metadata port. @default the metadata port's name */
  'metadata-interface'?: string;
  /** Address range of the metadata link: the proxy takes the first address, each VM port base + 2 + its OpenFlow port; its route points at the metadata interface, so it must not hold 169.254.169.254 or other addresses the host uses. @default 169.254.0.0/17 */
  'metadata-cidr'?: string;
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
  metadataPort: string;
  metadataInterface: string;
  metadataCidr: string;
}

/** An IPv4 range with room for the proxy and some ports (prefix length 8 to 28). */
function metadataCidr(value: string): string {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  const ok = match && match.slice(1, 5).every((b) => Number(b) <= 255) && Number(match[5]) >= 8 && Number(match[5]) <= 28;
  if (!ok) throw new TypeError(`--driver-opt metadata-cidr: "${value}" is not an IPv4 range a.b.c.d/8..28`);
  return value;
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
    metadataPort: o['metadata-port'] ?? 'alcor-md',
    metadataInterface: o['metadata-interface'] ?? o['metadata-port'] ?? 'alcor-md',
    metadataCidr: metadataCidr(o['metadata-cidr'] ?? '169.254.0.0/17'),
  };
}
