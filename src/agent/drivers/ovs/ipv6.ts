/**
 * IPv6 address helpers of the driver: parsing to bytes, canonical text (RFC 5952), EUI-64 link-local
 * addresses of MACs, prefix membership. Pure functions.
 */
import { isIPv6 } from 'node:net';

/** True for an IPv6 address (optionally with /len). */
export function isIpv6(address: string): boolean {
  const [ip = '', len] = address.split('/');
  return isIPv6(ip) && !ip.includes('%') && (len === undefined || (/^\d{1,3}$/.test(len) && Number(len) <= 128));
}

/** IPv6 text (no prefix length) as 16 bytes. */
export function ipv6ToBytes(text: string): Buffer {
  const out = Buffer.alloc(16);
  let s = text;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    s = s.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const all = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16) || 0, i * 2));
  return out;
}

/** 16 bytes as canonical IPv6 text (RFC 5952: lower case, the longest run of zero groups as `::`). */
export function ipv6FromBytes(bytes: Buffer, offset = 0): string {
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(offset + i * 2).toString(16));
  // The URL standard serializes IPv6 hosts exactly so.
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

/** Canonical text of an IPv6 address (so flows and comparisons use one spelling). */
export function canonicalIpv6(text: string): string {
  return ipv6FromBytes(ipv6ToBytes(text));
}

/** The EUI-64 link-local address (fe80::/64) of a MAC. */
export function linkLocal(mac: string): string {
  const m = mac.split(':').map((h) => parseInt(h, 16));
  const b = Buffer.alloc(16);
  b[0] = 0xfe;
  b[1] = 0x80;
  Buffer.from([(m[0] ?? 0) ^ 0x02, m[1] ?? 0, m[2] ?? 0, 0xff, 0xfe, m[3] ?? 0, m[4] ?? 0, m[5] ?? 0]).copy(b, 8);
  return ipv6FromBytes(b);
}

/** True when IPv6 `ip` lies in IPv6 `cidr` (`prefix/len`). */
export function ipv6InCidr(ip: string, cidr: string): boolean {
  const [base = '', len = '128'] = cidr.split('/');
  const a = ipv6ToBytes(ip);
  const b = ipv6ToBytes(base);
  let bits = Number(len);
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((a[i] ?? 0) & mask) !== ((b[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** The solicited-node multicast MAC / all-nodes MAC of an IPv6 multicast destination. */
export function multicastMac(ip: Buffer): string {
  return ['33', '33', ...[...ip.subarray(12, 16)].map((x) => x.toString(16).padStart(2, '0'))].join(':');
}
