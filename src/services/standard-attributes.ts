/**
 * Neutron's "standard attributes" shared by every resource: ids, timestamps, revision numbers with
 * `If-Match` checks, and tags.
 */
import { randomUUID } from 'node:crypto';
import { BadRequest, RevisionNumberConstraintFailed } from '../domain/errors.js';
import type { Queryable } from '../store/store.js';

/** A new resource id (UUID v4, as Neutron). */
export function newId(): string {
  return randomUUID();
}

/** Neutron's timestamp format: UTC, second precision, `Z` suffix. */
export function timestamp(date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** Throws 412 when the client's `If-Match: revision_number=N` constraint does not hold. */
export function checkRevision(resource: string, id: string, current: number, expected: number | undefined): void {
  if (expected !== undefined && expected !== current) {
    throw new RevisionNumberConstraintFailed(
      `Constraint error on ${resource} ${id}: expected revision_number ${expected}, current is ${current}`,
    );
  }
}

const MAX_TAG_LENGTH = 255;

/** Validates one tag as Neutron does (non-empty, at most 255 characters, no comma or slash). */
export function validateTag(tag: string): void {
  if (tag === '' || tag.length > MAX_TAG_LENGTH || /[,/]/.test(tag)) {
    throw new BadRequest(`Invalid tag '${tag}': tags are 1-${MAX_TAG_LENGTH} characters without ',' or '/'`);
  }
}

/** Tags of many resources at once, keyed by resource id, each list sorted. */
export async function loadTags(q: Queryable, resourceType: string, ids: readonly string[]): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return result;
  for (const chunk of chunks(ids, 500)) {
    const rows = await q.all<{ resource_id: string; tag: string }>(
      `SELECT resource_id, tag FROM tags WHERE resource_type = ? AND resource_id IN (${chunk.map(() => '?').join(',')}) ORDER BY tag`,
      [resourceType, ...chunk],
    );
    for (const row of rows) result.get(row.resource_id)?.push(row.tag);
  }
  return result;
}

/** Replaces the tag set of one resource. */
export async function replaceTags(q: Queryable, resourceType: string, id: string, tags: readonly string[]): Promise<void> {
  tags.forEach(validateTag);
  await q.run('DELETE FROM tags WHERE resource_type = ? AND resource_id = ?', [resourceType, id]);
  for (const tag of new Set(tags)) {
    await q.run('INSERT INTO tags (resource_type, resource_id, tag) VALUES (?, ?, ?)', [resourceType, id, tag]);
  }
}

/** Deletes every tag of one resource (with the resource itself). */
export async function deleteTags(q: Queryable, resourceType: string, id: string): Promise<void> {
  await q.run('DELETE FROM tags WHERE resource_type = ? AND resource_id = ?', [resourceType, id]);
}

/** Splits a list into chunks (SQL parameter lists have engine limits). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
