/**
 * Decorates every request with `request.ctx`: the project and roles the services act for.
 * noauth (Neutron's `auth_strategy = noauth`): project from `X-Project-Id` (or `X-Tenant-Id`), roles from
 * `X-Roles`; a request without a project header runs as admin of the configured default project,
 * which is what the `openstack` CLI with `--os-auth-type none` relies on.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { RequestContext } from '../../domain/context.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking; set before any handler runs. */
    ctx: RequestContext;
  }
}

/** Options of the request-context plugin. */
export interface RequestContextOptions {
  /** Project of requests that carry no project header. */
  noauthProject: string;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

/** The noauth context of a request. */
export function noauthContext(request: FastifyRequest, defaultProject: string): RequestContext {
  const project = header(request, 'x-project-id') ?? header(request, 'x-tenant-id');
  if (project === undefined) return { projectId: defaultProject, roles: ['admin'], isAdmin: true };
  const roles = (header(request, 'x-roles') ?? 'member').split(',').map((r) => r.trim().toLowerCase()).filter(Boolean);
  return { projectId: project, roles, isAdmin: roles.includes('admin') };
}

async function requestContextPlugin(app: FastifyInstance, options: RequestContextOptions): Promise<void> {
  app.decorateRequest('ctx', null as unknown as RequestContext);
  app.addHook('onRequest', async (request) => {
    request.ctx = noauthContext(request, options.noauthProject);
  });
}

export default fp(requestContextPlugin, { name: 'request-context' });
