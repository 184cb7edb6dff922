/**
 * Alcor's project-scoped URLs (`/project/{project_id}/vpcs|subnets|ports...`): rewritten onto the Neutron
 * collections before routing. The project in the path must be the caller's (admins may name any), which the
 * request-context plugin checks once it knows the caller.
 */
import type { IncomingMessage } from 'node:http';

const pathProjects = new WeakMap<IncomingMessage, string>();

/** Alcor collection names and the Neutron collections they alias. */
const PROJECT_ALIASES: Record<string, string> = {
  vpcs: 'networks',
  subnets: 'subnets',
  ports: 'ports',
  routers: 'routers',
  floatingips: 'floatingips',
  'security-groups': 'security-groups',
  'security-group-rules': 'security-group-rules',
  subnetpools: 'subnetpools',
  'address-scopes': 'address-scopes',
  'rbac-policies': 'rbac-policies',
};

/**
 * Maps `/project/{project_id}/<alias>[/...]` onto `/v2.0/<collection>[/...]`, scoping the request to that
 * project when it carries no project header, and remembering the path's project for `pathProjectOf`.
 * `/ports/bulk` is Alcor's bulk create.
 */
export function rewriteProjectUrl(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const m = /^\/project\/([^/?]+)\/([a-z-]+)(\/[^?]*)?(\?.*)?$/.exec(url);
  const collection = m?.[2] ? PROJECT_ALIASES[m[2]] : undefined;
  if (!m || !collection) return url;
  const project = decodeURIComponent(m[1] ?? '');
  pathProjects.set(req, project);
  if (req.headers['x-project-id'] === undefined && req.headers['x-tenant-id'] === undefined) req.headers['x-project-id'] = project;
  const rest = m[3] === '/bulk' && collection === 'ports' ? '' : (m[3] ?? '');
  return `/v2.0/${collection}${rest}${m[4] ?? ''}`;
}

/** The project a `/project/{project_id}/...` request named in its path, if it was one. */
export function pathProjectOf(req: IncomingMessage): string | undefined {
  return pathProjects.get(req);
}
