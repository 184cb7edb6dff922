/**
 * Persistence of the agent's desired state and revision in its state directory, so a restarted agent
 * resumes from its revision and reconciles instead of flushing. The file is a `SnapshotChunk` encoding
 * (revision + raw ResourceStates), written to a temporary file and renamed, so a crash leaves either
 * the old or the new state, never a torn one.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeSnapshotChunk } from '../proto/snapshot-chunk.js';
import { readFields } from './wire-reader.js';

/** What was persisted. */
export interface PersistedState {
  revision: number;
  states: Uint8Array[];
}

const FILE = 'desired-state.bin';

/**
 * Reads the persisted state, or undefined when there is none (first start) or when it cannot be read or
 * decoded: `onUnreadable` hears why. An agent that cannot use its file starts empty and takes the
 * controller's snapshot; refusing to start would leave the host unmanaged (a crash loop under systemd).
 */
export async function loadState(stateDir: string, onUnreadable: (err: unknown) => void): Promise<PersistedState | undefined> {
  let buf: Buffer;
  try {
    buf = await readFile(join(stateDir, FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onUnreadable(err);
    return undefined;
  }
  let revision = 0;
  const states: Uint8Array[] = [];
  try {
    for (const f of readFields(buf)) {
      if (f.field === 1 && f.wireType === 0) revision = f.value;
      else if (f.field === 4 && f.wireType === 2) states.push(f.bytes);
    }
  } catch (err) {
    onUnreadable(err);
    return undefined;
  }
  return { revision, states };
}

/** Writes the state atomically, encoded into one buffer (a million neighbors are a million records). */
export async function saveState(stateDir: string, revision: number, states: Iterable<Uint8Array>): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  // The file is a SnapshotChunk{revision, states}.
  const out = encodeSnapshotChunk({ revision, index: 0, last: false, states: [...states] });
  const tmp = join(stateDir, `${FILE}.tmp`);
  await writeFile(tmp, out);
  await rename(tmp, join(stateDir, FILE));
}
