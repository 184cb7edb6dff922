/**
 * The read side every resource service shares: show one visible row, list a page, both turned into API
 * objects by the service's own hydrate function (which loads related rows for the whole page at once).
 */
import type { RequestContext } from '../domain/context.js';
import type { ListPage, ListQuery } from '../domain/list-query.js';
import type { Queryable, Store } from '../store/store.js';
import { getVisibleRow, listRows, type TableSpec } from './table-list.js';

/** The five operations of a Neutron resource collection (list, create, show, update, delete). */
export interface CollectionService<T, C, U> {
  /** Creates all or none (Neutron bulk semantics). */
  createMany(ctx: RequestContext, bodies: C[]): Promise<T[]>;
  get(ctx: RequestContext, id: string): Promise<T>;
  list(ctx: RequestContext, query: ListQuery): Promise<ListPage<T>>;
  update(ctx: RequestContext, id: string, body: U, ifRevision?: number): Promise<T>;
  delete(ctx: RequestContext, id: string, ifRevision?: number): Promise<void>;
}

/** Turns table rows into API objects for ctx. */
export type Hydrate<R, T> = (q: Queryable, ctx: RequestContext, rows: R[]) => Promise<T[]>;

/** Reads of one collection. */
export interface CollectionReader<T> {
  /** One object by id inside an open transaction or read; throws the spec's not-found error. */
  readOne(q: Queryable, ctx: RequestContext, id: string): Promise<T>;
  /** One object by id in its own read. */
  get(ctx: RequestContext, id: string): Promise<T>;
  /** One page of a Neutron list request. */
  list(ctx: RequestContext, query: ListQuery): Promise<ListPage<T>>;
}

/** Builds the reads of a collection from its table spec and hydrate function. */
export function collectionReader<R, T>(store: Store, spec: TableSpec, hydrate: Hydrate<R, T>): CollectionReader<T> {
  const readOne = async (q: Queryable, ctx: RequestContext, id: string): Promise<T> =>
    (await hydrate(q, ctx, [await getVisibleRow<R>(q, spec, ctx, id)]))[0] as T;
  return {
    readOne,
    get: (ctx, id) => store.read((q) => readOne(q, ctx, id)),
    list: (ctx, query) =>
      store.read(async (q) => {
        const { rows, hasMore } = await listRows<R>(q, spec, ctx, query);
        return { items: await hydrate(q, ctx, rows), hasMore };
      }),
  };
}

/** Inserts one resource in the caller's transaction; returns its id. */
export type InsertOne<C> = (tx: Queryable, ctx: RequestContext, body: C) => Promise<string>;

/** A collection's createMany: every body inserted in one transaction (all or nothing), then each read back as ctx sees it. */
export function bulkCreate<C, T>(store: Store, reader: CollectionReader<T>, insert: InsertOne<C>): CollectionService<T, C, unknown>['createMany'] {
  return (ctx, bodies) =>
    store.write(async (tx) => {
      const ids: string[] = [];
      for (const body of bodies) ids.push(await insert(tx, ctx, body));
      const created: T[] = [];
      for (const id of ids) created.push(await reader.readOne(tx, ctx, id));
      return created;
    });
}
