/** The port resource and its pure validation (MACs, allowed address pairs, extra DHCP options). Pure. */
import { BadRequest, DuplicateAddressPairInRequest, InvalidInput } from './errors.js';
import { formatCidr, formatIp, parseCidr, parseIp } from './ip.js';

/** One fixed IP on the wire. */
export interface FixedIp {
  subnet_id: string;
  ip_address: string;
}

/** A requested fixed IP: subnet only, address only, or both. */
export interface FixedIpRequest {
  subnet_id?: string;
  ip_address?: string;
}

/** An allowed address pair (address or CIDR, MAC defaults to the port's). */
export interface AddressPair {
  ip_address: string;
  mac_address: string;
}

/** An extra DHCP option. */
export interface ExtraDhcpOpt {
  opt_name: string;
  opt_value: string;
  ip_version: 4 | 6;
}

/** A Neutron port. */
export interface Port {
  id: string;
  name: string;
  description: string;
  project_id: string;
  tenant_id: string;
  network_id: string;
  mac_address: string;
  admin_state_up: boolean;
  status: string;
  device_id: string;
  device_owner: string;
  fixed_ips: FixedIp[];
  allowed_address_pairs: AddressPair[];
  extra_dhcp_opts: ExtraDhcpOpt[];
  security_groups: string[];
  port_security_enabled: boolean;
  'binding:host_id': string;
  'binding:vnic_type': string;
  'binding:vif_type': string;
  'binding:profile': Record<string, unknown>;
  'binding:vif_details': Record<string, unknown>;
  tags: string[];
  revision_number: number;
  created_at: string;
  updated_at: string;
}

/** Body of POST /ports after schema validation. */
export interface PortCreate {
  network_id: string;
  name?: string;
  description?: string;
  project_id?: string;
  tenant_id?: string;
  mac_address?: string;
  admin_state_up?: boolean;
  device_id?: string;
  device_owner?: string;
  fixed_ips?: FixedIpRequest[];
  allowed_address_pairs?: { ip_address: string; mac_address?: string }[];
  extra_dhcp_opts?: { opt_name: string; opt_value: string; ip_version?: number }[];
  security_groups?: string[];
  port_security_enabled?: boolean;
  'binding:host_id'?: string;
  'binding:vnic_type'?: string;
  'binding:profile'?: Record<string, unknown>;
  tags?: string[];
}

/** Body of PUT /ports/{id}. */
export type PortUpdate = Omit<PortCreate, 'network_id' | 'project_id' | 'tenant_id' | 'tags' | 'mac_address'> & {
  /** null asks for a freshly generated MAC (port-mac-address-regenerate). */
  mac_address?: string | null;
};

/** Device owners whose ports belong to routers and floating IPs (not deletable through the port API). */
export const SERVICE_DEVICE_OWNERS = ['network:router_interface', 'network:router_gateway', 'network:floatingip'];

/** Device owners of router ports, whose addresses change only through the router API. */
export const ROUTER_DEVICE_OWNERS = ['network:router_interface', 'network:router_gateway'];

/** Attributes only admins may set on ports (Neutron's binding policy). */
export const ADMIN_ONLY_PORT_ATTRIBUTES = ['binding:host_id', 'binding:profile'];

/** Normalises a MAC to lower-case colon form; rejects multicast, broadcast and zero MACs. */
export function normalizeMac(text: string): string {
  const compact = text.toLowerCase().replace(/[-:]/g, '');
  if (!/^[0-9a-f]{12}$/.test(compact) || !/^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i.test(text)) {
    throw new BadRequest(`Invalid input for mac_address: '${text}' is not a valid MAC address`);
  }
  const mac = compact.match(/../g)?.join(':') ?? '';
  const first = parseInt(compact.slice(0, 2), 16);
  if (first & 1 || mac === '00:00:00:00:00:00') {
    throw new BadRequest(`Invalid input for mac_address: '${text}' is not a valid unicast MAC address`);
  }
  return mac;
}

/** Validates allowed address pairs: address or CIDR (normalised), MAC defaulting to the port's, no duplicates. */
export function normalizeAddressPairs(pairs: { ip_address: string; mac_address?: string }[], portMac: string): AddressPair[] {
  const out = pairs.map((p) => {
    const ip = p.ip_address.includes('/') ? parseCidr(p.ip_address, false) : parseIp(p.ip_address);
    if (ip === undefined || typeof ip === 'string') {
      throw new InvalidInput(`Invalid input for allowed_address_pairs: '${p.ip_address}' is not an IP address or CIDR`);
    }
    const text = 'prefixLength' in ip ? formatCidr(ip) : formatIp(ip);
    return { ip_address: text, mac_address: p.mac_address === undefined ? portMac : normalizeMac(p.mac_address) };
  });
  const keys = out.map((p) => `${p.ip_address}|${p.mac_address}`);
  if (new Set(keys).size !== keys.length) throw new DuplicateAddressPairInRequest('Request contains duplicate address pair');
  return out;
}

/** Validates extra DHCP options (ip_version defaults to 4, as Neutron stores it). */
export function normalizeExtraDhcpOpts(opts: { opt_name: string; opt_value: string; ip_version?: number }[]): ExtraDhcpOpt[] {
  const out = opts.map((o) => {
    const version = o.ip_version ?? 4;
    if (version !== 4 && version !== 6) throw new InvalidInput(`Invalid input for extra_dhcp_opts: ip_version ${version} must be 4 or 6`);
    if (o.opt_name.trim() === '') throw new InvalidInput('Invalid input for extra_dhcp_opts: opt_name is empty');
    return { opt_name: o.opt_name, opt_value: o.opt_value, ip_version: version as 4 | 6 };
  });
  const keys = out.map((o) => `${o.opt_name}|${o.ip_version}`);
  if (new Set(keys).size !== keys.length) throw new InvalidInput('Invalid input for extra_dhcp_opts: duplicate option');
  return out;
}
