/** /v2.0/routers: the standard collection routes plus the interface and extra-route actions. */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { RouterService } from '../../services/routers.js';
import { IdParams } from '../schemas/common.js';
import { ExtraRoutesBody, Router, RouterCreate, RouterInterfaceBody, RouterInterfaceInfo, RouterUpdate } from '../schemas/router.js';
import { rejectOtherMethods } from './method-not-allowed.js';
import { registerCollectionRoutes } from './resource-routes.js';

/** Routes of the router resource family. */
export const routerRoutes: FastifyPluginAsync<{ routers: RouterService }> = async (base, { routers }) => {
  registerCollectionRoutes(base, { one: 'router', many: 'routers', create: RouterCreate, update: RouterUpdate, resource: Router }, routers);
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['routers'];
  const iface = { tags, params: IdParams, body: RouterInterfaceBody, response: { 200: RouterInterfaceInfo } };
  const routes = { tags, params: IdParams, body: ExtraRoutesBody, response: { 200: Type.Object({ router: Router }) } };

  app.put('/routers/:id/add_router_interface', { schema: iface }, async (request) => routers.addInterface(request.ctx, request.params.id, request.body));
  app.put('/routers/:id/remove_router_interface', { schema: iface }, async (request) => routers.removeInterface(request.ctx, request.params.id, request.body));
  app.put('/routers/:id/add_extraroutes', { schema: routes }, async (request) => ({
    router: await routers.addExtraRoutes(request.ctx, request.params.id, request.body.router.routes),
  }));
  app.put('/routers/:id/remove_extraroutes', { schema: routes }, async (request) => ({
    router: await routers.removeExtraRoutes(request.ctx, request.params.id, request.body.router.routes),
  }));
  for (const action of ['add_router_interface', 'remove_router_interface', 'add_extraroutes', 'remove_extraroutes']) {
    rejectOtherMethods(app, `/routers/:id/${action}`, ['PUT']);
  }
};
