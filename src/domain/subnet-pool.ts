/**
 * Subnet pools (Neutron's subnet_allocation): a set of prefixes of one IP version that subnets are carved
 * from, with prefix-length bounds and an optional per-project share (`default_quota`). Pure: prefix
 * normalisation and merging, bound checks, quota units and the search for a free prefix.
 */
import { EmptySubnetPoolPrefixList, IllegalSubnetPoolPrefixBounds, InvalidInput, PrefixVersionMismatch } from './errors.js';
import { addressBits, cidrsOverlap, formatCidr, lastAddress, parseCidr, type Cidr, type IpVersion } from './ip.js';

/** A Neutron subnet pool. */
export interface SubnetPool {
  id: string;
  name: string;
  description: string;
  project_id: string;
  tenant_id: string;
  ip_version: IpVersion;
  prefixes: string[];
  default_prefixlen: number;
  min_prefixlen: number;
  max_prefixlen: number;
  default_quota: number | null;
  address_scope_id: string | null;
  shared: boolean;
  is_default: boolean;
  tags: string[];
  revision_number: number;
  created_at: string;
  updated_at: string;
}

/** Body of POST /subnetpools after schema validation. */
export interface SubnetPoolCreate {
  name: string;
  prefixes: string[];
  description?: string;
  project_id?: string;
  tenant_id?: string;
  /** Prefix lengths and the quota are numbers or their decimal text (as the openstack CLI sends them). */
  default_prefixlen?: number | string;
  min_prefixlen?: number | string;
  max_prefixlen?: number | string;
  default_quota?: number | string | null;
  address_scope_id?: string | null;
  shared?: boolean;
  is_default?: boolean;
  tags?: string[];
}

/** Body of PUT /subnetpools/{id}: everything but the owner and `shared` (Neutron does not unshare pools). */
export type SubnetPoolUpdate = Partial<Omit<SubnetPoolCreate, 'project_id' | 'tenant_id' | 'shared' | 'tags'>>;

/** Prefix-length bounds of a pool. */
export interface PrefixBounds {
  min: number;
  max: number;
  default: number;
}

/**
 * Neutron's defaults per family: the smallest minimum prefix length, and the unit `default_quota` counts
 * in (IPv4: addresses, IPv6: /64 networks).
 */
const FAMILY: Record<IpVersion, { defaultMin: number; quotaUnitBits: number }> = {
  4: { defaultMin: 8, quotaUnitBits: 32 },
  6: { defaultMin: 64, quotaUnitBits: 64 },
};

function compareCidrs(a: Cidr, b: Cidr): number {
  if (a.network !== b.network) return a.network < b.network ? -1 : 1;
  return a.prefixLength - b.prefixLength;
}

/**
 * Merges prefixes into the fewest equivalent CIDRs: contained prefixes disappear and two halves of a
 * larger prefix become that prefix (as Neutron compacts a pool's prefix list).
 */
export function mergeCidrs(cidrs: readonly Cidr[]): Cidr[] {
  let out = [...cidrs].sort(compareCidrs);
  for (let changed = true; changed; ) {
    changed = false;
    const next: Cidr[] = [];
    for (const c of out) {
      const prev = next[next.length - 1];
      if (prev && c.network >= prev.network && lastAddress(c) <= lastAddress(prev)) {
        changed = true;
      } else if (prev && isLowerHalfOf(prev, c)) {
        next[next.length - 1] = { version: c.version, network: prev.network, prefixLength: prev.prefixLength - 1 };
        changed = true;
      } else {
        next.push(c);
      }
    }
    out = next;
  }
  return out;
}

/** True when `low` and `high` are the two halves of one prefix, `low` first. */
function isLowerHalfOf(low: Cidr, high: Cidr): boolean {
  if (low.prefixLength !== high.prefixLength || low.prefixLength === 0 || lastAddress(low) + 1n !== high.network) return false;
  const parent = BigInt(addressBits(low.version) - (low.prefixLength - 1));
  return (low.network >> parent) << parent === low.network;
}

/** Parses a pool's prefixes (host bits are dropped, as Neutron does): one IP version, merged. */
export function parsePoolPrefixes(texts: readonly string[], expected?: IpVersion): { version: IpVersion; cidrs: Cidr[] } {
  if (texts.length === 0) throw new EmptySubnetPoolPrefixList('Empty subnet pool prefix list.');
  const cidrs = texts.map((text) => {
    const cidr = parseCidr(text, false);
    if (typeof cidr === 'string') throw new InvalidInput(`Invalid input for prefixes: '${text}' is not a valid IP prefix`);
    return cidr;
  });
  const version = expected ?? (cidrs[0] as Cidr).version;
  const stranger = cidrs.find((c) => c.version !== version);
  if (stranger) throw new PrefixVersionMismatch(`Cannot mix IPv4 and IPv6 prefixes in a subnet pool: ${formatCidr(stranger)} is not an IPv${version} prefix.`);
  return { version, cidrs: mergeCidrs(cidrs) };
}

/** Validates prefix-length bounds: 0 <= min <= default <= max <= address bits (Neutron's defaults fill gaps). */
export function prefixBounds(version: IpVersion, given: Partial<PrefixBounds>, current?: PrefixBounds): PrefixBounds {
  const bits = addressBits(version);
  const min = given.min ?? current?.min ?? FAMILY[version].defaultMin;
  const max = given.max ?? current?.max ?? bits;
  const defaultLength = given.default ?? current?.default ?? min;
  for (const [name, value] of [['min_prefixlen', min], ['max_prefixlen', max], ['default_prefixlen', defaultLength]] as const) {
    if (value < 0 || value > bits) throw new IllegalSubnetPoolPrefixBounds(`Illegal prefix bounds: ${name}=${value} is outside 0..${bits} for IPv${version}`);
  }
  if (min > max) throw new IllegalSubnetPoolPrefixBounds(`Illegal prefix bounds: min_prefixlen=${min} is greater than max_prefixlen=${max}`);
  if (defaultLength < min || defaultLength > max) {
    throw new IllegalSubnetPoolPrefixBounds(`Illegal prefix bounds: default_prefixlen=${defaultLength} is outside min_prefixlen=${min}..max_prefixlen=${max}`);
  }
  return { min, max, default: defaultLength };
}

/** The bounds a create or update asks for, as numbers. */
export function requestedBounds(body: Pick<SubnetPoolCreate, 'min_prefixlen' | 'max_prefixlen' | 'default_prefixlen'>): Partial<PrefixBounds> {
  const int = (value: number | string | undefined) => (value === undefined ? undefined : Number(value));
  return { min: int(body.min_prefixlen), max: int(body.max_prefixlen), default: int(body.default_prefixlen) };
}

/** How much of a project's `default_quota` one subnet of this prefix length uses (IPv4: addresses, IPv6: /64s). */
export function quotaUnits(version: IpVersion, prefixLength: number): bigint {
  const shift = FAMILY[version].quotaUnitBits - prefixLength;
  return shift <= 0 ? 1n : 1n << BigInt(shift);
}

/** True when the CIDR lies wholly inside one of the prefixes. */
export function cidrWithin(cidr: Cidr, prefixes: readonly Cidr[]): boolean {
  return prefixes.some((p) => p.version === cidr.version && p.prefixLength <= cidr.prefixLength && cidr.network >= p.network && lastAddress(cidr) <= lastAddress(p));
}

/**
 * The lowest prefix of `prefixLength` inside the pool's prefixes that overlaps none of `used`, or
 * undefined. Steps over each used block at once, so it costs O(prefixes × used), not O(addresses).
 */
export function findFreePrefix(prefixes: readonly Cidr[], used: readonly Cidr[], prefixLength: number): Cidr | undefined {
  const sortedUsed = [...used].sort(compareCidrs);
  for (const prefix of [...prefixes].sort(compareCidrs)) {
    if (prefix.prefixLength > prefixLength) continue;
    const size = 1n << BigInt(addressBits(prefix.version) - prefixLength);
    const end = lastAddress(prefix);
    let candidate = prefix.network;
    while (candidate + size - 1n <= end) {
      const block: Cidr = { version: prefix.version, network: candidate, prefixLength };
      const blocking = sortedUsed.find((u) => cidrsOverlap(u, block));
      if (!blocking) return block;
      const after = lastAddress(blocking) + 1n;
      candidate = ((after + size - 1n) / size) * size;
    }
  }
  return undefined;
}

/** The parts of `prefix` outside `removed`: whole, nothing, or the halves around it down to its size. */
export function subtractCidr(prefix: Cidr, removed: Cidr): Cidr[] {
  if (!cidrsOverlap(prefix, removed)) return [prefix];
  if (removed.prefixLength <= prefix.prefixLength) return [];
  const halfLength = prefix.prefixLength + 1;
  const low: Cidr = { version: prefix.version, network: prefix.network, prefixLength: halfLength };
  const high: Cidr = { version: prefix.version, network: lastAddress(low) + 1n, prefixLength: halfLength };
  return [...subtractCidr(low, removed), ...subtractCidr(high, removed)];
}
