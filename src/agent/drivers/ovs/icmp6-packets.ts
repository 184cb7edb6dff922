/**
 * Ethernet / IPv6 framing for the agent's IPv6 answers — neighbor advertisements, router advertisements
 * and DHCPv6 replies: parse what a VM sent, build frames with valid upper-layer checksums. Pure functions.
 */
import { internetChecksum, l3Offset, macBytes, macString } from './frames.js';
import { ipv6FromBytes, ipv6ToBytes, multicastMac } from './ipv6.js';

/** An IPv6 packet inside an Ethernet frame (no extension headers). */
export interface Ipv6Frame {
  srcMac: string;
  dstMac: string;
  src: string;
  dst: string;
  nextHeader: number;
  hopLimit: number;
  /** The upper-layer message (ICMPv6 message or UDP datagram). */
  payload: Buffer;
}

export const ICMP6 = 58;
export const UDP = 17;

/** Parses an untagged (or single-VLAN-tagged) Ethernet/IPv6 frame; undefined for anything else. */
export function parseIpv6Frame(frame: Buffer): Ipv6Frame | undefined {
  const offset = l3Offset(frame, 0x86dd, 40);
  if (offset === undefined) return undefined;
  const length = frame.readUInt16BE(offset + 4);
  return {
    dstMac: macString(frame, 0),
    srcMac: macString(frame, 6),
    nextHeader: frame[offset + 6] ?? 0,
    hopLimit: frame[offset + 7] ?? 0,
    src: ipv6FromBytes(frame, offset + 8),
    dst: ipv6FromBytes(frame, offset + 24),
    payload: frame.subarray(offset + 40, Math.min(frame.length, offset + 40 + length)),
  };
}

/** Builds an Ethernet/IPv6 frame; the upper-layer checksum (ICMPv6 or UDP) is filled in. */
export function buildIpv6Frame(f: Ipv6Frame): Buffer {
  const payload = Buffer.from(f.payload);
  const at = f.nextHeader === UDP ? 6 : 2;
  payload.writeUInt16BE(0, at);
  const pseudo = Buffer.alloc(40);
  ipv6ToBytes(f.src).copy(pseudo, 0);
  ipv6ToBytes(f.dst).copy(pseudo, 16);
  pseudo.writeUInt32BE(payload.length, 32);
  pseudo[39] = f.nextHeader;
  const sum = internetChecksum(payload, 0xffff & ~internetChecksum(pseudo));
  payload.writeUInt16BE(f.nextHeader === UDP && sum === 0 ? 0xffff : sum, at);
  const ip = Buffer.alloc(40);
  ip.writeUInt32BE(0x60000000, 0);
  ip.writeUInt16BE(payload.length, 4);
  ip[6] = f.nextHeader;
  ip[7] = f.hopLimit;
  ipv6ToBytes(f.src).copy(ip, 8);
  ipv6ToBytes(f.dst).copy(ip, 24);
  const eth = Buffer.concat([macBytes(f.dstMac), macBytes(f.srcMac), Buffer.from([0x86, 0xdd])]);
  return Buffer.concat([eth, ip, payload]);
}

/** The Ethernet destination of an IPv6 destination: its multicast MAC, else `unicastMac`. */
export function ipv6DestinationMac(dst: string, unicastMac: string): string {
  const bytes = ipv6ToBytes(dst);
  return bytes[0] === 0xff ? multicastMac(bytes) : unicastMac;
}

/** The target of a neighbor solicitation; undefined when the frame is not one. */
export function parseNeighborSolicitation(frame: Buffer): { packet: Ipv6Frame; target: string } | undefined {
  const packet = parseIpv6Frame(frame);
  if (!packet || packet.nextHeader !== ICMP6 || packet.payload.length < 24 || packet.payload[0] !== 135) return undefined;
  return { packet, target: ipv6FromBytes(packet.payload, 8) };
}

/** NA flags: router, solicited, override. */
export const NA_ROUTER = 0x80;
const NA_SOLICITED = 0x40;
const NA_OVERRIDE = 0x20;

/** The neighbor advertisement answering `ns` for its target, from `mac` (`flags`: NA_ROUTER or 0). */
export function buildNeighborAdvertisement(ns: { packet: Ipv6Frame; target: string }, mac: string, flags: number): Buffer {
  const message = Buffer.alloc(32);
  message[0] = 136;
  // An NS from the unspecified address (none reaches here) would be answered to all nodes, unsolicited.
  const solicited = ns.packet.src !== '::';
  message[4] = flags | NA_OVERRIDE | (solicited ? NA_SOLICITED : 0);
  ipv6ToBytes(ns.target).copy(message, 8);
  message[24] = 2; // Target link-layer address option, 8 bytes.
  message[25] = 1;
  macBytes(mac).copy(message, 26);
  const dst = solicited ? ns.packet.src : 'ff02::1';
  return buildIpv6Frame({ srcMac: mac, dstMac: ipv6DestinationMac(dst, ns.packet.srcMac), src: ns.target, dst, nextHeader: ICMP6, hopLimit: 255, payload: message });
}

/** One prefix a router advertisement announces. */
export interface RaPrefix {
  cidr: string;
  /** Hosts configure an address from it (SLAAC): the A flag. */
  autonomous: boolean;
}

/** What a router advertisement says. */
export interface RouterAdvertisement {
  routerMac: string;
  /** M flag: addresses from DHCPv6. */
  managed: boolean;
  /** O flag: other configuration (DNS) from DHCPv6. */
  other: boolean;
  /** Seconds hosts may use this router as default router; 0 = not a default router. */
  routerLifetime: number;
  mtu: number;
  prefixes: RaPrefix[];
  dnsServers: string[];
}

/** Prefix lifetimes: as radvd's defaults (valid one day, preferred four hours). */
const VALID_LIFETIME = 86400;
const PREFERRED_LIFETIME = 14400;

/** Builds an RA from the router's link-local address to `dst` (a soliciting host, or all nodes). */
export function buildRouterAdvertisement(ra: RouterAdvertisement, src: string, dst: string, dstMac: string): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(16);
  header[0] = 134;
  header[4] = 64; // Current hop limit hosts should use.
  header[5] = (ra.managed ? 0x80 : 0) | (ra.other ? 0x40 : 0);
  header.writeUInt16BE(ra.routerLifetime, 6);
  parts.push(header);
  const sll = Buffer.alloc(8);
  sll[0] = 1;
  sll[1] = 1;
  macBytes(ra.routerMac).copy(sll, 2);
  parts.push(sll);
  if (ra.mtu) {
    const mtu = Buffer.alloc(8);
    mtu[0] = 5;
    mtu[1] = 1;
    mtu.writeUInt32BE(ra.mtu, 4);
    parts.push(mtu);
  }
  for (const p of ra.prefixes) {
    const [base = '', len = '64'] = p.cidr.split('/');
    const pio = Buffer.alloc(32);
    pio[0] = 3;
    pio[1] = 4;
    pio[2] = Number(len);
    pio[3] = 0x80 | (p.autonomous ? 0x40 : 0); // L (on-link), A (autonomous).
    pio.writeUInt32BE(VALID_LIFETIME, 4);
    pio.writeUInt32BE(PREFERRED_LIFETIME, 8);
    ipv6ToBytes(base).copy(pio, 16);
    parts.push(pio);
  }
  if (ra.dnsServers.length) {
    const rdnss = Buffer.alloc(8 + 16 * ra.dnsServers.length);
    rdnss[0] = 25;
    rdnss[1] = 1 + 2 * ra.dnsServers.length;
    rdnss.writeUInt32BE(2 * 600, 4); // Lifetime: twice the longest unsolicited RA interval.
    ra.dnsServers.forEach((d, i) => ipv6ToBytes(d).copy(rdnss, 8 + 16 * i));
    parts.push(rdnss);
  }
  return buildIpv6Frame({ srcMac: ra.routerMac, dstMac, src, dst, nextHeader: ICMP6, hopLimit: 255, payload: Buffer.concat(parts) });
}

/** The source of a router solicitation; undefined when the frame is not one. */
export function parseRouterSolicitation(frame: Buffer): Ipv6Frame | undefined {
  const packet = parseIpv6Frame(frame);
  return packet && packet.nextHeader === ICMP6 && packet.payload.length >= 8 && packet.payload[0] === 133 ? packet : undefined;
}
