/** /v2.0/availability_zones: the zones hosts report, once for networks and once for routers. */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { AvailabilityZoneService } from '../../services/availability-zones.js';
import { parseFields, parseListQuery, pickFields, ShowQuerystring } from '../list-params.js';
import { listResponse } from '../schemas/common.js';
import { rejectOtherMethods } from './method-not-allowed.js';

const AvailabilityZone = Type.Object({ name: Type.String(), resource: Type.String(), state: Type.String() });

/** Options of the availability-zone plugin. */
export interface AvailabilityZoneRoutesOptions {
  availabilityZones: AvailabilityZoneService;
}

/** Routes of the availability-zone resource. */
export const availabilityZoneRoutes: FastifyPluginAsync<AvailabilityZoneRoutesOptions> = async (base, { availabilityZones }) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/availability_zones',
    { schema: { tags: ['availability_zones'], querystring: ShowQuerystring, response: { 200: listResponse('availability_zones', Type.Partial(AvailabilityZone)) } } },
    async (request) => {
      const fields = parseFields(request.query);
      const zones = await availabilityZones.list(parseListQuery(request.query));
      return { availability_zones: zones.map((z) => pickFields(z, fields)) };
    },
  );
  rejectOtherMethods(app, '/availability_zones', ['GET']);
};
