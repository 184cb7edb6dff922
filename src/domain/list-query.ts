/**
 * A parsed Neutron list request: attribute filters (repeated values are OR-ed), sort keys and a page.
 * The API builds it from the query string; services turn it into SQL. Pure data.
 */

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
