/** Ownership checks shared by the services (visibility itself is part of each table's list spec). */
import type { RequestContext } from '../domain/context.js';
import { InvalidInput, PolicyNotAuthorized } from '../domain/errors.js';
import type { Queryable } from '../store/store.js';
import { checkRevision } from './standard-attributes.js';
import { getVisibleRow, type TableSpec } from './table-list.js';

/** Throws 403 when ctx may see but not change a resource (a shared network of another project). */
export function assertOwner(ctx: RequestContext, projectId: string, action: string, resource: string, id: string): void {
  if (!ctx.isAdmin && ctx.projectId !== projectId) {
    throw new PolicyNotAuthorized(`(rule:${action}_${resource}) is disallowed by policy for ${resource} ${id}`);
  }
}

/** Throws 403 when a non-admin sets an admin-only attribute. */
export function assertAdminFor(ctx: RequestContext, attributes: readonly string[], body: object): void {
  if (ctx.isAdmin) return;
  const present = attributes.filter((a) => a in body);
  if (present.length) throw new PolicyNotAuthorized(`Only admins may set ${present.join(', ')}`);
}

/** The project a new resource belongs to: the body's project_id/tenant_id (admins only may name another). */
export function owningProject(ctx: RequestContext, body: { project_id?: string; tenant_id?: string }): string {
  const requested = body.project_id ?? body.tenant_id;
  if (body.project_id !== undefined && body.tenant_id !== undefined && body.project_id !== body.tenant_id) {
    throw new InvalidInput('project_id and tenant_id must be equal when both are given');
  }
  if (requested === undefined || requested === ctx.projectId) return ctx.projectId;
  if (!ctx.isAdmin) throw new PolicyNotAuthorized(`Only admins may create resources in project ${requested}`);
  return requested;
}

/**
 * The row a write changes: visible to ctx (else the spec's 404), owned by ctx's project (else 403), the
 * request setting no attribute of `adminOnly` unless ctx is admin (else 403), and at the revision an
 * `If-Match` header names (else 412), checked in that order: policy before revision, as Neutron does.
 */
export async function writableRow<R extends { project_id: string; revision_number: number | string }>(
  tx: Queryable,
  spec: TableSpec,
  ctx: RequestContext,
  resource: string,
  id: string,
  /** The policy action named in a 403, e.g. `update` or `add_router_interface`. */
  action: string,
  ifRevision: number | undefined,
  adminOnly?: { attributes: readonly string[]; body: object },
): Promise<R> {
  const row = await getVisibleRow<R>(tx, spec, ctx, id);
  assertOwner(ctx, row.project_id, action, resource, id);
  if (adminOnly) assertAdminFor(ctx, adminOnly.attributes, adminOnly.body);
  checkRevision(resource, id, Number(row.revision_number), ifRevision);
  return row;
}
