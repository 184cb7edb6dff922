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

/**
 * Reads a canonical unsigned varint at `pos` (no redundant high zero byte, value exact as a number):
 * `[value, position after it]`, or undefined for anything else, including running past `end`.
 */
export function readCanonicalVarint(bytes: Uint8Array, pos: number, end = bytes.length): [number, number] | undefined {
  let value = 0;
  let scale = 1;
  for (let at = pos; at < end && at < pos + 8; at++) {
    const b = bytes[at] as number;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return (b === 0 && at > pos) || !Number.isSafeInteger(value) ? undefined : [value, at + 1];
    scale *= 0x80;
  }
  return undefined;
}
