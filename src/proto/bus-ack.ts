/**
 * The bus ack, `BusAck{host_id = 1, vpc_id = 2, revision = 3, stream_sequence = 4}`, which every host sends
 * for every VPC delta it applies from the bus: at 1,000 hosts that is 1,000 encodes per change across the
 * hosts and 1,000 decodes in the controller, where protobuf-es's reflective create/encode/decode was a
 * visible share of both. As in bare-ack.ts, it is written at the wire level, and `decodeBusAck` accepts
 * only the canonical form that protobuf-es and `encodeBusAck` write (fields in order, defaults omitted,
 * valid UTF-8, numbers exact); the caller hands anything else to protobuf-es.
 *
 *   [0x0a <len> host_id] [0x12 <len> vpc_id] [0x18 <varint revision>] [0x20 <varint stream_sequence>]
 */
import { readCanonicalVarint, varintLength, writeVarint } from './varint.js';

/** The fields of a bus ack, with numbers exact up to 2^53. */
export interface BusAckFields {
  hostId: string;
  vpcId: string;
  revision: number;
  streamSequence: number;
}

const HOST_TAG = (1 << 3) | 2;
const VPC_TAG = (2 << 3) | 2;
const REVISION_TAG = 3 << 3;
const SEQUENCE_TAG = 4 << 3;

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function fieldLength(bytes: number): number {
  return bytes === 0 ? 0 : 1 + varintLength(bytes) + bytes;
}

/** The encoded ack, byte for byte what protobuf-es writes for the same fields. */
export function encodeBusAck(ack: BusAckFields): Uint8Array {
  for (const n of [ack.revision, ack.streamSequence]) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${n} is not a non-negative safe integer`);
  }
  const host = utf8.encode(ack.hostId);
  const vpc = utf8.encode(ack.vpcId);
  const length =
    fieldLength(host.length) + fieldLength(vpc.length) +
    (ack.revision === 0 ? 0 : 1 + varintLength(ack.revision)) + (ack.streamSequence === 0 ? 0 : 1 + varintLength(ack.streamSequence));
  const out = new Uint8Array(length);
  let pos = 0;
  for (const [tag, text] of [[HOST_TAG, host], [VPC_TAG, vpc]] as const) {
    if (text.length === 0) continue;
    out[pos++] = tag;
    pos = writeVarint(out, pos, text.length);
    out.set(text, pos);
    pos += text.length;
  }
  for (const [tag, n] of [[REVISION_TAG, ack.revision], [SEQUENCE_TAG, ack.streamSequence]] as const) {
    if (n === 0) continue;
    out[pos++] = tag;
    pos = writeVarint(out, pos, n);
  }
  return out;
}

/** The fields of a canonical bus ack, or undefined for any other bytes (to be decoded by protobuf-es). */
export function decodeBusAck(bytes: Uint8Array): BusAckFields | undefined {
  const ack: BusAckFields = { hostId: '', vpcId: '', revision: 0, streamSequence: 0 };
  let pos = 0;
  let lastTag = 0;
  while (pos < bytes.length) {
    const tag = bytes[pos++] as number;
    // Each known field at most once, in field order (which also rules out unknown and multi-byte tags).
    if (tag <= lastTag) return undefined;
    lastTag = tag;
    const varint = readCanonicalVarint(bytes, pos);
    if (!varint) return undefined;
    const [value, next] = varint;
    if (tag === REVISION_TAG || tag === SEQUENCE_TAG) {
      // proto3 does not write a zero.
      if (value === 0) return undefined;
      if (tag === REVISION_TAG) ack.revision = value;
      else ack.streamSequence = value;
      pos = next;
    } else if (tag === HOST_TAG || tag === VPC_TAG) {
      if (value === 0 || next + value > bytes.length) return undefined;
      // A leading byte-order mark is where TextDecoders can differ: protobuf-es decides that one.
      if (bytes[next] === 0xef && bytes[next + 1] === 0xbb && bytes[next + 2] === 0xbf) return undefined;
      let text: string;
      try {
        text = strictUtf8.decode(bytes.subarray(next, next + value));
      } catch {
        return undefined;
      }
      if (tag === HOST_TAG) ack.hostId = text;
      else ack.vpcId = text;
      pos = next + value;
    } else {
      return undefined;
    }
  }
  return ack;
}
