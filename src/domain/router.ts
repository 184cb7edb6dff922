/** Routers as the API shows them, their inputs, and validation of extra routes. Pure. */
import { InvalidRoutes } from './errors.js';
import { formatCidr, formatIp, parseCidr, parseIp } from './ip.js';

/** One static route. */
export interface RouterRoute {
  destination: string;
  nexthop: string;
}

/** A fixed IP of the gateway port. */
export interface ExternalFixedIp {
  subnet_id: string;
  ip_address: string;
}

/** `external_gateway_info` as shown. */
export interface ExternalGatewayInfo {
  network_id: string;
  enable_snat: boolean;
  external_fixed_ips: ExternalFixedIp[];
}

/** A Neutron router. */
export interface Router {
  id: string;
  name: string;
  description: string;
  project_id: string;
  tenant_id: string;
  admin_state_up: boolean;
  status: string;
  external_gateway_info: ExternalGatewayInfo | null;
  routes: RouterRoute[];
  distributed: boolean;
  ha: boolean;
  availability_zone_hints: string[];
  availability_zones: string[];
  flavor_id: null;
  tags: string[];
  revision_number: number;
  created_at: string;
  updated_at: string;
  /** Admins only, with a gateway: the host the controller chose to carry it (null: no candidate host). */
  'alcor:gateway_host'?: string | null;
}

/** `external_gateway_info` as given. */
export interface ExternalGatewayRequest {
  network_id?: string;
  enable_snat?: boolean;
  external_fixed_ips?: { subnet_id?: string; ip_address?: string }[];
}

/** Body of POST /routers. */
export interface RouterCreate {
  name?: string;
  description?: string;
  project_id?: string;
  tenant_id?: string;
  admin_state_up?: boolean;
  external_gateway_info?: ExternalGatewayRequest | null;
  distributed?: boolean;
  ha?: boolean;
  availability_zone_hints?: string[];
  tags?: string[];
}

/** Body of PUT /routers/{id}. */
export interface RouterUpdate {
  name?: string;
  description?: string;
  admin_state_up?: boolean;
  external_gateway_info?: ExternalGatewayRequest | null;
  distributed?: boolean;
  ha?: boolean;
  /** null clears every extra route. */
  routes?: RouterRoute[] | null;
}

/** Body of add/remove_router_interface. */
export interface RouterInterfaceRequest {
  subnet_id?: string;
  port_id?: string;
}

/** Answer of add/remove_router_interface. */
export interface RouterInterfaceInfo {
  id: string;
  tenant_id: string;
  project_id: string;
  subnet_id: string;
  subnet_ids: string[];
  port_id: string;
  network_id: string;
  tags: string[];
}

/** Normalises routes (canonical CIDR and address text, duplicates dropped); throws InvalidRoutes on bad values. */
export function normalizeRoutes(routes: readonly RouterRoute[]): RouterRoute[] {
  const out = new Map<string, RouterRoute>();
  for (const route of routes) {
    const destination = parseCidr(route.destination, false);
    const nexthop = parseIp(route.nexthop);
    if (typeof destination === 'string') throw new InvalidRoutes(`Invalid format for routes: destination ${route.destination} is not a CIDR`);
    if (!nexthop) throw new InvalidRoutes(`Invalid format for routes: nexthop ${route.nexthop} is not an IP address`);
    if (destination.version !== nexthop.version) {
      throw new InvalidRoutes(`Invalid format for routes: destination ${route.destination} and nexthop ${route.nexthop} are of different IP versions`);
    }
    const normalized = { destination: formatCidr(destination), nexthop: formatIp(nexthop) };
    out.set(`${normalized.destination}|${normalized.nexthop}`, normalized);
  }
  return [...out.values()];
}
