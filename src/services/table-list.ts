/**
 * Generic Neutron-style listing over one table: attribute filters, tag filters, visibility, multi-key
 * sorting and keyset pagination (`marker` + `limit`, forwards or reversed), all in SQL so that a page
 * of 100 out of 100,000 rows reads about 100 rows.
 */
import type { RequestContext } from '../domain/context.js';
import { BadRequest } from '../domain/errors.js';
import type { ListQuery, SortKey } from '../domain/list-query.js';
import type { Queryable, SqlValue } from '../store/store.js';

/** How an API attribute maps onto a column. */
export interface ColumnAttribute {
  column: string;
  kind: 'string' | 'bool' | 'int';
  /** The column may be NULL (sorting coalesces it so keyset comparisons stay total). */
  nullable?: boolean;
}

/** A SQL condition on the table (aliased `t`) with its parameters. */
export interface SqlCondition {
  sql: string;
  params: SqlValue[];
}

/** Describes one listable table. */
export interface TableSpec {
  table: string;
  /** Resource type name used in the tags table, or undefined when the resource has no tags. */
  tagType?: string;
  /** Attributes stored in columns: filterable and sortable. */
  columns: Record<string, ColumnAttribute>;
  /** Filterable attributes that are not plain columns (e.g. a port's fixed_ips, or `shared` as the caller sees it); they win over a column of the same name. */
  virtualFilters?: Record<string, (values: string[], ctx: RequestContext) => SqlCondition>;
  /** Rows the caller may see; undefined means all (admin). */
  visibility: (ctx: RequestContext) => SqlCondition | undefined;
  /** The error for a missing marker or id. */
  notFound: (id: string) => Error;
}

/** Neutron's standard attributes, stored under the same column names by every resource table. */
export const STANDARD_COLUMNS: Record<string, ColumnAttribute> = {
  id: { column: 'id', kind: 'string' },
  description: { column: 'description', kind: 'string' },
  project_id: { column: 'project_id', kind: 'string' },
  tenant_id: { column: 'project_id', kind: 'string' },
  revision_number: { column: 'revision_number', kind: 'int' },
  created_at: { column: 'created_at', kind: 'string' },
  updated_at: { column: 'updated_at', kind: 'string' },
};

/** Attributes stored in columns of the same name and kind: `sameNameColumns('bool', 'admin_state_up', 'shared')`. */
export function sameNameColumns(kind: ColumnAttribute['kind'], ...names: string[]): Record<string, ColumnAttribute> {
  return Object.fromEntries(names.map((name) => [name, { column: name, kind }]));
}

/** The same for columns that may be NULL. */
export function nullableColumns(kind: ColumnAttribute['kind'], ...names: string[]): Record<string, ColumnAttribute> {
  return Object.fromEntries(names.map((name) => [name, { column: name, kind, nullable: true }]));
}

/** Visibility of resources only their project sees (routers, floating IPs, security groups). */
export const OWN_PROJECT_ONLY: TableSpec['visibility'] = (ctx) => (ctx.isAdmin ? undefined : { sql: 't.project_id = ?', params: [ctx.projectId] });

/**
 * Visibility of rows their project sees and so does whoever may see their parent row through `parent`
 * (a condition on the parent aliased `x`): subnets of shared networks, ports on a project's networks.
 */
export function ownOrParentVisibility(table: string, key: string, parent: (ctx: RequestContext) => SqlCondition): TableSpec['visibility'] {
  return (ctx) => {
    if (ctx.isAdmin) return undefined;
    const condition = parent(ctx);
    return {
      sql: `(t.project_id = ? OR EXISTS (SELECT 1 FROM ${table} x WHERE x.id = t.${key} AND ${condition.sql}))`,
      params: [ctx.projectId, ...condition.params],
    };
  };
}

const TAG_FILTERS = ['tags', 'tags-any', 'not-tags', 'not-tags-any'] as const;
type TagFilter = (typeof TAG_FILTERS)[number];

function isTagFilter(name: string): name is TagFilter {
  return (TAG_FILTERS as readonly string[]).includes(name);
}

/** Attribute names a list request may filter on. */
export function filterableAttributes(spec: TableSpec): string[] {
  return [...Object.keys(spec.columns), ...Object.keys(spec.virtualFilters ?? {}), ...(spec.tagType ? TAG_FILTERS : [])];
}

function parseBool(value: string, attribute: string): number {
  const v = value.toLowerCase();
  if (v === 'true' || v === '1') return 1;
  if (v === 'false' || v === '0') return 0;
  throw new BadRequest(`Invalid value '${value}' for filter ${attribute}: expected true or false`);
}

function filterValue(attr: ColumnAttribute, value: string, attribute: string): SqlValue {
  if (attr.kind === 'bool') return parseBool(value, attribute);
  if (attr.kind === 'int') {
    if (!/^-?\d+$/.test(value)) throw new BadRequest(`Invalid value '${value}' for filter ${attribute}: expected an integer`);
    return Number(value);
  }
  return value;
}

function tagCondition(spec: TableSpec, filter: TagFilter, values: string[]): SqlCondition {
  const tags = values.flatMap((v) => v.split(',')).filter((t) => t !== '');
  const exists = (tag: string): SqlCondition => ({
    sql: 'EXISTS (SELECT 1 FROM tags g WHERE g.resource_type = ? AND g.resource_id = t.id AND g.tag = ?)',
    params: [spec.tagType ?? '', tag],
  });
  const parts = tags.map(exists);
  const joiner = filter === 'tags' || filter === 'not-tags' ? ' AND ' : ' OR ';
  const sql = parts.length ? `(${parts.map((p) => p.sql).join(joiner)})` : '1=1';
  const negate = filter.startsWith('not-');
  return { sql: negate ? `NOT ${sql}` : sql, params: parts.flatMap((p) => p.params) };
}

/** The WHERE conditions of a list request (filters and visibility), without paging. */
export function whereConditions(spec: TableSpec, ctx: RequestContext, query: ListQuery): SqlCondition[] {
  const conditions: SqlCondition[] = [];
  const visible = spec.visibility(ctx);
  if (visible) conditions.push(visible);
  for (const [attribute, values] of query.filters) {
    const column = spec.columns[attribute];
    const virtual = spec.virtualFilters?.[attribute];
    if (virtual) {
      conditions.push(virtual(values, ctx));
    } else if (column) {
      // An empty value matches NULL on nullable columns (e.g. provider:segmentation_id of flat networks).
      const matchNull = column.nullable === true && values.includes('');
      const concrete = values.filter((v) => !(matchNull && v === '')).map((v) => filterValue(column, v, attribute));
      const alternatives: string[] = [];
      if (concrete.length) alternatives.push(`t.${column.column} IN (${concrete.map(() => '?').join(', ')})`);
      if (matchNull) alternatives.push(`t.${column.column} IS NULL`);
      conditions.push({ sql: `(${alternatives.join(' OR ')})`, params: concrete });
    } else if (spec.tagType && isTagFilter(attribute)) {
      conditions.push(tagCondition(spec, attribute, values));
    } else {
      throw new BadRequest(`${attribute} is not a valid filter for ${spec.table}`);
    }
  }
  return conditions;
}

function sortExpression(attr: ColumnAttribute): string {
  if (!attr.nullable) return `t.${attr.column}`;
  return `COALESCE(t.${attr.column}, ${attr.kind === 'string' ? "''" : '-1'})`;
}

function resolveSort(spec: TableSpec, sort: SortKey[], reverse: boolean): { expr: string; desc: boolean }[] {
  const keys = sort.map((key) => {
    const attr = spec.columns[key.attribute];
    if (!attr) throw new BadRequest(`${key.attribute} is not a valid sort key for ${spec.table}`);
    return { expr: sortExpression(attr), desc: key.direction === 'desc' };
  });
  if (!sort.some((k) => k.attribute === 'id')) keys.push({ expr: 't.id', desc: sort[0]?.direction === 'desc' });
  return keys.map((k) => ({ expr: k.expr, desc: k.desc !== reverse }));
}

/** Lists rows matching the query, visible to ctx, one page at a time. Rows keep their raw column names. */
export async function listRows<R>(
  q: Queryable,
  spec: TableSpec,
  ctx: RequestContext,
  query: ListQuery,
): Promise<{ rows: R[]; hasMore: boolean }> {
  const conditions = whereConditions(spec, ctx, query);
  const keys = resolveSort(spec, query.sort, query.pageReverse);
  if (query.marker !== undefined) {
    const markerValues = await q.get<Record<string, SqlValue>>(
      `SELECT ${keys.map((k, i) => `${k.expr} AS k${i}`).join(', ')} FROM ${spec.table} t WHERE t.id = ?`,
      [query.marker],
    );
    if (!markerValues) throw spec.notFound(query.marker);
    // Keyset: (k1 > v1) OR (k1 = v1 AND k2 > v2) OR ..., with each key's own direction.
    const alternatives = keys.map((key, i) => {
      const equalities = keys.slice(0, i).map((k) => `${k.expr} = ?`);
      return [...equalities, `${key.expr} ${key.desc ? '<' : '>'} ?`].join(' AND ');
    });
    const params = keys.flatMap((_, i) => keys.slice(0, i + 1).map((__, j) => markerValues[`k${j}`] ?? null));
    conditions.push({ sql: `(${alternatives.map((a) => `(${a})`).join(' OR ')})`, params });
  }
  const where = conditions.length ? `WHERE ${conditions.map((c) => c.sql).join(' AND ')}` : '';
  const order = keys.map((k) => `${k.expr} ${k.desc ? 'DESC' : 'ASC'}`).join(', ');
  const limit = query.limit !== undefined ? ` LIMIT ${query.limit + 1}` : '';
  const rows = await q.all<R>(
    `SELECT t.* FROM ${spec.table} t ${where} ORDER BY ${order}${limit}`,
    conditions.flatMap((c) => c.params),
  );
  const hasMore = query.limit !== undefined && rows.length > query.limit;
  if (hasMore) rows.pop();
  if (query.pageReverse) rows.reverse();
  return { rows, hasMore };
}

/** One row by id if ctx may see it, else throws the spec's not-found error. */
export async function getVisibleRow<R>(q: Queryable, spec: TableSpec, ctx: RequestContext, id: string): Promise<R> {
  const visible = spec.visibility(ctx);
  const row = await q.get<R>(
    `SELECT t.* FROM ${spec.table} t WHERE t.id = ?${visible ? ` AND ${visible.sql}` : ''}`,
    [id, ...(visible?.params ?? [])],
  );
  if (!row) throw spec.notFound(id);
  return row;
}
