/**
 * DHCPv4 messages (RFC 2131 / 2132): decode what a VM sent, encode the agent's answer. Pure functions;
 * the answering logic is in dhcp-server.ts.
 */
import { ipBytes, ipString, macBytes, macString } from './frames.js';

/** DHCP message types (option 53). */
export const DhcpType = { DISCOVER: 1, OFFER: 2, REQUEST: 3, DECLINE: 4, ACK: 5, NAK: 6, RELEASE: 7, INFORM: 8 } as const;

/** Option codes used by name. */
export const Opt = {
  SUBNET_MASK: 1,
  ROUTER: 3,
  DNS: 6,
  HOSTNAME: 12,
  DOMAIN_NAME: 15,
  BROADCAST: 28,
  MTU: 26,
  REQUESTED_IP: 50,
  LEASE_TIME: 51,
  MESSAGE_TYPE: 53,
  SERVER_ID: 54,
  PARAMETER_LIST: 55,
  RENEWAL_TIME: 58,
  REBINDING_TIME: 59,
  CLIENT_ID: 61,
  CLASSLESS_ROUTES: 121,
  END: 255,
} as const;

const MAGIC = 0x63825363;

/** A DHCP message. Options are raw bytes by code, in the order they are to be written. */
export interface DhcpMessage {
  op: 1 | 2;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  chaddr: string;
  options: Map<number, Buffer>;
}

/** The message type (option 53), or 0. */
export function messageType(message: DhcpMessage): number {
  return message.options.get(Opt.MESSAGE_TYPE)?.[0] ?? 0;
}

/** An IPv4 option value as dotted text. */
export function optionIp(message: DhcpMessage, code: number): string | undefined {
  const value = message.options.get(code);
  return value && value.length >= 4 ? ipString(value) : undefined;
}

/** Decodes a BOOTP/DHCP payload; undefined when it is not DHCP. */
export function decodeDhcp(payload: Buffer): DhcpMessage | undefined {
  if (payload.length < 240 || payload.readUInt32BE(236) !== MAGIC) return undefined;
  const options = new Map<number, Buffer>();
  let offset = 240;
  while (offset < payload.length) {
    const code = payload[offset]!;
    if (code === Opt.END) break;
    if (code === 0) {
      offset++;
      continue;
    }
    const length = payload[offset + 1] ?? 0;
    const value = payload.subarray(offset + 2, offset + 2 + length);
    // RFC 3396: repeated options concatenate.
    options.set(code, options.has(code) ? Buffer.concat([options.get(code)!, value]) : value);
    offset += 2 + length;
  }
  return {
    op: payload[0] === 2 ? 2 : 1,
    xid: payload.readUInt32BE(4),
    secs: payload.readUInt16BE(8),
    flags: payload.readUInt16BE(10),
    ciaddr: ipString(payload, 12),
    yiaddr: ipString(payload, 16),
    siaddr: ipString(payload, 20),
    giaddr: ipString(payload, 24),
    chaddr: macString(payload, 28),
    options,
  };
}

/** Encodes a DHCP message (options longer than 255 bytes are split, RFC 3396). */
export function encodeDhcp(message: DhcpMessage): Buffer {
  const head = Buffer.alloc(240);
  head[0] = message.op;
  head[1] = 1;
  head[2] = 6;
  head.writeUInt32BE(message.xid >>> 0, 4);
  head.writeUInt16BE(message.secs, 8);
  head.writeUInt16BE(message.flags, 10);
  ipBytes(message.ciaddr).copy(head, 12);
  ipBytes(message.yiaddr).copy(head, 16);
  ipBytes(message.siaddr).copy(head, 20);
  ipBytes(message.giaddr).copy(head, 24);
  macBytes(message.chaddr).copy(head, 28);
  head.writeUInt32BE(MAGIC, 236);
  const parts: Buffer[] = [head];
  for (const [code, value] of message.options) {
    for (let i = 0; i < value.length || i === 0; i += 255) {
      const chunk = value.subarray(i, i + 255);
      parts.push(Buffer.from([code, chunk.length]), chunk);
      if (value.length === 0) break;
    }
  }
  parts.push(Buffer.from([Opt.END]));
  const body = Buffer.concat(parts);
  // Pad to the classic 300-byte BOOTP minimum some clients expect.
  return body.length >= 300 ? body : Buffer.concat([body, Buffer.alloc(300 - body.length)]);
}

/** Option 121 (RFC 3442) for a list of routes. */
export function encodeClasslessRoutes(routes: ReadonlyArray<{ destination: string; nexthop: string }>): Buffer {
  const parts: Buffer[] = [];
  for (const { destination, nexthop } of routes) {
    const [net, lenText] = destination.split('/');
    const len = Number(lenText ?? 32);
    parts.push(Buffer.from([len]), ipBytes(net ?? '0.0.0.0').subarray(0, Math.ceil(len / 8)), ipBytes(nexthop));
  }
  return Buffer.concat(parts);
}

/** Decodes option 121 (for tests and logs). */
export function decodeClasslessRoutes(value: Buffer): Array<{ destination: string; nexthop: string }> {
  const out: Array<{ destination: string; nexthop: string }> = [];
  let offset = 0;
  while (offset < value.length) {
    const len = value[offset]!;
    const octets = Math.ceil(len / 8);
    const dest = Buffer.alloc(4);
    value.copy(dest, 0, offset + 1, offset + 1 + octets);
    out.push({ destination: `${ipString(dest)}/${len}`, nexthop: ipString(value, offset + 1 + octets) });
    offset += 1 + octets + 4;
  }
  return out;
}

/** A prefix length as a dotted netmask. */
export function prefixToMask(prefix: number): string {
  const n = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}
