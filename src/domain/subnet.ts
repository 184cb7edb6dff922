/**
 * The subnet resource and its pure validation: CIDR normalisation, gateway and allocation-pool
 * defaults and checks, DNS servers, host routes and IPv6 modes, following Neutron's rules.
 */
import { InvalidInput } from './errors.js';
import {
  cidrContains,
  formatCidr,
  formatIp,
  lastAddress,
  parseCidr,
  parseIp,
  rangesOverlap,
  type Cidr,
  type IpRange,
  type IpVersion,
} from './ip.js';

/** IPv6 address and router-advertisement modes. */
export type Ipv6Mode = 'slaac' | 'dhcpv6-stateful' | 'dhcpv6-stateless';

/** An allocation pool on the wire. */
export interface AllocationPool {
  start: string;
  end: string;
}

/** A host route on the wire. */
export interface HostRoute {
  destination: string;
  nexthop: string;
}

/** A Neutron subnet. */
export interface Subnet {
  id: string;
  name: string;
  description: string;
  project_id: string;
  tenant_id: string;
  network_id: string;
  ip_version: IpVersion;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: boolean;
  ipv6_ra_mode: Ipv6Mode | null;
  ipv6_address_mode: Ipv6Mode | null;
  allocation_pools: AllocationPool[];
  dns_nameservers: string[];
  host_routes: HostRoute[];
  subnetpool_id: string | null;
  service_types: string[];
  tags: string[];
  revision_number: number;
  created_at: string;
  updated_at: string;
}

/** Body of POST /subnets after schema validation. */
export interface SubnetCreate {
  network_id: string;
  /** Optional with a subnet pool (subnet-allocation.ts); required without one. */
  cidr?: string;
  ip_version: number;
  subnetpool_id?: string | null;
  /** A number, or its decimal text as some clients send it. */
  prefixlen?: number | string;
  use_default_subnetpool?: boolean;
  name?: string;
  description?: string;
  project_id?: string;
  tenant_id?: string;
  gateway_ip?: string | null;
  enable_dhcp?: boolean;
  ipv6_ra_mode?: Ipv6Mode | null;
  ipv6_address_mode?: Ipv6Mode | null;
  allocation_pools?: AllocationPool[];
  dns_nameservers?: string[];
  host_routes?: HostRoute[];
  tags?: string[];
}

/** Body of PUT /subnets/{id}. */
export type SubnetUpdate = Pick<
  SubnetCreate,
  'name' | 'description' | 'gateway_ip' | 'enable_dhcp' | 'allocation_pools' | 'dns_nameservers' | 'host_routes'
>;

/** The layout fields of a subnet, validated and normalised. */
export interface SubnetLayout {
  cidr: Cidr;
  gatewayIp: string | null;
  pools: IpRange[];
  dnsNameservers: string[];
  hostRoutes: HostRoute[];
}

/** Neutron's default limit on DNS servers and host routes per subnet. */
export const MAX_DNS_NAMESERVERS = 5;
export const MAX_HOST_ROUTES = 20;

/** Parses and normalises a subnet CIDR; host bits set or a family mismatch is a 400. */
export function parseSubnetCidr(text: string, ipVersion: number): Cidr {
  const cidr = parseCidr(text, true);
  if (cidr === 'syntax') throw new InvalidInput(`Invalid input for cidr: '${text}' is not a valid IP subnet`);
  if (cidr === 'host-bits') {
    const loose = parseCidr(text, false) as Cidr;
    throw new InvalidInput(`Invalid input for cidr: '${text}' has host bits set; did you mean ${formatCidr(loose)}?`);
  }
  if (cidr.version !== ipVersion) {
    throw new InvalidInput(`Invalid input for cidr: '${text}' is not an IPv${ipVersion} subnet (ip_version is ${ipVersion})`);
  }
  if (cidr.version === 4 && cidr.prefixLength > 30) throw new InvalidInput(`Invalid input for cidr: IPv4 prefix /${cidr.prefixLength} leaves no usable addresses`);
  if (cidr.version === 6 && cidr.prefixLength > 126) throw new InvalidInput(`Invalid input for cidr: IPv6 prefix /${cidr.prefixLength} is too small`);
  return cidr;
}

/** First and last address a pool may use (IPv4 excludes network and broadcast addresses). */
function usableRange(cidr: Cidr): IpRange {
  const last = lastAddress(cidr);
  return cidr.version === 4 ? { start: cidr.network + 1n, end: last - 1n } : { start: cidr.network + 1n, end: last };
}

function parseAddressIn(text: string, cidr: Cidr, field: string): bigint {
  const addr = parseIp(text);
  if (!addr || addr.version !== cidr.version) throw new InvalidInput(`Invalid input for ${field}: '${text}' is not an IPv${cidr.version} address`);
  if (!cidrContains(cidr, addr)) throw new InvalidInput(`Invalid input for ${field}: ${text} is not inside ${formatCidr(cidr)}`);
  return addr.value;
}

/** The default gateway: the first host address (IPv4) or the subnet-router anycast address (IPv6), as Neutron. */
function defaultGateway(cidr: Cidr): bigint {
  return cidr.version === 4 ? cidr.network + 1n : cidr.network;
}

/** Validates a gateway: inside the subnet and not its network or broadcast address (IPv4). */
export function validateGateway(text: string, cidr: Cidr): bigint {
  const value = parseAddressIn(text, cidr, 'gateway_ip');
  if (cidr.version === 4 && (value === cidr.network || value === lastAddress(cidr))) {
    throw new InvalidInput(`Invalid input for gateway_ip: ${text} is the network or broadcast address of ${formatCidr(cidr)}`);
  }
  return value;
}

/** The usable range minus the gateway, as Neutron builds default pools. */
function defaultPools(cidr: Cidr, gateway: bigint | null): IpRange[] {
  const range = usableRange(cidr);
  if (gateway === null || gateway < range.start || gateway > range.end) return [range];
  const pools: IpRange[] = [];
  if (gateway > range.start) pools.push({ start: range.start, end: gateway - 1n });
  if (gateway < range.end) pools.push({ start: gateway + 1n, end: range.end });
  return pools;
}

/** Validates explicit pools: inside the subnet, start <= end, no overlap with each other or the gateway. */
export function validatePools(pools: AllocationPool[], cidr: Cidr, gateway: bigint | null): IpRange[] {
  const ranges = pools.map((p) => {
    const start = parseAddressIn(p.start, cidr, 'allocation_pools');
    const end = parseAddressIn(p.end, cidr, 'allocation_pools');
    if (start > end) throw new InvalidInput(`Invalid input for allocation_pools: start ${p.start} is after end ${p.end}`);
    const usable = usableRange(cidr);
    if (start < usable.start || end > usable.end) {
      throw new InvalidInput(`Invalid input for allocation_pools: ${p.start}-${p.end} includes the network or broadcast address`);
    }
    if (gateway !== null && gateway >= start && gateway <= end) {
      throw new InvalidInput(`Gateway ip ${formatIp({ version: cidr.version, value: gateway })} conflicts with allocation pool ${p.start}-${p.end}`);
    }
    return { start, end };
  });
  ranges.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (let i = 1; i < ranges.length; i++) {
    const prev = ranges[i - 1] as IpRange;
    const cur = ranges[i] as IpRange;
    if (rangesOverlap(prev, cur)) throw new InvalidInput('Invalid input for allocation_pools: pools overlap');
  }
  return ranges;
}

/** Validates DNS servers: addresses, no duplicates, at most MAX_DNS_NAMESERVERS; order is kept. */
export function validateDnsNameservers(servers: string[]): string[] {
  if (servers.length > MAX_DNS_NAMESERVERS) throw new InvalidInput(`Too many dns_nameservers: ${servers.length} > ${MAX_DNS_NAMESERVERS}`);
  const normalised = servers.map((s) => {
    const addr = parseIp(s);
    if (!addr) throw new InvalidInput(`Invalid input for dns_nameservers: '${s}' is not an IP address`);
    return formatIp(addr);
  });
  if (new Set(normalised).size !== normalised.length) throw new InvalidInput('Invalid input for dns_nameservers: duplicate address');
  return normalised;
}

/** Validates host routes: destination a CIDR of the subnet's family, nexthop an address of that family. */
export function validateHostRoutes(routes: HostRoute[], version: IpVersion): HostRoute[] {
  if (routes.length > MAX_HOST_ROUTES) throw new InvalidInput(`Too many host_routes: ${routes.length} > ${MAX_HOST_ROUTES}`);
  const out = routes.map((r) => {
    const dest = parseCidr(r.destination, true);
    const hop = parseIp(r.nexthop);
    if (typeof dest === 'string' || dest.version !== version) {
      throw new InvalidInput(`Invalid input for host_routes: destination '${r.destination}' is not an IPv${version} CIDR`);
    }
    if (!hop || hop.version !== version) throw new InvalidInput(`Invalid input for host_routes: nexthop '${r.nexthop}' is not an IPv${version} address`);
    return { destination: formatCidr(dest), nexthop: formatIp(hop) };
  });
  if (new Set(out.map((r) => `${r.destination}>${r.nexthop}`)).size !== out.length) {
    throw new InvalidInput('Invalid input for host_routes: duplicate route');
  }
  return out;
}

/**
 * Validates IPv6 modes as Neutron does: IPv6 only, equal when both are set, and not with DHCP disabled
 * (the modes say how the subnet's RA and DHCPv6 are served).
 */
export function validateIpv6Modes(
  version: IpVersion,
  ra: Ipv6Mode | null | undefined,
  address: Ipv6Mode | null | undefined,
  enableDhcp = true,
): void {
  if (version === 4 && ra) throw new InvalidInput('Invalid input for operation: ipv6_ra_mode is not valid when ip_version is 4.');
  if (version === 4 && address) throw new InvalidInput('Invalid input for operation: ipv6_address_mode is not valid when ip_version is 4.');
  if (ra && address && ra !== address) {
    throw new InvalidInput(
      `Invalid input for operation: ipv6_ra_mode set to '${ra}' with ipv6_address_mode set to '${address}' is not valid. ` +
        'If both attributes are set, they must be the same value.',
    );
  }
  if ((ra || address) && !enableDhcp) {
    throw new InvalidInput('Invalid input for operation: ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False.');
  }
}

/** SLAAC and stateless DHCPv6 addresses are EUI-64: Neutron requires a /64 prefix for them. */
export function validateEui64Prefix(cidr: Cidr, ra: Ipv6Mode | null | undefined, address: Ipv6Mode | null | undefined): void {
  if (cidr.version !== 6 || cidr.prefixLength === 64) return;
  if (isAutoAddressSubnet(ra ?? null) || isAutoAddressSubnet(address ?? null)) {
    throw new InvalidInput(
      `Invalid input for operation: Invalid CIDR ${formatCidr(cidr)} for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64.`,
    );
  }
}

/** The full layout of a new subnet from its create body. */
export function subnetLayout(body: SubnetCreate & { cidr: string }): SubnetLayout {
  const cidr = parseSubnetCidr(body.cidr, body.ip_version);
  let gateway: bigint | null;
  if (body.gateway_ip === null) gateway = null;
  else if (body.gateway_ip === undefined) gateway = defaultGateway(cidr);
  else gateway = validateGateway(body.gateway_ip, cidr);
  const pools = body.allocation_pools ? validatePools(body.allocation_pools, cidr, gateway) : defaultPools(cidr, gateway);
  return {
    cidr,
    gatewayIp: gateway === null ? null : formatIp({ version: cidr.version, value: gateway }),
    pools,
    dnsNameservers: validateDnsNameservers(body.dns_nameservers ?? []),
    hostRoutes: validateHostRoutes(body.host_routes ?? [], cidr.version),
  };
}

/** Pools as wire objects. */
export function formatPools(version: IpVersion, pools: IpRange[]): AllocationPool[] {
  return pools.map((p) => ({ start: formatIp({ version, value: p.start }), end: formatIp({ version, value: p.end }) }));
}

/** Wire pools back to ranges (stored pools are already valid). */
export function parsePools(pools: AllocationPool[]): IpRange[] {
  return pools.map((p) => ({ start: parseIp(p.start)?.value ?? 0n, end: parseIp(p.end)?.value ?? 0n }));
}

/** True when ports get addresses on this subnet without asking (SLAAC / stateless DHCPv6): EUI-64 of the MAC. */
export function isAutoAddressSubnet(mode: Ipv6Mode | null): boolean {
  return mode === 'slaac' || mode === 'dhcpv6-stateless';
}

/** The EUI-64 address of a MAC inside an IPv6 /64 prefix. */
export function eui64Address(cidr: Cidr, mac: string): bigint {
  const octets = mac.split(':').map((o) => parseInt(o, 16));
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0] = octets;
  const iid = [a ^ 0x02, b, c, 0xff, 0xfe, d, e, f].reduce((acc, o) => (acc << 8n) | BigInt(o), 0n);
  return cidr.network | iid;
}
