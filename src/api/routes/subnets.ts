/** /v2.0/subnets: the standard collection routes. */
import type { FastifyPluginAsync } from 'fastify';
import type { SubnetService } from '../../services/subnets.js';
import { Subnet, SubnetCreate, SubnetUpdate } from '../schemas/subnet.js';
import { registerCollectionRoutes } from './resource-routes.js';

/** Routes of the subnet resource family. */
export const subnetRoutes: FastifyPluginAsync<{ subnets: SubnetService }> = async (app, { subnets }) => {
  registerCollectionRoutes(app, { one: 'subnet', many: 'subnets', create: SubnetCreate, update: SubnetUpdate, resource: Subnet }, subnets);
};
