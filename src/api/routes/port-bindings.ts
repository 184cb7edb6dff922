/**
 * /v2.0/ports/{id}/bindings: multiple port bindings (binding-extended), as Nova's live migration uses
 * them. Activation answers the bare binding object (not wrapped in "binding"), as Neutron does.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { PortBindingService } from '../../services/port-bindings.js';
import { Binding, BindingCreate, BindingFilters, BindingParams } from '../schemas/port-binding.js';
import { IdParams } from '../schemas/common.js';
import { rejectOtherMethods } from './method-not-allowed.js';

/** Routes of the bindings sub-resource of ports. */
export const portBindingRoutes: FastifyPluginAsync<{ bindings: PortBindingService }> = async (base, { bindings }) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['ports'];
  const one = Type.Object({ binding: Binding });

  app.get('/ports/:id/bindings', { schema: { tags, params: IdParams, querystring: BindingFilters, response: { 200: Type.Object({ bindings: Type.Array(Binding) }) } } }, async (request) => ({
    bindings: await bindings.list(request.ctx, request.params.id, request.query),
  }));

  app.post('/ports/:id/bindings', { schema: { tags, params: IdParams, body: BindingCreate, response: { 201: one } } }, async (request, reply) => {
    const binding = await bindings.create(request.ctx, request.params.id, request.body.binding);
    void reply.status(201);
    return { binding };
  });

  app.get('/ports/:id/bindings/:host', { schema: { tags, params: BindingParams, response: { 200: one } } }, async (request) => ({
    binding: await bindings.get(request.ctx, request.params.id, request.params.host),
  }));

  app.put('/ports/:id/bindings/:host/activate', { schema: { tags, params: BindingParams, response: { 200: Binding } } }, async (request) =>
    bindings.activate(request.ctx, request.params.id, request.params.host),
  );

  app.delete('/ports/:id/bindings/:host', { schema: { tags, params: BindingParams } }, async (request, reply) => {
    await bindings.delete(request.ctx, request.params.id, request.params.host);
    void reply.status(204);
  });

  rejectOtherMethods(app, '/ports/:id/bindings', ['GET', 'POST']);
  rejectOtherMethods(app, '/ports/:id/bindings/:host', ['GET', 'DELETE']);
  rejectOtherMethods(app, '/ports/:id/bindings/:host/activate', ['PUT']);
};
