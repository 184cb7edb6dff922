/**
 * Hand-written encoder of `SnapshotChunk` (goal_state.proto) into one buffer: the controller's snapshot
 * chunks and the agent's state file both hold up to a million ResourceStates already encoded, which
 * protobuf-es would copy into objects first. Kept here, next to the generated code, because both the
 * controller and the agent (which may import nothing else of ours) use it.
 */
import { varintLength, writeVarint } from './varint.js';

/** A SnapshotChunk's fields; `states` are encoded ResourceStates. */
export interface SnapshotChunkParts {
  revision: number;
  index: number;
  last: boolean;
  states: readonly Uint8Array[];
}

/**
 * The encoded SnapshotChunk (zero fields omitted, as proto3 does); with `envelopeField`, wrapped as that
 * length-delimited field of the enclosing message (e.g. 3 for `WatchResponse.snapshot`).
 */
export function encodeSnapshotChunk(chunk: SnapshotChunkParts, envelopeField?: number): Uint8Array {
  const head: Array<[number, number]> = [
    [1, chunk.revision],
    [2, chunk.index],
    [3, chunk.last ? 1 : 0],
  ];
  let length = 0;
  for (const [field, value] of head) if (value !== 0) length += varintLength(field << 3) + varintLength(value);
  for (const s of chunk.states) length += 1 + varintLength(s.length) + s.length;
  const envelope = envelopeField === undefined ? 0 : varintLength((envelopeField << 3) | 2) + varintLength(length);
  const out = new Uint8Array(envelope + length);
  let pos = 0;
  if (envelopeField !== undefined) {
    pos = writeVarint(out, pos, (envelopeField << 3) | 2);
    pos = writeVarint(out, pos, length);
  }
  for (const [field, value] of head) {
    if (value === 0) continue;
    pos = writeVarint(out, pos, field << 3);
    pos = writeVarint(out, pos, value);
  }
  for (const s of chunk.states) {
    out[pos++] = (4 << 3) | 2;
    pos = writeVarint(out, pos, s.length);
    out.set(s, pos);
    pos += s.length;
  }
  return out;
}
