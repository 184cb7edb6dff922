/**
 * Persistence of the agent's desired state and revision in its state directory, so a restarted agent
 * resumes from its revision and reconciles instead of flushing. The file is a `SnapshotChunk` encoding
 * (revision + raw ResourceStates), written to a temporary file and renamed, so a crash leaves either
 * the old or the new state, never a torn one.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readFields } from './wire-reader.js';

/** What was persisted. */
export interface PersistedState {
  revision: number;
  states: Uint8Array[];
}

const FILE = 'desired-state.bin';

function varintLength(value: number): number {
  let n = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) n++;
  return n;
}

function writeVarint(out: Uint8Array, at: number, value: number): number {
  let pos = at;
  let v = value;
  while (v >= 0x80) {
    out[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[pos++] = v;
  return pos;
}

/** Reads the persisted state, or undefined when there is none (first start). */
export async function loadState(stateDir: string): Promise<PersistedState | undefined> {
  let buf: Buffer;
  try {
    buf = await readFile(join(stateDir, FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let revision = 0;
  const states: Uint8Array[] = [];
  for (const f of readFields(buf)) {
    if (f.field === 1 && f.wireType === 0) revision = f.value;
    else if (f.field === 4 && f.wireType === 2) states.push(f.bytes);
  }
  return { revision, states };
}

/** Writes the state atomically, encoded into one buffer (a million neighbors are a million records). */
export async function saveState(stateDir: string, revision: number, states: Iterable<Uint8Array>): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  const list = [...states];
  let length = 1 + varintLength(revision);
  for (const s of list) length += 1 + varintLength(s.length) + s.length;
  const out = Buffer.allocUnsafe(length);
  // SnapshotChunk field 1 (revision, varint), then field 4 (a ResourceState, length-delimited) per state.
  out[0] = 0x08;
  let pos = writeVarint(out, 1, revision);
  for (const s of list) {
    out[pos++] = 0x22;
    pos = writeVarint(out, pos, s.length);
    out.set(s, pos);
    pos += s.length;
  }
  const tmp = join(stateDir, `${FILE}.tmp`);
  await writeFile(tmp, out);
  await rename(tmp, join(stateDir, FILE));
}
