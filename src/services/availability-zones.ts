/**
 * Availability zones (Neutron's availability_zone, network_availability_zone and router_availability_zone
 * extensions). A zone exists while some registered host reports it; it is `available` while one of those
 * hosts is connected. Alcor has no DHCP or L3 agents to schedule, so a network's zones are those of the
 * hosts its ports are bound to, and a router's those of the hosts of its subnets' ports (it is distributed).
 */
import { AvailabilityZoneNotFound } from '../domain/errors.js';
import { filterItems, type ListQuery } from '../domain/list-query.js';
import type { Queryable, Store } from '../store/store.js';
import { chunks } from './standard-attributes.js';

/** One zone of one resource type, as Neutron lists it. */
export interface AvailabilityZone {
  name: string;
  resource: 'network' | 'router';
  state: 'available' | 'unavailable';
}

/** Zone listing for the API. */
export interface AvailabilityZoneService {
  /** Every zone, once per resource type; filters on name, resource and state. */
  list(query: ListQuery): Promise<AvailabilityZone[]>;
}

/** Builds the zone listing over a store. */
export function createAvailabilityZoneService(store: Store): AvailabilityZoneService {
  return {
    async list(query) {
      const zones = await store.read((q) =>
        q.all<{ name: string; up: number | string }>('SELECT availability_zone AS name, MAX(connected) AS up FROM hosts GROUP BY availability_zone ORDER BY availability_zone'),
      );
      const all = zones.flatMap((z) =>
        (['network', 'router'] as const).map((resource): AvailabilityZone => ({ name: z.name, resource, state: Number(z.up) === 1 ? 'available' : 'unavailable' })),
      );
      return filterItems(all, query, 'availability_zones');
    },
  };
}

/** Throws 404 AvailabilityZoneNotFound unless every hint names a zone some host reports. */
export async function assertZonesExist(q: Queryable, hints: readonly string[]): Promise<void> {
  for (const zone of new Set(hints)) {
    if (!(await q.get('SELECT 1 AS x FROM hosts WHERE availability_zone = ?', [zone]))) {
      throw new AvailabilityZoneNotFound(`AvailabilityZone ${zone} could not be found.`);
    }
  }
}

/** Zone names per id from a query of `(id, zone)` rows over a chunk of ids (`sql` gets the placeholders). */
export async function zonesBy(q: Queryable, ids: readonly string[], sql: (placeholders: string) => string, params: readonly string[] = []): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const chunk of chunks([...ids], 500)) {
    const rows = await q.all<{ id: string; zone: string }>(sql(chunk.map(() => '?').join(',')), [...params, ...chunk]);
    for (const row of rows) out.get(row.id)?.push(row.zone);
  }
  return out;
}

/** The zones of the hosts each network's ports are bound to, sorted. */
export function networkZones(q: Queryable, networkIds: readonly string[]): Promise<Map<string, string[]>> {
  return zonesBy(q, networkIds, (ids) =>
    `SELECT DISTINCT p.network_id AS id, h.availability_zone AS zone FROM ports p JOIN hosts h ON h.host = p.binding_host_id
      WHERE p.network_id IN (${ids}) ORDER BY zone`,
  );
}
