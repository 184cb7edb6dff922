/** /v2.0/subnetpools: the standard collection routes plus the add_prefixes and remove_prefixes actions. */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { SubnetPoolService } from '../../services/subnet-pools.js';
import { IdParams } from '../schemas/common.js';
import { PrefixesBody, SubnetPool, SubnetPoolCreate, SubnetPoolUpdate } from '../schemas/subnet-pool.js';
import { rejectOtherMethods } from './method-not-allowed.js';
import { registerCollectionRoutes } from './resource-routes.js';

/** Routes of the subnet pool resource family. */
export const subnetPoolRoutes: FastifyPluginAsync<{ subnetPools: SubnetPoolService }> = async (base, { subnetPools }) => {
  registerCollectionRoutes(base, { one: 'subnetpool', many: 'subnetpools', create: SubnetPoolCreate, update: SubnetPoolUpdate, resource: SubnetPool }, subnetPools);
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const schema = { tags: ['subnetpools'], params: IdParams, body: PrefixesBody, response: { 200: PrefixesBody } };
  app.put('/subnetpools/:id/add_prefixes', { schema }, async (request) => ({
    prefixes: await subnetPools.addPrefixes(request.ctx, request.params.id, request.body.prefixes),
  }));
  app.put('/subnetpools/:id/remove_prefixes', { schema }, async (request) => ({
    prefixes: await subnetPools.removePrefixes(request.ctx, request.params.id, request.body.prefixes),
  }));
  for (const action of ['add_prefixes', 'remove_prefixes']) rejectOtherMethods(app, `/subnetpools/:id/${action}`, ['PUT']);
};
