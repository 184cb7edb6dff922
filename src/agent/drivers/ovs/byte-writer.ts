/**
 * Appends big-endian fields to one growing buffer: bundles of flow-mods are written straight into the
 * chunk that goes to the socket, without a buffer per message.
 */
/** A growing buffer of big-endian fields. */
export class ByteWriter {
  buffer: Buffer;
  length = 0;

  constructor(capacity = 4096) {
    this.buffer = Buffer.allocUnsafe(capacity);
  }

  /** Makes room for `n` more bytes (not zeroed) and returns the offset to write them at. */
  reserve(n: number): number {
    const at = this.length;
    if (at + n > this.buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, at + n));
      this.buffer.copy(bigger, 0, 0, at);
      this.buffer = bigger;
    }
    this.length = at + n;
    return at;
  }
  // reserve() may replace the buffer: call it before reading this.buffer.
  u8(v: number): void {
    const at = this.reserve(1);
    this.buffer.writeUInt8(v, at);
  }
  u16(v: number): void {
    const at = this.reserve(2);
    this.buffer.writeUInt16BE(v, at);
  }
  u32(v: number): void {
    const at = this.reserve(4);
    this.buffer.writeUInt32BE(v >>> 0, at);
  }
  u64(v: bigint): void {
    const at = this.reserve(8);
    this.buffer.writeBigUInt64BE(v, at);
  }
  /** Appends a copy of `data`. */
  append(data: Buffer): void {
    const at = this.reserve(data.length);
    data.copy(this.buffer, at);
  }
  zeros(n: number): void {
    const at = this.reserve(n);
    for (let i = 0; i < n; i++) this.buffer[at + i] = 0;
  }
  /** Zero-pads to a multiple of 8 bytes from `start`. */
  pad8(start: number): void {
    const rest = (this.length - start) % 8;
    if (rest) this.zeros(8 - rest);
  }

  /** The bytes written so far (a view, not a copy). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}
