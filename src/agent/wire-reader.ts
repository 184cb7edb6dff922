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

/**
 * Walks the fields of `buf[from, to)` without allocating: after `next()` returns true, `field`,
 * `wireType` and `value` describe the field, and a length-delimited one spans `buf[start, end)`.
 * The snapshot path reads millions of records with one cursor; views are made only where needed.
 */
export class FieldCursor {
  field = 0;
  wireType = 0;
  /** Varint value, or the length of a length-delimited field. */
  value = 0;
  start = 0;
  end = 0;
  private pos = 0;
  private limit = 0;
  private buf: Uint8Array = new Uint8Array(0);

  /** Starts walking `buf[from, to)`. */
  reset(buf: Uint8Array, from = 0, to = buf.length): this {
    this.buf = buf;
    this.pos = from;
    this.limit = to;
    return this;
  }

  /** Moves to the next field; false at the end. */
  next(): boolean {
    while (this.pos < this.limit) {
      const tag = this.varint();
      this.field = Math.floor(tag / 8);
      this.wireType = tag & 7;
      if (this.field === 0) throw new WireFormatError('field number 0');
      switch (this.wireType) {
        case 0:
          this.value = this.varint();
          return true;
        case 2: {
          const length = this.varint();
          if (this.pos + length > this.limit) throw new WireFormatError('truncated length-delimited field');
          this.value = length;
          this.start = this.pos;
          this.end = this.pos + length;
          this.pos = this.end;
          return true;
        }
        case 1:
          this.skip(8, 'fixed64');
          break;
        case 5:
          this.skip(4, 'fixed32');
          break;
        default:
          throw new WireFormatError(`unsupported wire type ${this.wireType}`);
      }
    }
    return false;
  }

  /** The current length-delimited field as a view (no copy). */
  bytes(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }

  private skip(n: number, what: string): void {
    if (this.pos + n > this.limit) throw new WireFormatError(`truncated ${what}`);
    this.pos += n;
  }

  private varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.limit) throw new WireFormatError('truncated varint');
      const b = this.buf[this.pos++] as number;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    throw new WireFormatError('varint too long');
  }
}

const EMPTY = new Uint8Array(0);

/** Iterates the top-level fields of an encoded message (fixed-width fields are skipped). */
export function* readFields(buf: Uint8Array): Generator<WireField> {
  const cursor = new FieldCursor().reset(buf);
  while (cursor.next()) {
    yield { field: cursor.field, wireType: cursor.wireType, value: cursor.value, bytes: cursor.wireType === 2 ? cursor.bytes() : EMPTY };
  }
}

const decoder = new TextDecoder();

const keyCursor = new FieldCursor();

/** Type, id and operation of an encoded ResourceState, without decoding its state. */
export function resourceKey(raw: Uint8Array): { type: number; id: string; operation: number } {
  let type = 0;
  let id = '';
  let operation = 0;
  const f = keyCursor.reset(raw);
  while (f.next()) {
    if (f.field === 1 && f.wireType === 0) type = f.value;
    else if (f.field === 2 && f.wireType === 2) id = decoder.decode(raw.subarray(f.start, f.end));
    else if (f.field === 3 && f.wireType === 0) operation = f.value;
  }
  return { type, id, operation };
}

/**
 * Copies records into one new buffer and returns views into it. A delta's records are views into the
 * message (or network read buffer) that carried them; a state kept as such a view would keep that
 * whole buffer alive for as long as the state is desired, one buffer per delta over an agent's life.
 */
export function packRecords(records: Iterable<Uint8Array>): Uint8Array[] {
  const list = [...records];
  let length = 0;
  for (const r of list) length += r.length;
  const packed = new Uint8Array(length);
  let offset = 0;
  return list.map((r) => {
    packed.set(r, offset);
    offset += r.length;
    return packed.subarray(offset - r.length, offset);
  });
}

/** Byte equality. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The ResourceStates (field 4) of SnapshotChunk encodings, as views into them. */
export function* chunkStates(chunks: readonly Uint8Array[]): Generator<Uint8Array> {
  const cursor = new FieldCursor();
  for (const chunk of chunks) {
    cursor.reset(chunk);
    while (cursor.next()) if (cursor.field === 4 && cursor.wireType === 2) yield cursor.bytes();
  }
}
