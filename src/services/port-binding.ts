/**
 * Port binding as ML2 with Open vSwitch does it, and the binding details os-vif needs to plug a VM:
 * `binding:vif_type` is `unbound` without a host, `ovs` on a host whose agent is connected (and a vnic_type
 * the OVS agent serves), `binding_failed` otherwise; the result is fixed when the binding is made, as in
 * Neutron, so an agent restart does not change it. `binding:vif_details` of an `ovs` binding name the
 * integration bridge and the datapath type the host's agent reported.
 */
import type { Queryable } from '../store/store.js';

/** vnic_types the OVS agent binds (others fail, as with Neutron's openvswitch mechanism driver). */
const OVS_VNIC_TYPES = new Set(['normal']);

/** The integration bridge every Alcor agent plugs VMs into. */
export const INTEGRATION_BRIDGE = 'br-int';

/**
 * The vif_type of a binding of a port of `networkId` to `host` made now. A flat or vlan network binds
 * only on a host whose agent maps its physical network to a bridge (`--bridge-mapping`), as ML2's OVS
 * mechanism driver checks the agent's bridge_mappings.
 */
export async function bindingVifType(q: Queryable, host: string, vnicType: string, networkId: string): Promise<string> {
  if (host === '') return 'unbound';
  const agent = await q.get<{ connected: number; bridge_mappings: string }>('SELECT connected, bridge_mappings FROM hosts WHERE host = ?', [host]);
  if (agent?.connected !== 1 || !OVS_VNIC_TYPES.has(vnicType)) return 'binding_failed';
  const network = await q.get<{ network_type: string; physical_network: string }>('SELECT network_type, physical_network FROM networks WHERE id = ?', [networkId]);
  if (network && PROVIDER_TYPES.has(network.network_type) && !hostMapsPhysnet(agent.bridge_mappings, network.physical_network)) return 'binding_failed';
  return 'ovs';
}

/** Network types whose frames leave the host on a physical bridge. */
export const PROVIDER_TYPES: ReadonlySet<string> = new Set(['flat', 'vlan']);

/** Whether a host's stored bridge mappings (JSON object physnet → bridge) include `physnet`. */
export function hostMapsPhysnet(mappingsJson: string, physnet: string): boolean {
  try {
    const mappings = JSON.parse(mappingsJson) as Record<string, unknown>;
    return physnet !== '' && typeof mappings[physnet] === 'string';
  } catch {
    return false;
  }
}

/** What a host whose agent reports no datapath type runs (Neutron's OVS agent default). */
export const DEFAULT_DATAPATH_TYPE = 'system';

/** Datapath type each of `hosts` reported, for those that reported one. */
export async function hostDatapathTypes(q: Queryable, hosts: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(hosts)].filter((h) => h !== '');
  const out = new Map<string, string>();
  for (let i = 0; i < unique.length; i += 500) {
    const chunk = unique.slice(i, i + 500);
    const rows = await q.all<{ host: string; datapath_type: string }>(
      `SELECT host, datapath_type FROM hosts WHERE host IN (${chunk.map(() => '?').join(',')})`,
      chunk,
    );
    for (const r of rows) if (r.datapath_type !== '') out.set(r.host, r.datapath_type);
  }
  return out;
}

/** The vif_details os-vif reads for a binding: only an `ovs` binding has any. */
export function vifDetails(vifType: string, datapathType: string): Record<string, unknown> {
  if (vifType !== 'ovs') return {};
  return { port_filter: true, connectivity: 'l2', bridge_name: INTEGRATION_BRIDGE, datapath_type: datapathType, ovs_hybrid_plug: false };
}
