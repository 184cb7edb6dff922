/**
 * Builds the Neutron v2.0 HTTP server: fastify with one plugin per resource family under /v2.0, the
 * Alcor project-scoped aliases (/project/{project_id}/vpcs|subnets|ports...), version discovery,
 * `GET /openapi.json` generated from the route schemas, and Neutron fault bodies for every error.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import type { ServerConfig } from '../config.js';
import { BadRequest } from '../domain/errors.js';
import type { Services } from '../services/services.js';
import { faultBody, registerErrorHandlers } from './errors.js';
import dashboard from './plugins/dashboard.js';
import health from './plugins/health.js';
import { recordRequestDurations } from './metrics.js';
import { rewriteProjectUrl } from './project-url.js';
import requestContext from './plugins/request-context.js';
import { ipAvailabilityRoutes } from './routes/ip-availability.js';
import { networkRoutes } from './routes/networks.js';
import { portRoutes } from './routes/ports.js';
import { portBindingRoutes } from './routes/port-bindings.js';
import { subnetRoutes } from './routes/subnets.js';
import { agentRoutes } from './routes/agents.js';
import { availabilityZoneRoutes } from './routes/availability-zones.js';
import { extensionRoutes } from './routes/extensions.js';
import { floatingIpRoutes } from './routes/floatingips.js';
import { noauthProjectRoutes } from './routes/noauth-projects.js';
import { quotaRoutes } from './routes/quotas.js';
import { routerRoutes } from './routes/routers.js';
import { securityGroupRuleRoutes } from './routes/security-group-rules.js';
import { securityGroupRoutes } from './routes/security-groups.js';
import { serviceProviderRoutes } from './routes/service-providers.js';
import { tagRoutes } from './routes/tags.js';
import { addressScopeRoutes } from './routes/address-scopes.js';
import { rbacPolicyRoutes } from './routes/rbac-policies.js';
import { subnetPoolRoutes } from './routes/subnetpools.js';
import { versionRoutes } from './routes/versions.js';
import { operatorRoutes } from './routes/operator.js';
import type { OperatorView } from '../domain/operator.js';

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
  /** The operator view served under /alcor/v1 (admin only); absent without a southbound. */
  operator?: OperatorView;
  /** fastify logger setting; defaults to pino at the configured level. */
  logger?: FastifyServerOptions['logger'];
}

/** Builds (but does not start) the API server. */
export async function buildApiServer({ config, services, logger, operator }: ApiServerOptions): Promise<FastifyInstance> {
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
  recordRequestDurations(app);

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
  await app.register(subnetPoolRoutes, { prefix: '/v2.0', subnetPools: services.subnetPools });
  await app.register(addressScopeRoutes, { prefix: '/v2.0', addressScopes: services.addressScopes });
  await app.register(rbacPolicyRoutes, { prefix: '/v2.0', rbacPolicies: services.rbacPolicies });
  await app.register(tagRoutes, { prefix: '/v2.0', tags: services.tags });
  await app.register(agentRoutes, { prefix: '/v2.0', hosts: services.hosts });
  await app.register(availabilityZoneRoutes, { prefix: '/v2.0', availabilityZones: services.availabilityZones });
  await app.register(serviceProviderRoutes, { prefix: '/v2.0' });
  if (config.auth === 'noauth') await app.register(noauthProjectRoutes);
  await app.register(extensionRoutes, { prefix: '/v2.0' });
  if (operator) await app.register(operatorRoutes, { prefix: '/alcor/v1', operator });
  await app.register(dashboard);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
