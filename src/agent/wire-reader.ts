/**
 * Minimal protobuf wire reader for the agent's hot path. Deltas and snapshots are walked at the wire
 * level so that each ResourceState keeps its raw bytes: a state identical to the installed one is
 * recognised by a byte comparison and never decoded, which is what makes resuming or re-snapshotting
 * a host with a million neighbors cheap.
 */

/** A field read from a message: varint value or the bytes of a length-delimited field. */
export interface WireField {
  field: number;
  wireType: number;
  value: number;
  bytes: Uint8Array;
}

/** Thrown for bytes that are not a valid protobuf message. */
export class WireFormatError extends Error {
  override name = 'WireFormatError';
}

const EMPTY = new Uint8Array(0);

/** Iterates the top-level fields of an encoded message. */
export function* readFields(buf: Uint8Array): Generator<WireField> {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) throw new WireFormatError('truncated varint');
      const b = buf[pos++] as number;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    throw new WireFormatError('varint too long');
  };
  while (pos < buf.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (field === 0) throw new WireFormatError('field number 0');
    switch (wireType) {
      case 0:
        yield { field, wireType, value: varint(), bytes: EMPTY };
        break;
      case 1:
        if (pos + 8 > buf.length) throw new WireFormatError('truncated fixed64');
        pos += 8;
        break;
      case 2: {
        const length = varint();
        if (pos + length > buf.length) throw new WireFormatError('truncated length-delimited field');
        yield { field, wireType, value: length, bytes: buf.subarray(pos, pos + length) };
        pos += length;
        break;
      }
      case 5:
        if (pos + 4 > buf.length) throw new WireFormatError('truncated fixed32');
        pos += 4;
        break;
      default:
        throw new WireFormatError(`unsupported wire type ${wireType}`);
    }
  }
}

const decoder = new TextDecoder();

/** Type, id and operation of an encoded ResourceState, without decoding its state. */
export function resourceKey(raw: Uint8Array): { type: number; id: string; operation: number } {
  let type = 0;
  let id = '';
  let operation = 0;
  for (const f of readFields(raw)) {
    if (f.field === 1 && f.wireType === 0) type = f.value;
    else if (f.field === 2 && f.wireType === 2) id = decoder.decode(f.bytes);
    else if (f.field === 3 && f.wireType === 0) operation = f.value;
  }
  return { type, id, operation };
}

/** Byte equality. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
