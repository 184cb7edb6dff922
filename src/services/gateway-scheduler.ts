/**
 * Chooses the host that carries each router's external gateway (SNAT), like Neutron's L3 scheduler for
 * DVR SNAT or OVN's gateway chassis: among the hosts whose agent is connected and maps the external
 * network's physical network (`--bridge-mapping`), the one carrying the fewest gateways (then by name).
 * A router keeps its host while that host stays a candidate; when its agent is lost, the next call moves
 * the gateway (failover) and appends a router change, so the data plane reprograms the old and the new
 * host. Called inside the writing transaction on every change that may alter the choice: a gateway set
 * or cleared, an agent connecting or disconnecting.
 */
import { appendChange } from '../store/outbox.js';
import type { Queryable } from '../store/store.js';
import { hostMapsPhysnet } from './port-binding.js';

interface GatewayRow {
  id: string;
  gateway_host: string;
  physical_network: string | null;
}

/** Re-runs the choice for every router with a gateway; returns how many routers moved. */
export async function scheduleGateways(tx: Queryable): Promise<number> {
  const routers = await tx.all<GatewayRow>(
    `SELECT r.id, r.gateway_host, n.physical_network FROM routers r JOIN networks n ON n.id = r.gw_network_id
      WHERE r.gw_port_id IS NOT NULL ORDER BY r.id`,
  );
  const cleared = await tx.all<{ id: string }>("SELECT id FROM routers WHERE gw_port_id IS NULL AND gateway_host <> ''");
  let moved = 0;
  for (const r of cleared) {
    await tx.run("UPDATE routers SET gateway_host = '' WHERE id = ?", [r.id]);
    await appendChange(tx, 'router', r.id, 'update');
    moved++;
  }
  if (routers.length === 0) return moved;
  const hosts = await tx.all<{ host: string; bridge_mappings: string }>('SELECT host, bridge_mappings FROM hosts WHERE connected = 1 ORDER BY host');
  const load = new Map<string, number>(hosts.map((h) => [h.host, 0]));
  for (const r of routers) if (load.has(r.gateway_host)) load.set(r.gateway_host, load.get(r.gateway_host)! + 1);
  for (const r of routers) {
    const candidates = hosts.filter((h) => hostMapsPhysnet(h.bridge_mappings, r.physical_network ?? ''));
    if (candidates.some((h) => h.host === r.gateway_host)) continue;
    let best: string = '';
    for (const h of candidates) if (best === '' || load.get(h.host)! < load.get(best)!) best = h.host;
    if (best === r.gateway_host) continue;
    if (best !== '') load.set(best, load.get(best)! + 1);
    await tx.run('UPDATE routers SET gateway_host = ? WHERE id = ?', [best, r.id]);
    await appendChange(tx, 'router', r.id, 'update');
    moved++;
  }
  return moved;
}
