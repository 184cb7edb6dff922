/** /v2.0/service-providers (Neutron's service-type extension): the providers of Alcor's services. */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { filterItems } from '../../domain/list-query.js';
import { SERVICE_PROVIDERS } from '../../services/extensions.js';
import { parseFields, parseListQuery, pickFields, ShowQuerystring } from '../list-params.js';
import { listResponse } from '../schemas/common.js';
import { rejectOtherMethods } from './method-not-allowed.js';

const ServiceProvider = Type.Object({ service_type: Type.String(), name: Type.String(), default: Type.Boolean() });

/** Routes of the service-provider resource. */
export const serviceProviderRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/service-providers',
    { schema: { tags: ['service-providers'], querystring: ShowQuerystring, response: { 200: listResponse('service_providers', Type.Partial(ServiceProvider)) } } },
    async (request) => {
      const fields = parseFields(request.query);
      return { service_providers: filterItems(SERVICE_PROVIDERS, parseListQuery(request.query), 'service_providers').map((p) => pickFields(p, fields)) };
    },
  );
  rejectOtherMethods(app, '/service-providers', ['GET']);
};
