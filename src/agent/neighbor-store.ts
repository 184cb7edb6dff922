/**
 * The agent's neighbors, stored by column. A host in a large VPC holds one neighbor per port of the VPC
 * (a million in the scale target); keeping a decoded protobuf object per neighbor made the heap several
 * GB of small objects that the garbage collector walked again and again while a snapshot was applied.
 * Here a neighbor costs its id string, one map entry and a few typed-array cells: the buffer its record
 * arrived in (shared by every record of that message), the record's offset and length, and its VPC.
 * `get()` decodes the record on demand (the drivers read a neighbor when they compile it), so the store
 * is the `ReadonlyMap` the driver contract promises without holding what it returns.
 *
 * Slots freed by a batch are reused only after the next `startBatch()`, so the changes of a batch can
 * decode their previous state lazily until the driver has applied them.
 */
import type { NeighborState } from '../proto/alcor/v1/goal_state_pb.js';
import { decodeNeighborRecord } from './neighbor-decoder.js';

/** No slot: the neighbor is not stored. */
export const NO_SLOT = -1;

/** Neighbors by id, decoded on read. */
export class NeighborStore implements ReadonlyMap<string, NeighborState> {
  private readonly slots = new Map<string, number>();
  private buffers: (ArrayBufferLike | undefined)[] = [];
  private offsets = new Float64Array(1024);
  private lengths = new Int32Array(1024);
  private vpcs = new Int32Array(1024);
  /** Set on the slots a snapshot listed (`replace` removes the others). */
  private marks = new Uint8Array(1024);
  private used = 0;
  private free: number[] = [];
  private released: number[] = [];
  /** VPC id → the number stored per slot (never shrinks: a host sees few VPCs). */
  private readonly vpcIndex = new Map<string, number>();

  get size(): number {
    return this.slots.size;
  }

  has(id: string): boolean {
    return this.slots.has(id);
  }

  get(id: string): NeighborState | undefined {
    const slot = this.slots.get(id);
    return slot === undefined ? undefined : this.decode(slot);
  }

  keys(): MapIterator<string> {
    return this.slots.keys();
  }

  *entries(): MapIterator<[string, NeighborState]> {
    for (const [id, slot] of this.slots) yield [id, this.decode(slot)];
  }

  *values(): MapIterator<NeighborState> {
    for (const slot of this.slots.values()) yield this.decode(slot);
  }

  [Symbol.iterator](): MapIterator<[string, NeighborState]> {
    return this.entries();
  }

  forEach(callback: (value: NeighborState, key: string, map: ReadonlyMap<string, NeighborState>) => void, thisArg?: unknown): void {
    for (const [id, slot] of this.slots) callback.call(thisArg, this.decode(slot), id, this);
  }

  /** The slot of a stored neighbor, or NO_SLOT. */
  slotOf(id: string): number {
    return this.slots.get(id) ?? NO_SLOT;
  }

  /** Ids of the stored neighbors with their slots. */
  slotEntries(): MapIterator<[string, number]> {
    return this.slots.entries();
  }

  /** Decodes the neighbor of a slot (also a slot released by the current batch). */
  decode(slot: number): NeighborState {
    const state = decodeNeighborRecord(this.record(slot));
    if (!state) throw new TypeError(`neighbor slot ${slot} holds no neighbor`);
    return state;
  }

  /** The raw ResourceState bytes of a slot (a view, no copy). */
  record(slot: number): Uint8Array {
    const buffer = this.buffers[slot];
    if (!buffer) throw new TypeError(`neighbor slot ${slot} is empty`);
    return new Uint8Array(buffer, this.offsets[slot], this.lengths[slot]);
  }

  /** True when a slot holds exactly these bytes. */
  holds(slot: number, record: Uint8Array): boolean {
    const length = this.lengths[slot] as number;
    if (length !== record.length) return false;
    const stored = new Uint8Array(this.buffers[slot] as ArrayBufferLike, this.offsets[slot], length);
    for (let i = length - 1; i >= 0; i--) if (stored[i] !== record[i]) return false;
    return true;
  }

  /** Stores a neighbor under a new slot (the caller released its old one); the record is kept as a view. */
  add(id: string, record: Uint8Array, vpcId: string): number {
    const slot = this.free.pop() ?? this.grow();
    this.buffers[slot] = record.buffer;
    this.offsets[slot] = record.byteOffset;
    this.lengths[slot] = record.length;
    this.vpcs[slot] = this.vpcNumber(vpcId);
    this.marks[slot] = 0;
    this.slots.set(id, slot);
    return slot;
  }

  /** Removes a neighbor; its slot stays readable until the next batch. Returns the slot or NO_SLOT. */
  remove(id: string): number {
    const slot = this.slots.get(id);
    if (slot === undefined) return NO_SLOT;
    this.slots.delete(id);
    this.released.push(slot);
    return slot;
  }

  /** Starts a batch: slots released by the previous one are reused from now on. */
  startBatch(): void {
    for (const slot of this.released) {
      this.buffers[slot] = undefined;
      this.free.push(slot);
    }
    this.released = [];
  }

  /** Ids of the neighbors of one VPC (a scan: leaving a VPC is rare, a per-VPC index costs every neighbor). */
  idsInVpc(vpcId: string): string[] {
    const vpc = this.vpcIndex.get(vpcId);
    const out: string[] = [];
    if (vpc === undefined) return out;
    for (const [id, slot] of this.slots) if (this.vpcs[slot] === vpc) out.push(id);
    return out;
  }

  /** Forgets the marks of every slot. */
  clearMarks(): void {
    this.marks.fill(0);
  }

  mark(slot: number): void {
    this.marks[slot] = 1;
  }

  /** Ids of the stored neighbors not marked since `clearMarks()`. */
  unmarked(): string[] {
    const out: string[] = [];
    for (const [id, slot] of this.slots) if (this.marks[slot] === 0) out.push(id);
    return out;
  }

  private vpcNumber(vpcId: string): number {
    let n = this.vpcIndex.get(vpcId);
    if (n === undefined) {
      n = this.vpcIndex.size;
      this.vpcIndex.set(vpcId, n);
    }
    return n;
  }

  private grow(): number {
    const slot = this.used++;
    if (slot >= this.lengths.length) {
      const size = this.lengths.length * 2;
      this.offsets = widen(this.offsets, new Float64Array(size));
      this.lengths = widen(this.lengths, new Int32Array(size));
      this.vpcs = widen(this.vpcs, new Int32Array(size));
      this.marks = widen(this.marks, new Uint8Array(size));
    }
    return slot;
  }
}

function widen<T extends Float64Array | Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}
