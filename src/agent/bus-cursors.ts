/**
 * The agent's position on each VPC subject of the bus, persisted next to its desired state
 * (`<state-dir>/bus-cursors.json`, written after `desired-state.bin` and renamed into place), so a
 * restarted agent catches up from the stream sequence after the last delta it applied.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Position of one VPC scope on this host. */
export interface VpcCursor {
  /** Newest revision of the scope applied here. */
  revision: number;
  /** Stream sequence of the bus message that carried it; 0 when it came over gRPC. */
  sequence: number;
}

const CURSOR_FILE = 'bus-cursors.json';

/** Writes the cursors atomically. */
export async function saveCursors(stateDir: string, cursors: ReadonlyMap<string, VpcCursor>): Promise<void> {
  const tmp = join(stateDir, `${CURSOR_FILE}.tmp`);
  await writeFile(tmp, JSON.stringify(Object.fromEntries(cursors)));
  await rename(tmp, join(stateDir, CURSOR_FILE));
}

/** The persisted cursors (none when there is no file); `onUnreadable` hears about a damaged one. */
export async function loadCursors(stateDir: string, onUnreadable: (err: unknown) => void): Promise<Map<string, VpcCursor>> {
  const cursors = new Map<string, VpcCursor>();
  let text: string;
  try {
    text = await readFile(join(stateDir, CURSOR_FILE), 'utf8');
  } catch {
    return cursors;
  }
  try {
    const stored = JSON.parse(text) as Record<string, Partial<VpcCursor>>;
    for (const [vpc, c] of Object.entries(stored)) cursors.set(vpc, { revision: Number(c.revision) || 0, sequence: Number(c.sequence) || 0 });
  } catch (err) {
    onUnreadable(err);
  }
  return cursors;
}
