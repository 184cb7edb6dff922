/** /v2.0/networks: the standard collection routes. */
import type { FastifyPluginAsync } from 'fastify';
import type { NetworkService } from '../../services/networks.js';
import { Network, NetworkCreate, NetworkUpdate } from '../schemas/network.js';
import { registerCollectionRoutes } from './resource-routes.js';

/** Routes of the network resource family. */
export const networkRoutes: FastifyPluginAsync<{ networks: NetworkService }> = async (app, { networks }) => {
  registerCollectionRoutes(app, { one: 'network', many: 'networks', create: NetworkCreate, update: NetworkUpdate, resource: Network }, networks);
};
