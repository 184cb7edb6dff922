/**
 * A parsed Neutron list request: attribute filters (repeated values are OR-ed), sort keys and a page.
 * The API builds it from the query string; services turn it into SQL. Pure data.
 */
import { BadRequest } from './errors.js';

/** One sort key. */
export interface SortKey {
  attribute: string;
  direction: 'asc' | 'desc';
}

/** What a list request asks for. */
export interface ListQuery {
  /** Attribute → accepted values (any of them matches). */
  filters: Map<string, string[]>;
  /** Sort keys in priority order; `id` is always appended as the final tie-breaker. */
  sort: SortKey[];
  /** Page size; undefined lists everything. */
  limit?: number;
  /** Id of the last item of the previous page. */
  marker?: string;
  /** Page backwards from the marker (Neutron's `page_reverse`). */
  pageReverse: boolean;
}

/** One page of results; `hasMore` says whether the page was cut by `limit`. */
export interface ListPage<T> {
  items: T[];
  hasMore: boolean;
}

/** An empty query: everything, sorted by id. */
export function listAll(): ListQuery {
  return { filters: new Map(), sort: [], pageReverse: false };
}

/**
 * Filters a small list held in memory (zones, service providers), whose items have no id to page by: each
 * filter is an attribute of the items, its values OR-ed (booleans as true/false/1/0, the rest as text).
 * Other filters, sorting and paging are refused with 400.
 */
export function filterItems<T extends object>(items: readonly T[], query: ListQuery, collection: string): T[] {
  if (query.sort.length > 0 || query.limit !== undefined || query.marker !== undefined || query.pageReverse) {
    throw new BadRequest(`${collection} cannot be sorted or paged`);
  }
  const attributes = new Set(items.flatMap((item) => Object.keys(item)));
  for (const attribute of query.filters.keys()) {
    if (!attributes.has(attribute)) throw new BadRequest(`${attribute} is not a valid filter for ${collection}`);
  }
  const text = (value: unknown, given: string): string => {
    if (typeof value !== 'boolean') return given;
    const v = given.toLowerCase();
    if (!['true', 'false', '1', '0'].includes(v)) throw new BadRequest(`Invalid value '${given}' for a boolean filter of ${collection}`);
    return String(v === 'true' || v === '1');
  };
  return items.filter((item) =>
    [...query.filters].every(([attribute, values]) => {
      const value = (item as Record<string, unknown>)[attribute];
      return values.some((given) => text(value, given) === String(value));
    }),
  );
}
