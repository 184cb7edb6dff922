/** /v2.0/networks: list, create (single or bulk), show, update, delete. */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { NetworkService } from '../../services/networks.js';
import { ListQuerystring, pageLinks, parseFields, parseListQuery, pickFields, ShowQuerystring } from '../list-params.js';
import { ifMatchRevision } from '../request-headers.js';
import { createBody, IdParams, listResponse, updateBody } from '../schemas/common.js';
import { Network, NetworkCreate, NetworkUpdate } from '../schemas/network.js';
import { rejectOtherMethods } from './method-not-allowed.js';

/** Options of the networks plugin. */
export interface NetworkRoutesOptions {
  networks: NetworkService;
}

/** Routes of the network resource family. */
export const networkRoutes: FastifyPluginAsync<NetworkRoutesOptions> = async (base, { networks }) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['networks'];

  app.get('/networks', { schema: { tags, querystring: ListQuerystring, response: { 200: listResponse('networks', Network) } } }, async (request) => {
    const query = parseListQuery(request.query);
    const fields = parseFields(request.query);
    const page = await networks.list(request.ctx, query);
    const links = pageLinks(request, query, { first: page.items[0]?.id, last: page.items.at(-1)?.id }, page.hasMore);
    return { networks: page.items.map((n) => pickFields(n, fields)), ...(links.length ? { networks_links: links } : {}) };
  });

  app.post('/networks', { schema: { tags, body: createBody('network', 'networks', NetworkCreate), response: { 201: Type.Object({ network: Type.Optional(Network), networks: Type.Optional(Type.Array(Network)) }) } } }, async (request, reply) => {
    const bulk = request.body.networks;
    const created = await networks.createMany(request.ctx, bulk ?? [request.body.network ?? {}]);
    void reply.status(201);
    return bulk ? { networks: created } : { network: created[0] };
  });

  app.get('/networks/:id', { schema: { tags, params: IdParams, querystring: ShowQuerystring, response: { 200: Type.Object({ network: Network }) } } }, async (request) => {
    const network = await networks.get(request.ctx, request.params.id);
    return { network: pickFields(network, parseFields(request.query)) };
  });

  app.put('/networks/:id', { schema: { tags, params: IdParams, body: updateBody('network', NetworkUpdate), response: { 200: Type.Object({ network: Network }) } } }, async (request) => {
    return { network: await networks.update(request.ctx, request.params.id, request.body.network, ifMatchRevision(request)) };
  });

  app.delete('/networks/:id', { schema: { tags, params: IdParams } }, async (request, reply) => {
    await networks.delete(request.ctx, request.params.id, ifMatchRevision(request));
    void reply.status(204);
  });

  rejectOtherMethods(app, '/networks', ['GET', 'POST']);
  rejectOtherMethods(app, '/networks/:id', ['GET', 'PUT', 'DELETE']);
};
