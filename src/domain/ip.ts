/**
 * IPv4/IPv6 address and CIDR arithmetic on bigints, so that one code path serves both families
 * (a /64 has 2^64 addresses: numbers beyond Number.MAX_SAFE_INTEGER are normal here).
 * Pure: no I/O.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** 4 or 6, as in Neutron's `ip_version`. */
export type IpVersion = 4 | 6;

/** An address as a family plus its numeric value. */
export interface IpAddress {
  version: IpVersion;
  value: bigint;
}

/** A network prefix: the first address (host bits zero) and the prefix length. */
export interface Cidr {
  version: IpVersion;
  network: bigint;
  prefixLength: number;
}

const BITS: Record<IpVersion, number> = { 4: 32, 6: 128 };

/** Number of bits in an address of this family. */
export function addressBits(version: IpVersion): number {
  return BITS[version];
}

/** Parses a textual IPv4 or IPv6 address; returns undefined when it is not one. */
export function parseIp(text: string): IpAddress | undefined {
  if (isIPv4(text)) {
    const parts = text.split('.').map(Number);
    // node:net accepts only dotted-quad decimal here, so four parts are guaranteed.
    const value = parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
    return { version: 4, value };
  }
  if (isIPv6(text) && !text.includes('%')) return { version: 6, value: parseIPv6(text) };
  return undefined;
}

function parseIPv6(text: string): bigint {
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups, so one parser serves both forms.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  let head = text;
  if (tail.includes('.')) {
    const v4 = parseIp(tail)?.value ?? 0n;
    head = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [left = '', right] = head.split('::');
  const leftGroups = left === '' ? [] : left.split(':');
  const rightGroups = right === undefined || right === '' ? [] : right.split(':');
  const zeros = 8 - leftGroups.length - rightGroups.length;
  const groups = [...leftGroups, ...Array<string>(right === undefined ? 0 : zeros).fill('0'), ...rightGroups];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** Formats an address canonically (IPv6 per RFC 5952: lower case, longest zero run compressed). */
export function formatIp(addr: IpAddress): string {
  if (addr.version === 4) {
    const v = addr.value;
    return [24n, 16n, 8n, 0n].map((s) => ((v >> s) & 255n).toString()).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((addr.value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLen).join(':');
  return `${left}::${right}`;
}

/** Canonical text of an address, or undefined when the text is not an address. */
export function normalizeIp(text: string): string | undefined {
  const addr = parseIp(text);
  return addr ? formatIp(addr) : undefined;
}

/** Why a CIDR string was rejected, for error messages. */
export type CidrProblem = 'syntax' | 'host-bits';

/** Parses `a.b.c.d/n` or `x::/n`. With `strict`, host bits set is a problem (Neutron rejects 10.0.0.1/24 for subnets). */
export function parseCidr(text: string, strict: boolean): Cidr | CidrProblem {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const addr = parseIp(addrText);
  if (!addr) return 'syntax';
  const bits = BITS[addr.version];
  let prefixLength = bits;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return 'syntax';
    prefixLength = Number(p);
    if (prefixLength > bits) return 'syntax';
  }
  const mask = prefixMask(addr.version, prefixLength);
  const network = addr.value & mask;
  if (strict && network !== addr.value) return 'host-bits';
  return { version: addr.version, network, prefixLength };
}

/** Canonical `network/prefix` text. */
export function formatCidr(cidr: Cidr): string {
  return `${formatIp({ version: cidr.version, value: cidr.network })}/${cidr.prefixLength}`;
}

/** The netmask of a prefix length as a number. */
export function prefixMask(version: IpVersion, prefixLength: number): bigint {
  const bits = BigInt(BITS[version]);
  const all = (1n << bits) - 1n;
  return (all << (bits - BigInt(prefixLength))) & all;
}

/** The last address of a prefix (the broadcast address for IPv4). */
export function lastAddress(cidr: Cidr): bigint {
  const hostBits = BigInt(BITS[cidr.version] - cidr.prefixLength);
  return cidr.network | ((1n << hostBits) - 1n);
}

/** Number of addresses in a prefix. */
export function cidrSize(cidr: Cidr): bigint {
  return 1n << BigInt(BITS[cidr.version] - cidr.prefixLength);
}

/** True when the address lies inside the prefix. */
export function cidrContains(cidr: Cidr, addr: IpAddress): boolean {
  return addr.version === cidr.version && addr.value >= cidr.network && addr.value <= lastAddress(cidr);
}

/** True when two prefixes share at least one address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.network <= lastAddress(b) && b.network <= lastAddress(a);
}

/** An inclusive address range, as in an allocation pool. */
export interface IpRange {
  start: bigint;
  end: bigint;
}

/** True when two inclusive ranges share an address. */
export function rangesOverlap(a: IpRange, b: IpRange): boolean {
  return a.start <= b.end && b.start <= a.end;
}
