/** Small writing helpers shared by the importers: tags, timestamps and the imported-resource bookkeeping. */
import { timestamp } from '../services/standard-attributes.js';
import type { Queryable } from '../store/store.js';
import type { Kind } from './canonical.js';

/** Neutron's timestamp when it has one, else now (same format: second precision, `Z`). */
export function stamp(value: string | undefined): string {
  return value ?? timestamp();
}

/** Replaces the tag set of a resource with Neutron's (tags are stored as given). */
export async function setTags(tx: Queryable, resourceType: string, id: string, tags: readonly string[] | undefined): Promise<void> {
  await tx.run('DELETE FROM tags WHERE resource_type = ? AND resource_id = ?', [resourceType, id]);
  for (const tag of new Set(tags ?? [])) {
    await tx.run('INSERT INTO tags (resource_type, resource_id, tag) VALUES (?, ?, ?)', [resourceType, id, tag]);
  }
}

/** Marks a resource as imported from `sourceUrl` (idempotent). */
export async function markImported(tx: Queryable, kind: Kind, id: string, sourceUrl: string): Promise<void> {
  await tx.run(
    'INSERT INTO migrate_resources (resource_type, resource_id, source_url, imported_at) VALUES (?, ?, ?, ?) ON CONFLICT (resource_type, resource_id) DO NOTHING',
    [kind, id, sourceUrl, timestamp()],
  );
}

/** Forgets an imported resource (after deleting it). */
export async function forgetImported(tx: Queryable, kind: Kind, id: string): Promise<void> {
  await tx.run('DELETE FROM migrate_resources WHERE resource_type = ? AND resource_id = ?', [kind, id]);
}

/** Ids of everything imported so far, per kind. */
export async function importedIds(q: Queryable): Promise<Map<Kind, Set<string>>> {
  const rows = await q.all<{ resource_type: Kind; resource_id: string }>('SELECT resource_type, resource_id FROM migrate_resources');
  const out = new Map<Kind, Set<string>>();
  for (const r of rows) {
    const set = out.get(r.resource_type) ?? new Set<string>();
    set.add(r.resource_id);
    out.set(r.resource_type, set);
  }
  return out;
}
