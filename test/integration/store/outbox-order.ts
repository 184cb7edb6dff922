/** Checks that outbox revisions become visible in commit order while `writers` write, each appending two records. */
import assert from 'node:assert/strict';
import type { Store } from '../../../src/store/store.js';

/** Runs `write(i)` for `writers` writers while a reader tails the outbox, then checks what the reader saw. */
export async function assertOutboxInOrder(reader: Store, writers: number, write: (i: number) => Promise<void>): Promise<void> {
  let running = true;
  const snapshots: number[][] = [];
  const tail = (async () => {
    while (running) {
      const rows = await reader.read((q) => q.all<{ revision: number }>('SELECT revision FROM changes ORDER BY revision'));
      snapshots.push(rows.map((r) => r.revision));
    }
  })();
  try {
    await Promise.all(Array.from({ length: writers }, (_, i) => write(i)));
  } finally {
    running = false;
    await tail;
  }
  const all = await reader.read((q) => q.all<{ revision: number; resource_id: string }>('SELECT revision, resource_id FROM changes ORDER BY revision'));
  assert.equal(all.length, writers * 2);
  // A writer's two records are adjacent: no other transaction drew a revision in between.
  for (let i = 0; i < all.length; i += 2) assert.equal(all[i]?.resource_id, all[i + 1]?.resource_id);
  const final = all.map((r) => r.revision);
  for (const seen of snapshots) {
    const top = seen[seen.length - 1] ?? 0;
    assert.deepEqual(seen, final.filter((r) => r <= top), `a reader saw revision ${top} before an earlier one committed`);
  }
  assert.ok(snapshots.length > 1);
}
