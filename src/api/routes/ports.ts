/** /v2.0/ports: the standard collection routes (bulk create is all-or-nothing). */
import type { FastifyPluginAsync } from 'fastify';
import type { PortService } from '../../services/ports.js';
import { Port, PortCreate, PortUpdate } from '../schemas/port.js';
import { registerCollectionRoutes } from './resource-routes.js';

/** Routes of the port resource family. */
export const portRoutes: FastifyPluginAsync<{ ports: PortService }> = async (app, { ports }) => {
  registerCollectionRoutes(app, { one: 'port', many: 'ports', create: PortCreate, update: PortUpdate, resource: Port }, ports);
};
