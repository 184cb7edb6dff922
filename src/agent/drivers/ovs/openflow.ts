/**
 * The few OpenFlow 1.4 messages the agent speaks on a bridge's management socket, with Nicira
 * extensions: framing, HELLO/ECHO, SET_CONFIG (a "service" connection only receives packet-ins once
 * it sets a non-zero miss_send_len), NXT_SET_PACKET_IN_FORMAT, packet-in decoding (OFPT_PACKET_IN and
 * NXT_PACKET_IN2, which carries the `controller(userdata=...)` bytes), PACKET_OUT, flow stats, errors,
 * and bundles of flow-mods (flow-encoder.ts encodes those). Pure functions. 1.4 is the first version
 * with bundles; the other messages have the same layout as in 1.3.
 */
import type { ByteWriter } from './byte-writer.js';

/** OpenFlow 1.4 wire version. */
export const OFP14_VERSION = 0x05;
/** Message types used here. */
export const OfType = {
  HELLO: 0,
  ERROR: 1,
  ECHO_REQUEST: 2,
  ECHO_REPLY: 3,
  EXPERIMENTER: 4,
  SET_CONFIG: 9,
  PACKET_IN: 10,
  PACKET_OUT: 13,
  FLOW_MOD: 14,
  MULTIPART_REQUEST: 18,
  MULTIPART_REPLY: 19,
  BARRIER_REQUEST: 20,
  BARRIER_REPLY: 21,
  BUNDLE_CONTROL: 33,
  BUNDLE_ADD_MESSAGE: 34,
} as const;
/** OFPT_BUNDLE_CONTROL types. */
export const BundleControl = { OPEN: 0, OPEN_REPLY: 1, COMMIT: 4, COMMIT_REPLY: 5, DISCARD: 6, DISCARD_REPLY: 7 } as const;
/** Bundle flags: all or nothing, in order. */
export const OFPBF_ATOMIC_ORDERED = 0x3;
/** Nicira experimenter id and the subtypes used. */
export const NX_VENDOR_ID = 0x00002320;
export const NXT_SET_PACKET_IN_FORMAT = 16;
export const NXT_PACKET_IN2 = 30;
/** NXT_SET_PACKET_IN_FORMAT value selecting NXT_PACKET_IN2. */
export const NXPIF_NXT_PACKET_IN2 = 2;
/** Reserved port numbers. */
export const OFPP_CONTROLLER = 0xfffffffd;
export const OFPP_IN_PORT = 0xfffffff8;

/** One framed message. */
export interface OfMessage {
  version: number;
  type: number;
  xid: number;
  /** The bytes after the 8-byte header. */
  body: Buffer;
}

/** A decoded packet-in. */
export interface PacketIn {
  inPort: number;
  tableId: number;
  reason: number;
  /** `controller(userdata=...)` bytes, when the flow set them (NXT_PACKET_IN2 only). */
  userdata?: Buffer;
  /** The frame. */
  packet: Buffer;
}

/** Frames a message. */
export function encodeMessage(type: number, xid: number, body: Buffer = Buffer.alloc(0), version = OFP14_VERSION): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt8(version, 0);
  header.writeUInt8(type, 1);
  header.writeUInt16BE(8 + body.length, 2);
  header.writeUInt32BE(xid >>> 0, 4);
  return Buffer.concat([header, body]);
}

/** Splits a byte stream into messages. */
export class OfMessageReader {
  private buffer: Buffer = Buffer.alloc(0);

  /** Adds bytes; returns the messages completed by them. */
  push(chunk: Buffer): OfMessage[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: OfMessage[] = [];
    while (this.buffer.length >= 8) {
      const length = this.buffer.readUInt16BE(2);
      if (length < 8) throw new RangeError(`bad OpenFlow message length ${length}`);
      if (this.buffer.length < length) break;
      out.push({
        version: this.buffer.readUInt8(0),
        type: this.buffer.readUInt8(1),
        xid: this.buffer.readUInt32BE(4),
        body: this.buffer.subarray(8, length),
      });
      this.buffer = this.buffer.subarray(length);
    }
    return out;
  }
}

/** OFPT_SET_CONFIG with no fragment flags and the given miss_send_len. */
export function encodeSetConfig(xid: number, missSendLen = 0xffff): Buffer {
  const body = Buffer.alloc(4);
  body.writeUInt16BE(0, 0);
  body.writeUInt16BE(missSendLen, 2);
  return encodeMessage(OfType.SET_CONFIG, xid, body);
}

/** A Nicira extension message. */
export function encodeNicira(xid: number, subtype: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(NX_VENDOR_ID, 0);
  head.writeUInt32BE(subtype, 4);
  return encodeMessage(OfType.EXPERIMENTER, xid, Buffer.concat([head, payload]));
}

/** Asks for packet-ins as NXT_PACKET_IN2. */
export function encodeSetPacketInFormat(xid: number, format = NXPIF_NXT_PACKET_IN2): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(format, 0);
  return encodeNicira(xid, NXT_SET_PACKET_IN_FORMAT, payload);
}

/** OFPT_PACKET_OUT of `packet` (no buffer) with a single output action. */
export function encodePacketOut(xid: number, outPort: number, packet: Buffer, inPort = OFPP_CONTROLLER): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(0xffffffff, 0);
  head.writeUInt32BE(inPort >>> 0, 4);
  head.writeUInt16BE(16, 8);
  const action = Buffer.alloc(16);
  action.writeUInt16BE(0, 0); // OFPAT_OUTPUT
  action.writeUInt16BE(16, 2);
  action.writeUInt32BE(outPort >>> 0, 4);
  action.writeUInt16BE(0xffff, 8);
  return encodeMessage(OfType.PACKET_OUT, xid, Buffer.concat([head, action, packet]));
}

/** Reads the in_port from a sequence of OXM/NXM TLVs (OXM_OF_IN_PORT or NXM_OF_IN_PORT). */
export function inPortFromOxm(fields: Buffer): number | undefined {
  let offset = 0;
  while (offset + 4 <= fields.length) {
    const cls = fields.readUInt16BE(offset);
    const fieldAndMask = fields.readUInt8(offset + 2);
    const length = fields.readUInt8(offset + 3);
    const field = fieldAndMask >> 1;
    const value = offset + 4;
    if (field === 0 && cls === 0x8000 && length === 4) return fields.readUInt32BE(value);
    if (field === 0 && cls === 0x0000 && length === 2) return fields.readUInt16BE(value);
    offset = value + length;
  }
  return undefined;
}

function decodeStandardPacketIn(body: Buffer): PacketIn {
  // buffer_id(4) total_len(2) reason(1) table_id(1) cookie(8) ofp_match(type, length, oxm...) pad(2) data
  const reason = body.readUInt8(6);
  const tableId = body.readUInt8(7);
  const matchLength = body.readUInt16BE(18);
  const oxm = body.subarray(20, 16 + matchLength);
  const matchPadded = Math.ceil(matchLength / 8) * 8;
  const packet = body.subarray(16 + matchPadded + 2);
  return { inPort: inPortFromOxm(oxm) ?? 0, tableId, reason, packet };
}

function decodePacketIn2(props: Buffer): PacketIn {
  const result: PacketIn = { inPort: 0, tableId: 0, reason: 0, packet: Buffer.alloc(0) };
  let offset = 0;
  while (offset + 4 <= props.length) {
    const type = props.readUInt16BE(offset);
    const length = props.readUInt16BE(offset + 2);
    if (length < 4) break;
    const payload = props.subarray(offset + 4, offset + length);
    if (type === 0) result.packet = payload;
    else if (type === 3) result.tableId = payload.readUInt8(0);
    else if (type === 5) result.reason = payload.readUInt8(0);
    else if (type === 6) result.inPort = inPortFromOxm(payload) ?? 0;
    else if (type === 7) result.userdata = payload;
    offset += Math.ceil(length / 8) * 8;
  }
  return result;
}

/** Decodes an OFPT_PACKET_IN or NXT_PACKET_IN2; undefined for anything else. */
export function decodePacketIn(message: OfMessage): PacketIn | undefined {
  if (message.type === OfType.PACKET_IN) return decodeStandardPacketIn(message.body);
  if (message.type === OfType.EXPERIMENTER && message.body.length >= 8) {
    if (message.body.readUInt32BE(0) === NX_VENDOR_ID && message.body.readUInt32BE(4) === NXT_PACKET_IN2) {
      return decodePacketIn2(message.body.subarray(8));
    }
  }
  return undefined;
}

/** OFPMP_FLOW request for every flow of every table (OpenFlow 1.3). */
export function encodeFlowStatsRequest(xid: number): Buffer {
  const body = Buffer.alloc(48);
  body.writeUInt16BE(1, 0); // OFPMP_FLOW
  body.writeUInt8(0xff, 8); // all tables
  body.writeUInt32BE(0xffffffff, 12); // OFPP_ANY
  body.writeUInt32BE(0xffffffff, 16); // OFPG_ANY
  body.writeUInt16BE(1, 40); // empty OXM match
  body.writeUInt16BE(4, 42);
  return encodeMessage(OfType.MULTIPART_REQUEST, xid, body);
}

/** True when a multipart reply says more parts follow. */
export function multipartHasMore(message: OfMessage): boolean {
  return message.body.length >= 4 && (message.body.readUInt16BE(2) & 1) === 1;
}

/** The cookies of the flow entries in one OFPMP_FLOW reply part. */
export function flowStatsCookies(message: OfMessage, into: Set<bigint>): void {
  let offset = 8;
  while (offset + 32 <= message.body.length) {
    const length = message.body.readUInt16BE(offset);
    if (length < 32) break;
    into.add(message.body.readBigUInt64BE(offset + 24));
    offset += length;
  }
}

/** OFPT_BUNDLE_CONTROL. */
export function encodeBundleControl(xid: number, bundleId: number, type: number, flags = OFPBF_ATOMIC_ORDERED): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt32BE(bundleId >>> 0, 0);
  body.writeUInt16BE(type, 4);
  body.writeUInt16BE(flags, 6);
  return encodeMessage(OfType.BUNDLE_CONTROL, xid, body);
}

/**
 * Appends an OFPT_BUNDLE_ADD_MESSAGE carrying a `type` message whose body `writeBody` appends, with
 * xid `xid` inside and outside (OVS requires the two to match).
 */
export function writeBundleAdd(w: ByteWriter, xid: number, bundleId: number, type: number, writeBody: (w: ByteWriter) => void, flags = OFPBF_ATOMIC_ORDERED): void {
  const start = w.length;
  w.u8(OFP14_VERSION);
  w.u8(OfType.BUNDLE_ADD_MESSAGE);
  w.u16(0);
  w.u32(xid);
  w.u32(bundleId);
  w.u16(0);
  w.u16(flags);
  w.u8(OFP14_VERSION);
  w.u8(type);
  w.u16(0);
  w.u32(xid);
  writeBody(w);
  const length = w.length - start;
  if (length > 0xffff) throw new RangeError(`OpenFlow message of ${length} bytes`);
  w.buffer.writeUInt16BE(length, start + 2);
  w.buffer.writeUInt16BE(length - 16, start + 18);
}

/** A decoded OFPT_ERROR. */
export interface OfError {
  type: number;
  code: number;
}

/** Decodes an OFPT_ERROR body. */
export function decodeError(message: OfMessage): OfError {
  return { type: message.body.length >= 2 ? message.body.readUInt16BE(0) : 0, code: message.body.length >= 4 ? message.body.readUInt16BE(2) : 0 };
}

const ERROR_TYPES = ['HELLO_FAILED', 'BAD_REQUEST', 'BAD_ACTION', 'BAD_INSTRUCTION', 'BAD_MATCH', 'FLOW_MOD_FAILED', 'GROUP_MOD_FAILED', 'PORT_MOD_FAILED', 'TABLE_MOD_FAILED', 'QUEUE_OP_FAILED', 'SWITCH_CONFIG_FAILED', 'ROLE_REQUEST_FAILED', 'METER_MOD_FAILED', 'TABLE_FEATURES_FAILED', 'BAD_PROPERTY', 'ASYNC_CONFIG_FAILED', 'FLOW_MONITOR_FAILED', 'BUNDLE_FAILED'];

/** `OFPET_BAD_ACTION code 4`, for logs (codes are per type in the OpenFlow spec). */
export function describeError(error: OfError): string {
  const name = ERROR_TYPES[error.type];
  return `${name ? `OFPET_${name}` : `error type ${error.type}`} code ${error.code}`;
}
