/**
 * Builds the Neutron v2.0 HTTP server: fastify with one plugin per resource family under /v2.0, the
 * Alcor project-scoped aliases (/project/{project_id}/vpcs|subnets|ports...), version discovery,
 * `GET /openapi.json` generated from the route schemas, and Neutron fault bodies for every error.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import type { IncomingMessage } from 'node:http';
import type { ServerConfig } from '../config.js';
import { BadRequest } from '../domain/errors.js';
import type { Services } from '../services/services.js';
import { faultBody, registerErrorHandlers } from './errors.js';
import health from './plugins/health.js';
import requestContext from './plugins/request-context.js';
import { ipAvailabilityRoutes } from './routes/ip-availability.js';
import { networkRoutes } from './routes/networks.js';
import { portRoutes } from './routes/ports.js';
import { portBindingRoutes } from './routes/port-bindings.js';
import { subnetRoutes } from './routes/subnets.js';
import { agentRoutes } from './routes/agents.js';
import { extensionRoutes } from './routes/extensions.js';
import { floatingIpRoutes } from './routes/floatingips.js';
import { noauthProjectRoutes } from './routes/noauth-projects.js';
import { quotaRoutes } from './routes/quotas.js';
import { routerRoutes } from './routes/routers.js';
import { securityGroupRuleRoutes } from './routes/security-group-rules.js';
import { securityGroupRoutes } from './routes/security-groups.js';
import { tagRoutes } from './routes/tags.js';
import { versionRoutes } from './routes/versions.js';

/** Alcor collection names and the Neutron collections they alias. */
const PROJECT_ALIASES: Record<string, string> = {
  vpcs: 'networks',
  subnets: 'subnets',
  ports: 'ports',
  routers: 'routers',
  floatingips: 'floatingips',
  'security-groups': 'security-groups',
  'security-group-rules': 'security-group-rules',
};

/**
 * Maps `/project/{project_id}/<alias>[/...]` onto `/v2.0/<collection>[/...]`, scoping the request to that
 * project when it carries no project header. `/ports/bulk` is Alcor's bulk create.
 */
export function rewriteProjectUrl(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const m = /^\/project\/([^/?]+)\/([a-z-]+)(\/[^?]*)?(\?.*)?$/.exec(url);
  const collection = m?.[2] ? PROJECT_ALIASES[m[2]] : undefined;
  if (!m || !collection) return url;
  const project = decodeURIComponent(m[1] ?? '');
  if (req.headers['x-project-id'] === undefined && req.headers['x-tenant-id'] === undefined) req.headers['x-project-id'] = project;
  const rest = m[3] === '/bulk' && collection === 'ports' ? '' : (m[3] ?? '');
  return `/v2.0/${collection}${rest}${m[4] ?? ''}`;
}

/** Parses any request body as JSON (Neutron does not insist on a content type). */
function parseJsonBody(_req: unknown, body: string, done: (err: Error | null, value?: unknown) => void): void {
  if (body.trim() === '') {
    done(null, undefined);
    return;
  }
  try {
    done(null, JSON.parse(body));
  } catch (err) {
    done(new BadRequest(`Malformed JSON in request body: ${(err as Error).message}`));
  }
}

/** Everything the server needs. */
export interface ApiServerOptions {
  config: ServerConfig;
  services: Services;
  /** fastify logger setting; defaults to pino at the configured level. */
  logger?: FastifyServerOptions['logger'];
}

/** Builds (but does not start) the API server. */
export async function buildApiServer({ config, services, logger }: ApiServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logger ?? { level: config.logLevel },
    bodyLimit: config.maxBodyBytes,
    rewriteUrl: rewriteProjectUrl,
    routerOptions: { ignoreTrailingSlash: true },
    requestIdHeader: 'x-openstack-request-id',
    genReqId: () => `req-${crypto.randomUUID()}`,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
    // Errors raised before routing (an undecodable URL such as /v2.0/%ZZ) bypass setErrorHandler; answer them as Neutron faults too.
    frameworkErrors: (error, _request, reply) => {
      void (reply as unknown as FastifyReply).status(400).send(faultBody(new BadRequest(`Malformed request: ${error.message}`, { cause: error })));
    },
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, parseJsonBody);
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-openstack-request-id', request.id);
  });
  registerErrorHandlers(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Alcor Neutron v2.0 API', version: '2.0' },
    },
  });
  await app.register(requestContext, { noauthProject: config.noauthProject, auth: config.auth, keystone: config.keystone });
  await app.register(versionRoutes);
  await app.register(health, { health: services.health });
  await app.register(networkRoutes, { prefix: '/v2.0', networks: services.networks });
  await app.register(subnetRoutes, { prefix: '/v2.0', subnets: services.subnets });
  await app.register(portRoutes, { prefix: '/v2.0', ports: services.ports });
  await app.register(portBindingRoutes, { prefix: '/v2.0', bindings: services.portBindings });
  await app.register(ipAvailabilityRoutes, { prefix: '/v2.0', ipAvailability: services.ipAvailability });
  await app.register(securityGroupRoutes, { prefix: '/v2.0', securityGroups: services.securityGroups });
  await app.register(securityGroupRuleRoutes, { prefix: '/v2.0', securityGroupRules: services.securityGroupRules });
  await app.register(quotaRoutes, { prefix: '/v2.0', quotas: services.quotas });
  await app.register(routerRoutes, { prefix: '/v2.0', routers: services.routers });
  await app.register(floatingIpRoutes, { prefix: '/v2.0', floatingIps: services.floatingIps });
  await app.register(tagRoutes, { prefix: '/v2.0', tags: services.tags });
  await app.register(agentRoutes, { prefix: '/v2.0', hosts: services.hosts });
  if (config.auth === 'noauth') await app.register(noauthProjectRoutes);
  await app.register(extensionRoutes, { prefix: '/v2.0' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
