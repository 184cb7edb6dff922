/**
 * The message agents send most: a `WatchRequest` whose `Ack` carries only a revision (nothing failed,
 * no port or DHCP entry was applied, no port is waiting), which every host of a VPC sends for every
 * neighbor change. It is encoded and recognised at the wire level because protobuf-es's reflective
 * create/encode/decode costs more than everything else the controller does with such an ack, times
 * 1,000 hosts per change. Every other request goes through protobuf-es; `decodeBareAck` accepts only
 * the exact canonical form below and leaves anything else to it.
 *
 *   0x12 <length> [0x08 <varint revision>]      WatchRequest.ack (field 2) { revision (field 1) }
 */
import { readCanonicalVarint, varintLength, writeVarint } from './varint.js';

const ACK_TAG = (2 << 3) | 2;
const REVISION_TAG = 1 << 3;

/** The encoded `WatchRequest{ack: {revision}}`, byte for byte what protobuf-es writes. */
export function encodeBareAck(revision: number): Uint8Array {
  if (!Number.isSafeInteger(revision) || revision < 0) throw new RangeError(`revision ${revision} is not a non-negative safe integer`);
  // proto3 omits a zero revision.
  const inner = revision === 0 ? 0 : 1 + varintLength(revision);
  const out = new Uint8Array(2 + inner);
  out[0] = ACK_TAG;
  out[1] = inner;
  if (revision !== 0) {
    out[2] = REVISION_TAG;
    writeVarint(out, 3, revision);
  }
  return out;
}

/** The revision of a bare ack as `encodeBareAck` writes it, or undefined for any other bytes. */
export function decodeBareAck(bytes: Uint8Array): number | undefined {
  if (bytes.length < 2 || bytes[0] !== ACK_TAG || bytes[1] !== bytes.length - 2) return undefined;
  if (bytes.length === 2) return 0;
  if (bytes[2] !== REVISION_TAG) return undefined;
  const varint = readCanonicalVarint(bytes, 3);
  // proto3 never writes a zero revision, and the varint must end exactly at the end.
  return varint && varint[0] !== 0 && varint[1] === bytes.length ? varint[0] : undefined;
}
