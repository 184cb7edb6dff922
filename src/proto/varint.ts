/**
 * Unsigned varints (protobuf wire format) for the hand-written codecs next to the generated code.
 * Values are JavaScript numbers, exact up to 2^53 (revisions, lengths, counts).
 */

/** Bytes of an unsigned varint. */
export function varintLength(value: number): number {
  let n = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) n++;
  return n;
}

/** Writes an unsigned varint at `pos`; returns the position after it. */
export function writeVarint(out: Uint8Array, pos: number, value: number): number {
  let at = pos;
  let v = value;
  while (v >= 0x80) {
    out[at++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[at++] = v;
  return at;
}
