/** /v2.0/floatingips: the standard collection routes. */
import type { FastifyPluginAsync } from 'fastify';
import type { FloatingIpService } from '../../services/floating-ips.js';
import { FloatingIp, FloatingIpCreate, FloatingIpUpdate } from '../schemas/floating-ip.js';
import { registerCollectionRoutes } from './resource-routes.js';

/** Routes of the floating IP resource family. */
export const floatingIpRoutes: FastifyPluginAsync<{ floatingIps: FloatingIpService }> = async (app, { floatingIps }) => {
  registerCollectionRoutes(app, { one: 'floatingip', many: 'floatingips', create: FloatingIpCreate, update: FloatingIpUpdate, resource: FloatingIp }, floatingIps);
};
