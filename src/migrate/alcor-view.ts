/**
 * Alcor's side of the comparison: every resource as Alcor's API would return it (through the services'
 * own hydration functions where they exist), in the canonical form of `canonical.ts`, keyed by id.
 */
import { adminContext } from '../domain/context.js';
import { QUOTA_RESOURCES } from '../domain/quota.js';
import { hydrateNetworks, type NetworkRow } from '../services/networks.js';
import { hydratePorts, type PortRow } from '../services/ports.js';
import { hydrateRouters, type RouterRow } from '../services/router-rows.js';
import { hydrateSecurityGroups, ruleFromRow, type SecurityGroupRow, type SecurityGroupRuleRow } from '../services/security-group-rows.js';
import { loadTags } from '../services/standard-attributes.js';
import { hydrateSubnets, type SubnetRow } from '../services/subnets.js';
import type { Queryable } from '../store/store.js';
import {
  canonicalFloatingIp,
  canonicalNetwork,
  canonicalPort,
  canonicalQuota,
  canonicalRbac,
  canonicalRouter,
  canonicalRule,
  canonicalSecurityGroup,
  canonicalSubnet,
  type Canonical,
  type Kind,
} from './canonical.js';

/** Canonical records per kind, keyed by id. */
export type StateView = Record<Kind, Map<string, Canonical>>;

/** Tag resource type of routers (the tags table's `resource_type`, as the router service uses it). */
export const ROUTER_TAG_TYPE = 'routers';
/** Tag resource type of floating IPs. */
export const FLOATINGIP_TAG_TYPE = 'floatingips';

function byId(records: Canonical[]): Map<string, Canonical> {
  return new Map(records.map((r) => [String(r.id), r]));
}

interface FloatingIpRow {
  id: string;
  project_id: string;
  description: string;
  floating_network_id: string;
  floating_ip_address: string;
  port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

async function routers(q: Queryable): Promise<Canonical[]> {
  const rows = await q.all<RouterRow>('SELECT * FROM routers');
  return (await hydrateRouters(q, rows)).map((r) => canonicalRouter({ ...r }));
}

// The floating-IP service keeps its hydration private; this is the same mapping of the same row.
async function floatingIps(q: Queryable): Promise<Canonical[]> {
  const rows = await q.all<FloatingIpRow>('SELECT * FROM floatingips');
  const tags = await loadTags(q, FLOATINGIP_TAG_TYPE, rows.map((r) => r.id));
  return rows.map((r) =>
    canonicalFloatingIp({ ...r, tenant_id: r.project_id, revision_number: Number(r.revision_number), tags: tags.get(r.id) ?? [] }),
  );
}

async function quotas(q: Queryable): Promise<Canonical[]> {
  const rows = await q.all<{ project_id: string; resource: string; hard_limit: number | string }>('SELECT project_id, resource, hard_limit FROM quotas');
  const byProject = new Map<string, Record<string, number>>();
  for (const r of rows) {
    if (!(QUOTA_RESOURCES as readonly string[]).includes(r.resource)) continue;
    const limits = byProject.get(r.project_id) ?? {};
    limits[r.resource] = Number(r.hard_limit);
    byProject.set(r.project_id, limits);
  }
  return [...byProject].map(([project, limits]) => canonicalQuota(project, limits));
}

/** Reads the whole of Alcor's state in canonical form, as an admin would see it through the API. */
export async function readAlcorState(q: Queryable): Promise<StateView> {
  const admin = adminContext('admin');
  const networkRows = await q.all<NetworkRow>('SELECT * FROM networks');
  const subnetRows = await q.all<SubnetRow>('SELECT * FROM subnets');
  const portRows = await q.all<PortRow>('SELECT * FROM ports');
  const groupRows = await q.all<SecurityGroupRow>('SELECT * FROM security_groups');
  const ruleRows = await q.all<SecurityGroupRuleRow>('SELECT * FROM security_group_rules');
  const rbac = await q.all<Record<string, unknown>>('SELECT * FROM migrate_rbac_policies');
  return {
    network: byId((await hydrateNetworks(q, admin, networkRows)).map((n) => canonicalNetwork({ ...n }))),
    subnet: byId((await hydrateSubnets(q, subnetRows)).map((s) => canonicalSubnet({ ...s }))),
    port: byId((await hydratePorts(q, portRows)).map((p) => canonicalPort({ ...p }))),
    security_group: byId((await hydrateSecurityGroups(q, groupRows, admin.projectId)).map((g) => canonicalSecurityGroup({ ...g }))),
    security_group_rule: byId(ruleRows.map((r) => canonicalRule({ ...ruleFromRow(r) }))),
    router: byId(await routers(q)),
    floatingip: byId(await floatingIps(q)),
    quota: byId(await quotas(q)),
    rbac_policy: byId(rbac.map(canonicalRbac)),
  };
}
