/**
 * The match fields the flow compilers use, by the names ovs-ofctl gives them, as OXM/NXM headers: the
 * 32-bit `class(16) | field(7) | hasmask(1) | length(8)` TLV headers of OpenFlow 1.2+ matches and
 * set-field actions, and the 4-byte NXM headers Nicira's move/load/output-reg actions name fields by.
 * Only what the compilers emit is here: an unknown name is an error, never a guess.
 */
import type { ByteWriter } from './byte-writer.js';

/** How a field's value is written. */
export type FieldKind = 'uint' | 'mac' | 'ipv4' | 'ipv6';

/** One field. */
export interface NxmField {
  /** OXM class: 0x8000 OpenFlow basic, 0x0000 NXM_OF, 0x0001 NXM_NX. */
  cls: number;
  field: number;
  /** Value length in bytes. */
  bytes: number;
  kind: FieldKind;
}

const oxm = (field: number, bytes: number, kind: FieldKind = 'uint'): NxmField => ({ cls: 0x8000, field, bytes, kind });
const nxmOf = (field: number, bytes: number, kind: FieldKind = 'uint'): NxmField => ({ cls: 0x0000, field, bytes, kind });
const nxmNx = (field: number, bytes: number, kind: FieldKind = 'uint'): NxmField => ({ cls: 0x0001, field, bytes, kind });

/** Fields by their ovs-ofctl match / set_field name. */
export const MATCH_FIELDS: Readonly<Record<string, NxmField>> = {
  in_port: oxm(0, 4),
  dl_dst: oxm(3, 6, 'mac'),
  eth_dst: oxm(3, 6, 'mac'),
  dl_src: oxm(4, 6, 'mac'),
  eth_src: oxm(4, 6, 'mac'),
  dl_type: oxm(5, 2),
  /** OpenFlow 1.2+ VLAN id: 0x1000 | vid for a tagged frame, 0 for an untagged one. */
  vlan_vid: oxm(6, 2),
  nw_proto: oxm(10, 1),
  nw_src: oxm(11, 4, 'ipv4'),
  ip_src: oxm(11, 4, 'ipv4'),
  nw_dst: oxm(12, 4, 'ipv4'),
  ip_dst: oxm(12, 4, 'ipv4'),
  arp_op: oxm(21, 2),
  arp_spa: oxm(22, 4, 'ipv4'),
  arp_tpa: oxm(23, 4, 'ipv4'),
  arp_sha: oxm(24, 6, 'mac'),
  arp_tha: oxm(25, 6, 'mac'),
  ipv6_src: oxm(26, 16, 'ipv6'),
  ipv6_dst: oxm(27, 16, 'ipv6'),
  nd_target: oxm(31, 16, 'ipv6'),
  icmpv6_type: oxm(29, 1),
  tun_id: oxm(38, 8),
  reg2: nxmNx(2, 4),
  reg3: nxmNx(3, 4),
  reg4: nxmNx(4, 4),
  reg5: nxmNx(5, 4),
  reg6: nxmNx(6, 4),
  reg7: nxmNx(7, 4),
  tun_dst: nxmNx(32, 4, 'ipv4'),
  conj_id: nxmNx(37, 4),
  ct_state: nxmNx(105, 4),
};

/** Transport-port and ICMP fields, which depend on the protocol the match names. */
export const L4_FIELDS: Readonly<Record<number, { src: NxmField; dst: NxmField }>> = {
  6: { src: oxm(13, 2), dst: oxm(14, 2) },
  17: { src: oxm(15, 2), dst: oxm(16, 2) },
  132: { src: oxm(17, 2), dst: oxm(18, 2) },
};
export const ICMP_FIELDS: Readonly<Record<number, { type: NxmField; code: NxmField }>> = {
  1: { type: oxm(19, 1), code: oxm(20, 1) },
  58: { type: oxm(29, 1), code: oxm(30, 1) },
};

/** Protocol shorthands: ethertype and IP protocol. */
export const PROTOCOLS: Readonly<Record<string, { ethType: number; ipProto?: number }>> = {
  ip: { ethType: 0x0800 },
  ipv6: { ethType: 0x86dd },
  arp: { ethType: 0x0806 },
  icmp: { ethType: 0x0800, ipProto: 1 },
  tcp: { ethType: 0x0800, ipProto: 6 },
  udp: { ethType: 0x0800, ipProto: 17 },
  sctp: { ethType: 0x0800, ipProto: 132 },
  icmp6: { ethType: 0x86dd, ipProto: 58 },
  tcp6: { ethType: 0x86dd, ipProto: 6 },
  udp6: { ethType: 0x86dd, ipProto: 17 },
  sctp6: { ethType: 0x86dd, ipProto: 132 },
};

/** Fields by their NXM name (`NXM_NX_REG6` in `NXM_NX_REG6[0..15]`), for move/load/output. */
export const NXM_FIELDS: Readonly<Record<string, NxmField>> = {
  NXM_OF_ETH_DST: nxmOf(1, 6),
  NXM_OF_ETH_SRC: nxmOf(2, 6),
  NXM_OF_IP_SRC: nxmOf(7, 4),
  NXM_OF_IP_DST: nxmOf(8, 4),
  NXM_OF_ICMP_TYPE: nxmOf(13, 1),
  NXM_OF_ARP_OP: nxmOf(15, 2),
  NXM_OF_ARP_SPA: nxmOf(16, 4),
  NXM_OF_ARP_TPA: nxmOf(17, 4),
  NXM_NX_REG2: nxmNx(2, 4),
  NXM_NX_REG3: nxmNx(3, 4),
  NXM_NX_REG4: nxmNx(4, 4),
  NXM_NX_REG5: nxmNx(5, 4),
  NXM_NX_REG6: nxmNx(6, 4),
  NXM_NX_REG7: nxmNx(7, 4),
  NXM_NX_TUN_ID: nxmNx(16, 8),
  NXM_NX_ARP_SHA: nxmNx(17, 6),
  NXM_NX_ARP_THA: nxmNx(18, 6),
  NXM_NX_IP_TTL: nxmNx(29, 1),
  NXM_NX_IPV6_SRC: nxmNx(19, 16),
  NXM_NX_IPV6_DST: nxmNx(20, 16),
};

/** ct_state flag bits by name. */
export const CT_STATE_BITS: Readonly<Record<string, number>> = { new: 0x01, est: 0x02, rel: 0x04, rpl: 0x08, inv: 0x10, trk: 0x20, snat: 0x40, dnat: 0x80 };

/** The 32-bit TLV header of a field (`masked` doubles the payload). */
export function fieldHeader(f: NxmField, masked = false): number {
  return ((f.cls << 16) | (f.field << 9) | (masked ? 0x100 : 0) | (masked ? 2 * f.bytes : f.bytes)) >>> 0;
}

/** Writes a field value (MAC, dotted IPv4, IPv6, or a decimal/0x number). */
export function writeField(w: ByteWriter, f: NxmField, text: string): void {
  const at = w.reserve(f.bytes);
  const b = w.buffer;
  switch (f.kind) {
    case 'mac': {
      if (text.length !== 17) throw new UnsupportedFlowError(`bad MAC ${text}`);
      for (let i = 0; i < 6; i++) {
        const hi = hexDigit(text.charCodeAt(i * 3));
        const lo = hexDigit(text.charCodeAt(i * 3 + 1));
        if (hi < 0 || lo < 0 || (i < 5 && text.charCodeAt(i * 3 + 2) !== 58)) throw new UnsupportedFlowError(`bad MAC ${text}`);
        b[at + i] = (hi << 4) | lo;
      }
      return;
    }
    case 'ipv4': {
      let part = 0;
      let value = 0;
      let digits = 0;
      for (let i = 0; i <= text.length; i++) {
        const c = i < text.length ? text.charCodeAt(i) : 46;
        if (c >= 48 && c <= 57 && digits < 3) {
          value = value * 10 + c - 48;
          digits++;
        } else if (c === 46 && digits > 0 && value <= 255 && part < 4) {
          b[at + part++] = value;
          value = 0;
          digits = 0;
        } else throw new UnsupportedFlowError(`bad IPv4 ${text}`);
      }
      if (part !== 4) throw new UnsupportedFlowError(`bad IPv4 ${text}`);
      return;
    }
    case 'ipv6':
      ipv6Bytes(text).copy(b, at);
      return;
    case 'uint':
      writeUint(b, at, f.bytes, text);
  }
}

/** Writes a mask for `field=value/prefix` (IP fields) or `value/mask`. */
export function writeMask(w: ByteWriter, f: NxmField, text: string): void {
  if ((f.kind === 'ipv4' || f.kind === 'ipv6') && /^\d+$/.test(text)) {
    const at = w.length;
    w.zeros(f.bytes);
    const bits = Number(text);
    for (let i = 0; i < bits && i < f.bytes * 8; i++) w.buffer[at + (i >> 3)]! |= 0x80 >> (i & 7);
    return;
  }
  writeField(w, f, text);
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const NUMBER = /^(0x[0-9a-fA-F]+|\d+)$/;

/** A decimal or 0x-prefixed number that must fit a JavaScript integer. */
export function parseNumber(text: string): number {
  const n = NUMBER.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new UnsupportedFlowError(`bad number ${text}`);
  return n;
}

/** Writes the number `text` big-endian into `bytes` bytes of `b` at `at`. */
function writeUint(b: Buffer, at: number, bytes: number, text: string): void {
  if (bytes <= 6) {
    const n = parseNumber(text);
    if (n >= 2 ** (8 * bytes)) throw new UnsupportedFlowError(`value ${text} does not fit ${bytes} bytes`);
    b.writeUIntBE(n, at, bytes);
    return;
  }
  if (!NUMBER.test(text)) throw new UnsupportedFlowError(`bad number ${text}`);
  const n = BigInt(text);
  if (n >> 64n !== 0n) throw new UnsupportedFlowError(`value ${text} does not fit ${bytes} bytes`);
  b.writeBigUInt64BE(n, at);
}

function ipv6Bytes(text: string): Buffer {
  const out = Buffer.alloc(16);
  const [head = '', tail] = text.split('::');
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const left = groups(head);
  const right = groups(tail);
  if (tail === undefined ? left.length !== 8 : left.length + right.length > 7) throw new UnsupportedFlowError(`bad IPv6 ${text}`);
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  all.forEach((g, i) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new UnsupportedFlowError(`bad IPv6 ${text}`);
    out.writeUInt16BE(parseInt(g, 16), i * 2);
  });
  return out;
}

/** A flow in a syntax the encoder does not cover. */
export class UnsupportedFlowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedFlowError';
  }
}
