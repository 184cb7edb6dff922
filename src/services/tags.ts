/**
 * The tags sub-resource (`/v2.0/{collection}/{id}/tags[/{tag}]`, Neutron's standard-attr-tag) for every
 * taggable collection. Visibility follows the resource's own listing rules; changing tags needs
 * ownership (or admin) and bumps the resource's revision_number, as in Neutron.
 */
import type { RequestContext } from '../domain/context.js';
import { TagNotFound } from '../domain/errors.js';
import type { Queryable, Store } from '../store/store.js';
import { assertOwner } from './access.js';
import { loadTags, replaceTags, timestamp, validateTag } from './standard-attributes.js';
import { getVisibleRow, type TableSpec } from './table-list.js';

/** One taggable collection: its URL name, the singular used in policy messages, and its listing spec. */
export interface TagTarget {
  collection: string;
  resource: string;
  spec: TableSpec;
}

/** The tag service. */
export interface TagService {
  /** URL collection names that take tags. */
  collections(): string[];
  list(ctx: RequestContext, collection: string, id: string): Promise<string[]>;
  replace(ctx: RequestContext, collection: string, id: string, tags: string[]): Promise<string[]>;
  clear(ctx: RequestContext, collection: string, id: string): Promise<void>;
  /** Throws TagNotFound unless the resource has the tag. */
  check(ctx: RequestContext, collection: string, id: string, tag: string): Promise<void>;
  add(ctx: RequestContext, collection: string, id: string, tag: string): Promise<void>;
  remove(ctx: RequestContext, collection: string, id: string, tag: string): Promise<void>;
}

/** Builds the tag service over the given targets. */
export function createTagService(store: Store, targets: TagTarget[]): TagService {
  const byCollection = new Map(targets.map((t) => [t.collection, t]));
  const target = (collection: string): TagTarget & { tagType: string } => {
    const t = byCollection.get(collection);
    // Routes are registered only for known collections, so this is a wiring bug if it happens.
    if (!t?.spec.tagType) throw new TagNotFound(`Collection ${collection} does not take tags`);
    return { ...t, tagType: t.spec.tagType };
  };
  const tagsOf = async (q: Queryable, tagType: string, id: string) => (await loadTags(q, tagType, [id])).get(id) ?? [];
  const writable = async (tx: Queryable, ctx: RequestContext, collection: string, id: string) => {
    const t = target(collection);
    const row = await getVisibleRow<{ project_id: string }>(tx, t.spec, ctx, id);
    assertOwner(ctx, row.project_id, 'update', t.resource, id);
    return t;
  };
  const touch = async (tx: Queryable, t: TagTarget, id: string) => {
    await tx.run(`UPDATE ${t.spec.table} SET revision_number = revision_number + 1, updated_at = ? WHERE id = ?`, [timestamp(), id]);
  };

  return {
    collections: () => [...byCollection.keys()],
    list: (ctx, collection, id) =>
      store.read(async (q) => {
        const t = target(collection);
        await getVisibleRow(q, t.spec, ctx, id);
        return tagsOf(q, t.tagType, id);
      }),
    replace: (ctx, collection, id, tags) =>
      store.write(async (tx) => {
        const t = await writable(tx, ctx, collection, id);
        await replaceTags(tx, t.tagType, id, tags);
        await touch(tx, t, id);
        return tagsOf(tx, t.tagType, id);
      }),
    clear: (ctx, collection, id) =>
      store.write(async (tx) => {
        const t = await writable(tx, ctx, collection, id);
        await replaceTags(tx, t.tagType, id, []);
        await touch(tx, t, id);
      }),
    check: (ctx, collection, id, tag) =>
      store.read(async (q) => {
        const t = target(collection);
        await getVisibleRow(q, t.spec, ctx, id);
        if (!(await tagsOf(q, t.tagType, id)).includes(tag)) throw new TagNotFound(`Tag ${tag} could not be found for ${t.resource} ${id}.`);
      }),
    add: (ctx, collection, id, tag) =>
      store.write(async (tx) => {
        validateTag(tag);
        const t = await writable(tx, ctx, collection, id);
        const current = await tagsOf(tx, t.tagType, id);
        if (current.includes(tag)) return;
        await replaceTags(tx, t.tagType, id, [...current, tag]);
        await touch(tx, t, id);
      }),
    remove: (ctx, collection, id, tag) =>
      store.write(async (tx) => {
        const t = await writable(tx, ctx, collection, id);
        const current = await tagsOf(tx, t.tagType, id);
        if (!current.includes(tag)) throw new TagNotFound(`Tag ${tag} could not be found for ${t.resource} ${id}.`);
        await replaceTags(tx, t.tagType, id, current.filter((c) => c !== tag));
        await touch(tx, t, id);
      }),
  };
}
