/** Quota resources, their Neutron defaults and the shapes the quota API shows. Pure. */

/** The resources a project's quota limits (Neutron's names in the quota API). */
export const QUOTA_RESOURCES = [
  'network',
  'subnet',
  'port',
  'router',
  'floatingip',
  'security_group',
  'security_group_rule',
  'subnetpool',
  'rbac_policy',
] as const;

/** One quota resource. */
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

/** Limits per resource; -1 means unlimited. */
export type QuotaLimits = Record<QuotaResource, number>;

/** Neutron's shipped defaults (neutron.conf [quotas]). */
export const NEUTRON_DEFAULT_QUOTAS: QuotaLimits = {
  network: 100,
  subnet: 100,
  port: 500,
  router: 10,
  floatingip: 50,
  security_group: 10,
  security_group_rule: 100,
  subnetpool: -1,
  rbac_policy: 10,
};

/** One line of `/quotas/{project_id}/details`. */
export interface QuotaDetail {
  used: number;
  limit: number;
  reserved: number;
}

/** True when the name is a quota resource. */
export function isQuotaResource(name: string): name is QuotaResource {
  return (QUOTA_RESOURCES as readonly string[]).includes(name);
}
