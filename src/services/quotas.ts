/**
 * Quotas: per-project limits, enforced inside the transaction that creates the resource (so a bulk
 * create or two racing creates cannot overshoot), with Neutron's quota API (show, update, reset,
 * defaults, details). Only limits that differ from the defaults are stored.
 */
import type { ServerConfig } from '../config.js';
import type { RequestContext } from '../domain/context.js';
import { OverQuota, PolicyNotAuthorized } from '../domain/errors.js';
import { QUOTA_RESOURCES, type QuotaDetail, type QuotaLimits, type QuotaResource } from '../domain/quota.js';
import type { Queryable, Store } from '../store/store.js';

/** The table each quota resource counts rows of (by project_id). */
const USAGE_TABLE: Record<QuotaResource, string> = {
  network: 'networks',
  subnet: 'subnets',
  port: 'ports',
  router: 'routers',
  floatingip: 'floatingips',
  security_group: 'security_groups',
  security_group_rule: 'security_group_rules',
  subnetpool: 'subnetpools',
  rbac_policy: 'rbac_policies',
};

async function limitFor(q: Queryable, defaults: QuotaLimits, projectId: string, resource: QuotaResource): Promise<number> {
  const row = await q.get<{ hard_limit: number | string }>('SELECT hard_limit FROM quotas WHERE project_id = ? AND resource = ?', [projectId, resource]);
  return row ? Number(row.hard_limit) : defaults[resource];
}

/** Rows a project owns of one resource. */
export async function quotaUsage(q: Queryable, projectId: string, resource: QuotaResource): Promise<number> {
  const row = await q.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${USAGE_TABLE[resource]} WHERE project_id = ?`, [projectId]);
  return Number(row?.n ?? 0);
}

/**
 * Throws 409 OverQuota when `adding` more of `resource` would exceed the project's limit (-1 = unlimited;
 * a project without its own limit has the configured `defaults`). Call it inside the creating transaction
 * before inserting; rows already inserted in that transaction count. Resources owned by no project
 * (projectId '', e.g. router gateway ports) are never limited.
 */
export async function checkQuota(
  tx: Queryable,
  defaults: QuotaLimits,
  projectId: string,
  resource: QuotaResource,
  adding: number,
): Promise<void> {
  if (projectId === '' || adding <= 0) return;
  let limit: number;
  let used: number;
  if (defaults[resource] < 0) {
    // Unlimited by default: count only for a project with a limit of its own.
    limit = await limitFor(tx, defaults, projectId, resource);
    if (limit < 0) return;
    used = await quotaUsage(tx, projectId, resource);
  } else {
    // Limited by default (Neutron's defaults are): the limit and the usage in one round trip.
    const row = await tx.get<{ hard_limit: number | string | null; n: number | string }>(
      `SELECT (SELECT hard_limit FROM quotas WHERE project_id = ? AND resource = ?) AS hard_limit, (SELECT COUNT(*) FROM ${USAGE_TABLE[resource]} WHERE project_id = ?) AS n`,
      [projectId, resource, projectId],
    );
    limit = row?.hard_limit === null || row?.hard_limit === undefined ? defaults[resource] : Number(row.hard_limit);
    if (limit < 0) return;
    used = Number(row?.n ?? 0);
  }
  if (used + adding > limit) {
    throw new OverQuota(`Quota exceeded for resources: ['${resource}']: project ${projectId} uses ${used} of ${limit}, requested ${adding} more.`);
  }
}

/** The quota service (Neutron's quotasv2 and quota_details extensions). */
export interface QuotaService {
  /** Projects with non-default limits (admin only). */
  list(ctx: RequestContext): Promise<(QuotaLimits & { project_id: string; tenant_id: string })[]>;
  show(ctx: RequestContext, projectId: string): Promise<QuotaLimits>;
  defaults(ctx: RequestContext, projectId: string): Promise<QuotaLimits>;
  details(ctx: RequestContext, projectId: string): Promise<Record<QuotaResource, QuotaDetail>>;
  update(ctx: RequestContext, projectId: string, limits: Partial<QuotaLimits>): Promise<QuotaLimits>;
  reset(ctx: RequestContext, projectId: string): Promise<void>;
}

function assertMayRead(ctx: RequestContext, projectId: string | undefined): void {
  if (!ctx.isAdmin && ctx.projectId !== projectId) {
    const whose = projectId === undefined ? 'every project' : `project ${projectId}`;
    throw new PolicyNotAuthorized(`(rule:get_quota) is disallowed by policy: only admins may read the quotas of ${whose}`);
  }
}

function assertMayWrite(ctx: RequestContext, action: string): void {
  if (!ctx.isAdmin) throw new PolicyNotAuthorized(`(rule:${action}_quota) is disallowed by policy: only admins may change quotas`);
}

/** Builds the quota service. */
export function createQuotaService(store: Store, config: ServerConfig): QuotaService {
  const limits = async (q: Queryable, projectId: string): Promise<QuotaLimits> => {
    const result: QuotaLimits = { ...config.quotaDefaults };
    const rows = await q.all<{ resource: string; hard_limit: number | string }>('SELECT resource, hard_limit FROM quotas WHERE project_id = ?', [projectId]);
    for (const row of rows) if (row.resource in result) result[row.resource as QuotaResource] = Number(row.hard_limit);
    return result;
  };
  return {
    list: async (ctx) => {
      assertMayRead(ctx, undefined);
      return store.read(async (q) => {
        const projects = await q.all<{ project_id: string }>('SELECT DISTINCT project_id FROM quotas ORDER BY project_id');
        const out = [];
        for (const { project_id } of projects) out.push({ ...(await limits(q, project_id)), project_id, tenant_id: project_id });
        return out;
      });
    },
    show: async (ctx, projectId) => {
      assertMayRead(ctx, projectId);
      return store.read((q) => limits(q, projectId));
    },
    defaults: async (ctx, projectId) => {
      assertMayRead(ctx, projectId);
      return { ...config.quotaDefaults };
    },
    details: async (ctx, projectId) => {
      assertMayRead(ctx, projectId);
      return store.read(async (q) => {
        const current = await limits(q, projectId);
        const out = {} as Record<QuotaResource, QuotaDetail>;
        for (const resource of QUOTA_RESOURCES) {
          out[resource] = { used: await quotaUsage(q, projectId, resource), limit: current[resource], reserved: 0 };
        }
        return out;
      });
    },
    update: async (ctx, projectId, changes) => {
      assertMayWrite(ctx, 'update');
      return store.write(async (tx) => {
        for (const resource of QUOTA_RESOURCES) {
          const value = changes[resource];
          if (value === undefined) continue;
          await tx.run('DELETE FROM quotas WHERE project_id = ? AND resource = ?', [projectId, resource]);
          await tx.run('INSERT INTO quotas (project_id, resource, hard_limit) VALUES (?, ?, ?)', [projectId, resource, value]);
        }
        return limits(tx, projectId);
      });
    },
    reset: async (ctx, projectId) => {
      assertMayWrite(ctx, 'delete');
      await store.write((tx) => tx.run('DELETE FROM quotas WHERE project_id = ?', [projectId]));
    },
  };
}
