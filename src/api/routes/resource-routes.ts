/**
 * The five Neutron routes of a resource collection — list, create (single or bulk), show, update,
 * delete — for any service with the standard shape. Each family plugin calls it once with its schemas.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type TSchema } from '@sinclair/typebox';
import type { CollectionService } from '../../services/collection-reader.js';
import { ListQuerystring, pageLinks, parseFields, parseListQuery, pickFields, ShowQuerystring } from '../list-params.js';
import { ifMatchRevision } from '../request-headers.js';
import { createBody, IdParams, listResponse, updateBody } from '../schemas/common.js';
import { rejectOtherMethods } from './method-not-allowed.js';

type RawQuery = Record<string, string | string[] | undefined>;
type IdParam = { id: string };

/** Names and schemas of one collection. */
export interface CollectionDefinition<C extends TSchema, U extends TSchema, R extends TSchema> {
  /** Singular body key, e.g. `network`. */
  one: string;
  /** Collection name and plural body key, e.g. `networks`. */
  many: string;
  /** URL name of the collection when it differs from the body key, e.g. `address-scopes` for `address_scopes`. */
  path?: string;
  create: C;
  update: U;
  resource: R;
}

/** Registers the standard routes of a collection on `base` (already prefixed with /v2.0). */
export function registerCollectionRoutes<T extends { id: string }, C extends TSchema, U extends TSchema, R extends TSchema>(
  base: FastifyInstance,
  def: CollectionDefinition<C, U, R>,
  service: CollectionService<T, C['static'], U['static']>,
): void {
  // Generic schemas are too deep for the TypeBox type provider, so types are asserted here; the
  // schemas still validate every request at run time before a handler sees it.
  const app = base;
  const { one, many } = def;
  const path = def.path ?? many;
  const tags = [path];
  const single = Type.Object({ [one]: def.resource });

  app.get(`/${path}`, { schema: { tags, querystring: ListQuerystring, response: { 200: listResponse(many, def.resource) } } }, async (request) => {
    const raw = request.query as RawQuery;
    const query = parseListQuery(raw);
    const fields = parseFields(raw);
    const page = await service.list(request.ctx, query);
    const links = pageLinks(request, query, { first: page.items[0]?.id, last: page.items.at(-1)?.id }, page.hasMore);
    return { [many]: page.items.map((item) => pickFields(item, fields)), ...(links.length ? { [`${many}_links`]: links } : {}) };
  });

  app.post(`/${path}`, {
    schema: {
      tags,
      body: createBody(one, many, def.create),
      response: { 201: Type.Object({ [one]: Type.Optional(def.resource), [many]: Type.Optional(Type.Array(def.resource)) }) },
    },
  }, async (request, reply) => {
    const body = request.body as Record<string, C['static'] | C['static'][] | undefined>;
    const bulk = body[many] as C['static'][] | undefined;
    const created = await service.createMany(request.ctx, bulk ?? [body[one] as C['static']]);
    void reply.status(201);
    return bulk ? { [many]: created } : { [one]: created[0] };
  });

  app.get(`/${path}/:id`, { schema: { tags, params: IdParams, querystring: ShowQuerystring, response: { 200: single } } }, async (request) => {
    const item = await service.get(request.ctx, (request.params as IdParam).id);
    return { [one]: pickFields(item, parseFields(request.query as RawQuery)) };
  });

  app.put(`/${path}/:id`, { schema: { tags, params: IdParams, body: updateBody(one, def.update), response: { 200: single } } }, async (request) => {
    const body = (request.body as Record<string, U['static']>)[one] as U['static'];
    return { [one]: await service.update(request.ctx, (request.params as IdParam).id, body, ifMatchRevision(request)) };
  });

  app.delete(`/${path}/:id`, { schema: { tags, params: IdParams } }, async (request, reply) => {
    await service.delete(request.ctx, (request.params as IdParam).id, ifMatchRevision(request));
    void reply.status(204);
  });

  rejectOtherMethods(app, `/${path}`, ['GET', 'POST']);
  rejectOtherMethods(app, `/${path}/:id`, ['GET', 'PUT', 'DELETE']);
}
