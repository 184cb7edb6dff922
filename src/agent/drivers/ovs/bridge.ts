/**
 * Creates or repairs the integration bridge on start: datapath type, secure fail mode (no NORMAL
 * fallback: only the agent's flows forward), the OpenFlow versions the driver speaks, and the one
 * flow-based VXLAN port (`remote_ip=flow`, `key=flow`) all tunnels share.
 */
import { existsSync } from 'node:fs';
import type { OvsCli } from './ovs-cli.js';

/** Bridge settings. */
export interface BridgeSettings {
  bridge: string;
  /** `netdev` (userspace) or `system` (kernel). */
  datapathType: string;
  tunnelPort: string;
  tunnelOfportRequest: number;
  localIp: string;
}

/** `auto` resolves to the kernel datapath only when its module is loaded. */
export function resolveDatapathType(configured: string): string {
  if (configured !== 'auto') return configured;
  return existsSync('/sys/module/openvswitch') ? 'system' : 'netdev';
}

/** Ensures the bridge and tunnel port; returns the tunnel's OpenFlow port number. */
export async function ensureBridge(cli: OvsCli, s: BridgeSettings): Promise<number> {
  await cli.vsctl([
    '--', '--may-exist', 'add-br', s.bridge,
    '--', 'set', 'Bridge', s.bridge, `datapath_type=${s.datapathType}`, 'fail_mode=secure',
    'protocols=OpenFlow10,OpenFlow13,OpenFlow14,OpenFlow15', 'other_config:disable-in-band=true',
    '--', '--may-exist', 'add-port', s.bridge, s.tunnelPort,
    '--', 'set', 'Interface', s.tunnelPort, 'type=vxlan', `ofport_request=${s.tunnelOfportRequest}`,
    'options:remote_ip=flow', 'options:key=flow', `options:local_ip=${s.localIp}`,
  ]);
  const ofport = Number((await cli.vsctl(['get', 'Interface', s.tunnelPort, 'ofport'])).trim());
  if (!Number.isInteger(ofport) || ofport <= 0) throw new Error(`tunnel port ${s.tunnelPort} has no OpenFlow port (ofport ${ofport})`);
  return ofport;
}

/**
 * Ensures each mapped physical bridge (created when missing, with the integration bridge's datapath
 * type; an existing one keeps its settings) and the patch pair joining it to the integration bridge,
 * named as Neutron's OVS agent names them (`int-<bridge>` on br-int, `phy-<bridge>` on the physical
 * bridge). Returns physnet → the patch's OpenFlow port on the integration bridge.
 */
export async function ensurePhysicalBridges(cli: OvsCli, s: BridgeSettings, mappings: ReadonlyMap<string, string>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const existing = new Set((await cli.vsctl(['list-br'])).split('\n').map((b) => b.trim()));
  for (const [physnet, bridge] of mappings) {
    const intPort = `int-${bridge}`.slice(0, 15);
    const phyPort = `phy-${bridge}`.slice(0, 15);
    const create = existing.has(bridge) ? [] : ['--', 'add-br', bridge, '--', 'set', 'Bridge', bridge, `datapath_type=${s.datapathType}`];
    await cli.vsctl([
      ...create,
      '--', '--may-exist', 'add-port', s.bridge, intPort,
      '--', 'set', 'Interface', intPort, 'type=patch', `options:peer=${phyPort}`,
      '--', '--may-exist', 'add-port', bridge, phyPort,
      '--', 'set', 'Interface', phyPort, 'type=patch', `options:peer=${intPort}`,
    ]);
    const ofport = Number((await cli.vsctl(['get', 'Interface', intPort, 'ofport'])).trim());
    if (!Number.isInteger(ofport) || ofport <= 0) throw new Error(`patch port ${intPort} has no OpenFlow port (ofport ${ofport})`);
    out.set(physnet, ofport);
  }
  return out;
}
