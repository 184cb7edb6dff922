/**
 * Router rows, listing spec and hydration, plus the queries router, interface and floating-IP code share:
 * which subnets a router is attached to (through its interface and gateway ports).
 */
import { InvalidRoutes, RouterNotFound } from '../domain/errors.js';
import { cidrContains, parseCidr, parseIp } from '../domain/ip.js';
import type { ExternalFixedIp, Router, RouterRoute } from '../domain/router.js';
import type { Queryable } from '../store/store.js';
import { zonesBy } from './availability-zones.js';
import { chunks, loadTags } from './standard-attributes.js';
import { OWN_PROJECT_ONLY, sameNameColumns, STANDARD_COLUMNS, type TableSpec } from './table-list.js';

/** Device owner of router interface ports. */
export const ROUTER_INTERFACE_OWNER = 'network:router_interface';
/** Device owner of router gateway ports. */
export const ROUTER_GATEWAY_OWNER = 'network:router_gateway';

/** A row of routers. */
export interface RouterRow {
  id: string;
  project_id: string;
  name: string;
  description: string;
  admin_state_up: number;
  status: string;
  distributed: number;
  /** JSON array of zone names. */
  availability_zone_hints: string;
  ha: number;
  gw_network_id: string | null;
  gw_port_id: string | null;
  enable_snat: number;
  gateway_host: string;
  routes: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

/** Listing spec: non-admins see their project's routers. */
export const ROUTER_TABLE: TableSpec = {
  table: 'routers',
  tagType: 'routers',
  columns: {
    ...STANDARD_COLUMNS,
    ...sameNameColumns('string', 'name', 'status'),
    ...sameNameColumns('bool', 'admin_state_up', 'distributed', 'ha'),
  },
  visibility: OWN_PROJECT_ONLY,
  notFound: (id) => new RouterNotFound(`Router ${id} could not be found`),
};

/** One address of a router port, with its subnet. */
export interface RouterAddress {
  port_id: string;
  device_owner: string;
  network_id: string;
  subnet_id: string;
  cidr: string;
  ip_address: string;
}

/** Every address of the ports a router owns (interfaces and gateway). */
export async function routerAddresses(q: Queryable, routerId: string): Promise<RouterAddress[]> {
  return q.all<RouterAddress>(
    `SELECT p.id AS port_id, p.device_owner, p.network_id, a.subnet_id, s.cidr, a.ip_address
       FROM ports p JOIN ip_allocations a ON a.port_id = p.id JOIN subnets s ON s.id = a.subnet_id
      WHERE p.device_id = ? AND p.device_owner IN (?, ?) ORDER BY p.created_at, p.id, a.position`,
    [routerId, ROUTER_INTERFACE_OWNER, ROUTER_GATEWAY_OWNER],
  );
}

/** Throws InvalidRoutes unless every nexthop lies on a subnet the router is attached to (and is not the router's own address). */
export function checkRoutesReachable(routes: readonly RouterRoute[], addresses: readonly RouterAddress[]): void {
  for (const route of routes) {
    const nexthop = parseIp(route.nexthop);
    const onLink = addresses.some((a) => {
      const cidr = parseCidr(a.cidr, false);
      return nexthop !== undefined && typeof cidr !== 'string' && cidrContains(cidr, nexthop);
    });
    if (!onLink) throw new InvalidRoutes(`Invalid format for routes: the nexthop ${route.nexthop} is not connected with the router`);
    if (addresses.some((a) => a.ip_address === route.nexthop)) {
      throw new InvalidRoutes(`Invalid format for routes: the nexthop ${route.nexthop} is used by the router`);
    }
  }
}

/** The zones of the hosts with ports on each router's attached networks, sorted (the router is distributed). */
function routerZones(q: Queryable, routerIds: readonly string[]): Promise<Map<string, string[]>> {
  return zonesBy(
    q,
    routerIds,
    (ids) =>
      `SELECT DISTINCT r.device_id AS id, h.availability_zone AS zone FROM ports r
         JOIN ports p ON p.network_id = r.network_id JOIN hosts h ON h.host = p.binding_host_id
        WHERE r.device_owner = ? AND r.device_id IN (${ids}) ORDER BY zone`,
    [ROUTER_INTERFACE_OWNER],
  );
}

/** Turns rows into API objects (gateway addresses and tags in one query each). */
export async function hydrateRouters(q: Queryable, rows: RouterRow[], showGatewayHost = false): Promise<Router[]> {
  if (rows.length === 0) return [];
  const tags = await loadTags(q, 'routers', rows.map((r) => r.id));
  const zones = await routerZones(q, rows.map((r) => r.id));
  const gwPorts = rows.map((r) => r.gw_port_id).filter((id): id is string => id !== null);
  const gwIps = new Map<string, ExternalFixedIp[]>();
  for (const chunk of chunks(gwPorts, 500)) {
    const ips = await q.all<ExternalFixedIp & { port_id: string }>(
      `SELECT port_id, subnet_id, ip_address FROM ip_allocations WHERE port_id IN (${chunk.map(() => '?').join(',')}) ORDER BY position`,
      chunk,
    );
    for (const ip of ips) gwIps.set(ip.port_id, [...(gwIps.get(ip.port_id) ?? []), { subnet_id: ip.subnet_id, ip_address: ip.ip_address }]);
  }
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    description: r.description,
    project_id: r.project_id,
    tenant_id: r.project_id,
    admin_state_up: r.admin_state_up === 1,
    status: r.status,
    external_gateway_info: r.gw_network_id
      ? { network_id: r.gw_network_id, enable_snat: r.enable_snat === 1, external_fixed_ips: gwIps.get(r.gw_port_id ?? '') ?? [] }
      : null,
    routes: JSON.parse(r.routes) as RouterRoute[],
    distributed: r.distributed === 1,
    ha: r.ha === 1,
    availability_zone_hints: JSON.parse(r.availability_zone_hints) as string[],
    availability_zones: zones.get(r.id) ?? [],
    flavor_id: null,
    tags: tags.get(r.id) ?? [],
    revision_number: Number(r.revision_number),
    created_at: r.created_at,
    updated_at: r.updated_at,
    // The host carrying the gateway (SNAT), for admins, as Neutron's l3-agent-list-hosting-router shows it.
    ...(showGatewayHost && r.gw_network_id ? { 'alcor:gateway_host': r.gateway_host === '' ? null : r.gateway_host } : {}),
  }));
}
