/**
 * Ethernet / IPv4 / UDP framing for the agent's DHCP answers: parse a frame a VM sent, build one with
 * correct IPv4 header and UDP checksums. Pure functions.
 */
import { ipv4ToNumber } from './flow.js';

/** A UDP datagram inside an Ethernet frame. */
export interface UdpFrame {
  srcMac: string;
  dstMac: string;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

/** Formats 6 bytes as a MAC. */
export function macString(bytes: Buffer, offset = 0): string {
  return [...bytes.subarray(offset, offset + 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Parses a MAC into 6 bytes. */
export function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}

/** Formats 4 bytes as dotted IPv4. */
export function ipString(bytes: Buffer, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** Dotted IPv4 as 4 bytes. */
export function ipBytes(ip: string): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(ipv4ToNumber(ip), 0);
  return b;
}

/** The Internet checksum (RFC 1071) of `data`, starting from `initial`. */
export function internetChecksum(data: Buffer, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < data.length; i += 2) sum += data.readUInt16BE(i);
  if (data.length % 2 === 1) sum += (data[data.length - 1] ?? 0) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * Where the network-layer header of an untagged (or single-VLAN-tagged) Ethernet frame starts, if its
 * ethertype is `ethertype` and at least `minLength` bytes of it are there.
 */
export function l3Offset(frame: Buffer, ethertype: number, minLength: number): number | undefined {
  if (frame.length < 14) return undefined;
  let at = 12;
  if (frame.readUInt16BE(at) === 0x8100 && frame.length >= 18) at += 4;
  return frame.readUInt16BE(at) === ethertype && frame.length >= at + 2 + minLength ? at + 2 : undefined;
}

/** Parses an untagged (or single-VLAN-tagged) Ethernet/IPv4/UDP frame; undefined for anything else. */
export function parseUdpFrame(frame: Buffer): UdpFrame | undefined {
  const offset = l3Offset(frame, 0x0800, 20);
  if (offset === undefined) return undefined;
  const ihl = ((frame[offset] ?? 0) & 0x0f) * 4;
  if ((frame[offset + 9] ?? 0) !== 17 || frame.length < offset + ihl + 8) return undefined;
  const udp = offset + ihl;
  const udpLength = frame.readUInt16BE(udp + 4);
  return {
    dstMac: macString(frame, 0),
    srcMac: macString(frame, 6),
    srcIp: ipString(frame, offset + 12),
    dstIp: ipString(frame, offset + 16),
    srcPort: frame.readUInt16BE(udp),
    dstPort: frame.readUInt16BE(udp + 2),
    payload: frame.subarray(udp + 8, Math.min(frame.length, udp + udpLength)),
  };
}

/** Builds an Ethernet/IPv4/UDP frame with valid checksums. */
export function buildUdpFrame(f: UdpFrame, ttl = 64): Buffer {
  const udpLength = 8 + f.payload.length;
  const ip = Buffer.alloc(20);
  ip.writeUInt8(0x45, 0);
  ip.writeUInt8(0x10, 1);
  ip.writeUInt16BE(20 + udpLength, 2);
  ip.writeUInt16BE(0, 4);
  ip.writeUInt16BE(0, 6);
  ip.writeUInt8(ttl, 8);
  ip.writeUInt8(17, 9);
  ipBytes(f.srcIp).copy(ip, 12);
  ipBytes(f.dstIp).copy(ip, 16);
  ip.writeUInt16BE(internetChecksum(ip), 10);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(f.srcPort, 0);
  udp.writeUInt16BE(f.dstPort, 2);
  udp.writeUInt16BE(udpLength, 4);
  const pseudo = Buffer.concat([ip.subarray(12, 20), Buffer.from([0, 17, udpLength >> 8, udpLength & 0xff])]);
  let sum = 0xffff & ~internetChecksum(pseudo);
  sum = internetChecksum(Buffer.concat([udp, f.payload]), sum);
  udp.writeUInt16BE(sum === 0 ? 0xffff : sum, 6);
  const eth = Buffer.concat([macBytes(f.dstMac), macBytes(f.srcMac), Buffer.from([0x08, 0x00])]);
  return Buffer.concat([eth, ip, udp, f.payload]);
}
