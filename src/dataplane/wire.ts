/**
 * Wire assembly of southbound messages from pre-encoded parts. Protobuf decodes concatenated
 * encodings of a message as their merge (repeated fields append), so a scope's delta is encoded once
 * and the same bytes are spliced into the message of every host that receives it: compile and encode
 * cost stay O(1) per change however many hosts share a VPC.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { ResourceStateSchema, ResourceType, Operation, type ResourceState } from '../proto/alcor/v1/goal_state_pb.js';
import { encodeSnapshotChunk } from '../proto/snapshot-chunk.js';

/** Goal-state resource kinds, named like the agent's driver kinds. */
export type Kind = 'vpc' | 'subnet' | 'securityGroup' | 'router' | 'port' | 'dhcp' | 'neighbor';

/** Protobuf enum value of each kind. */
export const KIND_TYPES: Record<Kind, ResourceType> = {
  vpc: ResourceType.VPC,
  subnet: ResourceType.SUBNET,
  securityGroup: ResourceType.SECURITY_GROUP,
  router: ResourceType.ROUTER,
  port: ResourceType.PORT,
  dhcp: ResourceType.DHCP,
  neighbor: ResourceType.NEIGHBOR,
};

const encoder = new TextEncoder();

/** Bytes of an unsigned varint. */
export function varint(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** A length-delimited field (wire type 2): message, string or bytes. */
export function lengthField(field: number, bytes: Uint8Array | string): Uint8Array {
  const body = typeof bytes === 'string' ? encoder.encode(bytes) : bytes;
  return concat([varint((field << 3) | 2), varint(body.length), body]);
}

/** A varint field (wire type 0); zero is omitted like proto3 does. */
export function varintField(field: number, value: number): Uint8Array {
  return value === 0 ? new Uint8Array(0) : concat([varint(field << 3), varint(value)]);
}

/** Encodes one resource state as an upsert. */
export function encodeUpsert(kind: Kind, id: string, state: ResourceState['state']): Uint8Array {
  return toBinary(ResourceStateSchema, create(ResourceStateSchema, { type: KIND_TYPES[kind], id, operation: Operation.UPSERT, state }));
}

/** Encodes the deletion of one resource. */
export function encodeDelete(kind: Kind, id: string): Uint8Array {
  return toBinary(ResourceStateSchema, create(ResourceStateSchema, { type: KIND_TYPES[kind], id, operation: Operation.DELETE }));
}

/**
 * `GoalStateDelta.scopes` entry (field 2) holding a ScopeDelta with the given encoded ResourceStates;
 * `full` marks them as the whole scope (the host drops what it holds of the scope and is not listed).
 */
export function scopeDeltaField(scope: string, states: readonly Uint8Array[], full = false): Uint8Array {
  return lengthField(2, concat([lengthField(1, scope), ...states.map((s) => lengthField(2, s)), varintField(3, full ? 1 : 0)]));
}

/** An encoded `GoalStateDelta` from a revision and pre-encoded scope fields. */
export function goalStateDelta(revision: number, scopeFields: readonly Uint8Array[], baseRevision = 0): Uint8Array {
  return concat([varintField(1, revision), ...scopeFields, varintField(3, baseRevision)]);
}

/** A complete `WatchResponse{delta}` from a revision and pre-encoded scope fields. */
export function watchDelta(revision: number, scopeFields: readonly Uint8Array[], baseRevision = 0): Uint8Array {
  return lengthField(2, goalStateDelta(revision, scopeFields, baseRevision));
}

/**
 * A complete `WatchResponse{snapshot}` chunk from pre-encoded ResourceStates, written into one buffer:
 * a host snapshot of a million neighbors is a few hundred of these.
 */
export function watchSnapshotChunk(revision: number, index: number, last: boolean, states: readonly Uint8Array[]): Uint8Array {
  return encodeSnapshotChunk({ revision, index, last, states }, 3);
}

/** The chunks of a snapshot of `states` at `revision`, `size` states each (at least one chunk, even when empty). */
export function* watchSnapshotChunks(revision: number, states: readonly Uint8Array[], size: number): Generator<Uint8Array> {
  const count = Math.max(1, Math.ceil(states.length / size));
  for (let i = 0; i < count; i++) yield watchSnapshotChunk(revision, i, i === count - 1, states.slice(i * size, (i + 1) * size));
}

/** Byte equality. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
