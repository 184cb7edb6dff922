/**
 * Neutron list conventions on the wire: attribute filters (a repeated parameter ORs its values),
 * `fields`, `sort_key`/`sort_dir`, `limit`/`marker`/`page_reverse`, and the `<collection>_links`
 * of a paged answer.
 */
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { BadRequest } from '../domain/errors.js';
import type { ListQuery, SortKey } from '../domain/list-query.js';

/** The query-string schema of list routes: paging keys are typed, any attribute filter is allowed. */
export const ListQuerystring = Type.Object(
  {
    fields: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
    sort_key: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
    sort_dir: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
    limit: Type.Optional(Type.String({ description: 'page size' })),
    marker: Type.Optional(Type.String({ description: 'id of the last item of the previous page' })),
    page_reverse: Type.Optional(Type.String()),
  },
  { additionalProperties: Type.Union([Type.String(), Type.Array(Type.String())]) },
);

/** The query string of GET on one resource: only `fields`. */
export const ShowQuerystring = Type.Object(
  { fields: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])) },
  { additionalProperties: Type.Union([Type.String(), Type.Array(Type.String())]) },
);

const RESERVED = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse']);

type RawQuery = Record<string, string | string[] | undefined>;

function many(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The `fields=` of a request (comma lists allowed), or undefined for all fields. */
export function parseFields(raw: RawQuery): string[] | undefined {
  const fields = many(raw.fields).flatMap((f) => f.split(',')).map((f) => f.trim()).filter(Boolean);
  return fields.length ? fields : undefined;
}

/** Parses a list request; unknown filter attributes are rejected by the service's table spec. */
export function parseListQuery(raw: RawQuery): ListQuery {
  const filters = new Map<string, string[]>();
  for (const [key, value] of Object.entries(raw)) {
    if (!RESERVED.has(key) && value !== undefined) filters.set(key, many(value));
  }
  const keys = many(raw.sort_key);
  const dirs = many(raw.sort_dir);
  if (dirs.length && dirs.length !== keys.length) throw new BadRequest('The number of sort_keys and sort_dirs must be the same');
  const sort: SortKey[] = keys.map((attribute, i) => {
    const direction = dirs[i] ?? 'asc';
    if (direction !== 'asc' && direction !== 'desc') throw new BadRequest(`sort_dir '${direction}' must be asc or desc`);
    return { attribute, direction };
  });
  const limitText = many(raw.limit)[0];
  let limit: number | undefined;
  if (limitText !== undefined) {
    if (!/^\d+$/.test(limitText)) throw new BadRequest(`Invalid limit '${limitText}': expected a non-negative integer`);
    limit = Number(limitText) === 0 ? undefined : Math.min(Number(limitText), 100000);
  }
  const reverseText = many(raw.page_reverse)[0]?.toLowerCase();
  if (reverseText !== undefined && !['true', 'false', '1', '0'].includes(reverseText)) {
    throw new BadRequest(`Invalid page_reverse '${reverseText}': expected true or false`);
  }
  return { filters, sort, limit, marker: many(raw.marker)[0], pageReverse: reverseText === 'true' || reverseText === '1' };
}

/** Keeps only the requested fields of a resource. */
export function pickFields<T extends object>(item: T, fields: string[] | undefined): Partial<T> {
  if (!fields) return item;
  const out: Record<string, unknown> = {};
  for (const f of fields) if (f in item) out[f] = (item as Record<string, unknown>)[f];
  return out as Partial<T>;
}

/** A pagination link. */
export interface PageLink {
  rel: 'next' | 'previous';
  href: string;
}

/** Neutron's `<collection>_links`: `next` when the page is full, `previous` when paging from a marker. */
export function pageLinks(request: FastifyRequest, query: ListQuery, ids: { first?: string; last?: string }, hasMore: boolean): PageLink[] {
  if (query.limit === undefined) return [];
  const base = `${request.protocol}://${request.host}${request.url.split('?')[0] ?? ''}`;
  const raw = request.query as RawQuery;
  const link = (rel: PageLink['rel'], marker: string, reverse: boolean): PageLink => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(raw)) {
      if (key === 'marker' || key === 'page_reverse') continue;
      for (const v of many(value)) params.append(key, v);
    }
    params.set('marker', marker);
    if (reverse) params.set('page_reverse', 'True');
    return { rel, href: `${base}?${params.toString()}` };
  };
  const links: PageLink[] = [];
  const forwardMore = query.pageReverse ? query.marker !== undefined : hasMore;
  const backwardMore = query.pageReverse ? hasMore : query.marker !== undefined;
  if (forwardMore && ids.last) links.push(link('next', ids.last, false));
  if (backwardMore && ids.first) links.push(link('previous', ids.first, true));
  return links;
}
