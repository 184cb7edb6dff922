/**
 * Decorates every request with `request.ctx`: the project and roles the services act for, and applies
 * the role policy every write shares.
 *
 * - noauth (Neutron's `auth_strategy = noauth`): project from `X-Project-Id` (or `X-Tenant-Id`), roles
 *   from `X-Roles` (default `member`); a request without a project header runs as admin of the configured
 *   default project, which is what the `openstack` CLI with `--os-auth-type none` relies on.
 * - keystone: `X-Auth-Token` is validated against Keystone v3 (see keystone.ts); project and roles come
 *   from the token and project headers are ignored. Version discovery and probes need no token.
 *
 * Policy (Neutron's secure-RBAC defaults): reading needs any role; writing needs `admin` or `member`
 * (`_member_` on older clouds), so a `reader` gets 403 PolicyNotAuthorized for every write.
 * Admin-only attributes and ownership are checked by the services.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { KeystoneConfig } from '../../config.js';
import type { RequestContext } from '../../domain/context.js';
import { PolicyNotAuthorized, RouteNotFound, Unauthorized } from '../../domain/errors.js';
import { pathProjectOf } from '../project-url.js';
import { KeystoneValidator } from './keystone.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking; set before any handler runs. */
    ctx: RequestContext;
  }
  interface FastifyInstance {
    /** The token validator in keystone mode (exposes its validation counter). */
    keystoneValidator: KeystoneValidator | undefined;
  }
}

/** Options of the request-context plugin. */
export interface RequestContextOptions {
  /** Project of requests that carry no project header. */
  noauthProject: string;
  /** Authentication strategy. @default "noauth" */
  auth?: 'noauth' | 'keystone';
  /** Keystone settings (required for auth=keystone). */
  keystone?: KeystoneConfig;
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

const WRITE_ROLES = ['admin', 'member', '_member_'];
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Throws 403 when ctx may only read and the request writes. */
export function assertMayWrite(ctx: RequestContext, method: string): void {
  if (READ_METHODS.has(method) || ctx.isAdmin || ctx.roles.some((r) => WRITE_ROLES.includes(r))) return;
  throw new PolicyNotAuthorized(`Roles [${ctx.roles.join(', ')}] may only read: ${method} needs the member or admin role`);
}

/** A project-scoped path naming another project than the caller's does not exist for a non-admin. */
function assertPathProject(ctx: RequestContext, pathProject: string | undefined): void {
  if (pathProject !== undefined && pathProject !== ctx.projectId && !ctx.isAdmin) {
    throw new RouteNotFound(`The resource could not be found: project ${pathProject} is not the caller's project.`);
  }
}

/** Paths that answer without a token (version discovery, probes, the dashboard's static files). */
function isPublic(request: FastifyRequest): boolean {
  const path = request.url.split('?')[0] ?? '';
  if (request.method !== 'GET') return false;
  return ['/', '/v2.0', '/v2.0/', '/healthz', '/readyz', '/openapi.json', '/dashboard'].includes(path) || path.startsWith('/dashboard/');
}

async function keystoneContext(request: FastifyRequest, reply: FastifyReply, validator: KeystoneValidator, url: string): Promise<RequestContext> {
  const token = header(request, 'x-auth-token');
  try {
    if (token === undefined) throw new Unauthorized('The request you have made requires authentication: X-Auth-Token is missing.');
    return await validator.validate(token);
  } catch (err) {
    if (err instanceof Unauthorized) void reply.header('www-authenticate', `Keystone uri="${url}"`);
    throw err;
  }
}

async function requestContextPlugin(app: FastifyInstance, options: RequestContextOptions): Promise<void> {
  app.decorateRequest('ctx', null as unknown as RequestContext);
  const keystone = options.auth === 'keystone' && options.keystone ? options.keystone : undefined;
  const validator = keystone ? new KeystoneValidator(keystone) : undefined;
  app.decorate('keystoneValidator', validator);
  app.addHook('onRequest', async (request, reply) => {
    if (validator && keystone) {
      request.ctx = isPublic(request)
        ? { projectId: '', roles: [], isAdmin: false }
        : await keystoneContext(request, reply, validator, keystone.url);
    } else {
      request.ctx = noauthContext(request, options.noauthProject);
    }
    assertPathProject(request.ctx, pathProjectOf(request.raw));
    assertMayWrite(request.ctx, request.method);
  });
}

export default fp(requestContextPlugin, { name: 'request-context' });
