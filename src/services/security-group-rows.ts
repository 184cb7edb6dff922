/**
 * Rows, listing specs and hydration shared by the security-group and rule services, plus the creation of
 * a project's `default` group with Neutron's default rules.
 */
import type { RequestContext } from '../domain/context.js';
import { SecurityGroupNotFound, SecurityGroupRuleNotFound } from '../domain/errors.js';
import type { NormalizedRule, SecurityGroup, SecurityGroupRule } from '../domain/security-group.js';
import { appendChange } from '../store/outbox.js';
import type { Queryable } from '../store/store.js';
import { ownedOrGranted, sharedFilter, sharedIds } from './rbac-sharing.js';
import { chunks, loadTags, newId, timestamp } from './standard-attributes.js';
import { nullableColumns, ownOrParentVisibility, sameNameColumns, STANDARD_COLUMNS, type TableSpec } from './table-list.js';

/** A row of security_groups. */
export interface SecurityGroupRow {
  id: string;
  project_id: string;
  name: string;
  description: string;
  stateful: number;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

/** A row of security_group_rules. */
export interface SecurityGroupRuleRow {
  id: string;
  project_id: string;
  security_group_id: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  description: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}


/** Listing spec of security groups: non-admins see their project's groups and those RBAC entries share with them. */
export const SECURITY_GROUP_TABLE: TableSpec = {
  table: 'security_groups',
  tagType: 'security_groups',
  columns: { ...STANDARD_COLUMNS, ...sameNameColumns('string', 'name'), ...sameNameColumns('bool', 'stateful') },
  virtualFilters: { shared: sharedFilter('security_group') },
  visibility: (ctx) => ownedOrGranted('security_group', ctx),
  notFound: (id) => new SecurityGroupNotFound(`Security group ${id} does not exist`),
};

/** Listing spec of rules: non-admins see rules they own or that belong to their groups. */
export const SECURITY_GROUP_RULE_TABLE: TableSpec = {
  table: 'security_group_rules',
  columns: {
    ...STANDARD_COLUMNS,
    ...sameNameColumns('string', 'security_group_id', 'direction', 'ethertype'),
    ...nullableColumns('string', 'protocol', 'remote_ip_prefix', 'remote_group_id'),
    ...nullableColumns('int', 'port_range_min', 'port_range_max'),
  },
  visibility: ownOrParentVisibility('security_groups', 'security_group_id', (ctx) => ({ sql: 'x.project_id = ?', params: [ctx.projectId] })),
  notFound: (id) => new SecurityGroupRuleNotFound(`Security group rule ${id} does not exist`),
};

/** The API form of a rule row. */
export function ruleFromRow(r: SecurityGroupRuleRow): SecurityGroupRule {
  return {
    id: r.id,
    security_group_id: r.security_group_id,
    direction: r.direction,
    ethertype: r.ethertype,
    protocol: r.protocol,
    port_range_min: r.port_range_min === null ? null : Number(r.port_range_min),
    port_range_max: r.port_range_max === null ? null : Number(r.port_range_max),
    remote_ip_prefix: r.remote_ip_prefix,
    remote_group_id: r.remote_group_id,
    remote_address_group_id: null,
    normalized_cidr: r.remote_ip_prefix,
    description: r.description,
    project_id: r.project_id,
    tenant_id: r.project_id,
    revision_number: Number(r.revision_number),
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

/** Turns group rows into API objects with their rules and tags; `shared` is as RBAC entries grant the group to `projectId`. */
export async function hydrateSecurityGroups(q: Queryable, rows: SecurityGroupRow[], projectId: string): Promise<SecurityGroup[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const tags = await loadTags(q, 'security_groups', ids);
  const shared = await sharedIds(q, 'security_group', ids, projectId);
  const rules = new Map<string, SecurityGroupRule[]>(ids.map((id) => [id, []]));
  for (const chunk of chunks(ids, 500)) {
    const ruleRows = await q.all<SecurityGroupRuleRow>(
      `SELECT * FROM security_group_rules WHERE security_group_id IN (${chunk.map(() => '?').join(',')}) ORDER BY created_at, id`,
      chunk,
    );
    for (const r of ruleRows) rules.get(r.security_group_id)?.push(ruleFromRow(r));
  }
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    description: r.description,
    project_id: r.project_id,
    tenant_id: r.project_id,
    stateful: r.stateful === 1,
    shared: shared.has(r.id),
    security_group_rules: rules.get(r.id) ?? [],
    tags: tags.get(r.id) ?? [],
    revision_number: Number(r.revision_number),
    created_at: r.created_at,
    updated_at: r.updated_at,
  }));
}

/** Inserts one normalised rule (row + outbox) in the caller's transaction; returns its id. */
export async function insertRule(tx: Queryable, groupId: string, projectId: string, rule: NormalizedRule, description = ''): Promise<string> {
  const id = newId();
  const now = timestamp();
  await tx.run(
    `INSERT INTO security_group_rules (id, project_id, security_group_id, direction, ethertype, protocol, port_range_min,
       port_range_max, remote_ip_prefix, remote_group_id, description, revision_number, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
    [
      id, projectId, groupId, rule.direction, rule.ethertype, rule.protocol, rule.port_range_min, rule.port_range_max,
      rule.remote_ip_prefix, rule.remote_group_id, description, now, now,
    ],
  );
  await appendChange(tx, 'security_group_rule', id, 'create');
  return id;
}

function anyRule(direction: 'ingress' | 'egress', ethertype: 'IPv4' | 'IPv6', remoteGroup: string | null): NormalizedRule {
  return { direction, ethertype, protocol: null, port_range_min: null, port_range_max: null, remote_ip_prefix: null, remote_group_id: remoteGroup };
}

/** Inserts a group row with Neutron's egress-any rules (and, for `default`, ingress from the group itself). */
export async function insertSecurityGroup(
  tx: Queryable,
  projectId: string,
  fields: { name: string; description: string; stateful: boolean },
  isDefault: boolean,
): Promise<string> {
  const id = newId();
  const now = timestamp();
  await tx.run(
    `INSERT INTO security_groups (id, project_id, name, description, stateful, revision_number, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 0, ?, ?)`,
    [id, projectId, fields.name, fields.description, fields.stateful ? 1 : 0, now, now],
  );
  await appendChange(tx, 'security_group', id, 'create');
  for (const ethertype of ['IPv4', 'IPv6'] as const) {
    await insertRule(tx, id, projectId, anyRule('egress', ethertype, null));
    if (isDefault) await insertRule(tx, id, projectId, anyRule('ingress', ethertype, id));
  }
  return id;
}

/** The id of a project's default group, creating it (with Neutron's default rules) on first use. */
export async function ensureDefaultSecurityGroup(tx: Queryable, projectId: string): Promise<string> {
  const existing = await tx.get<{ security_group_id: string }>('SELECT security_group_id FROM default_security_groups WHERE project_id = ?', [projectId]);
  if (existing) return existing.security_group_id;
  const id = await insertSecurityGroup(tx, projectId, { name: 'default', description: 'Default security group', stateful: true }, true);
  await tx.run('INSERT INTO default_security_groups (project_id, security_group_id) VALUES (?, ?)', [projectId, id]);
  return id;
}

/** True when the group is its project's default group. */
export async function isDefaultGroup(q: Queryable, groupId: string): Promise<boolean> {
  return (await q.get('SELECT 1 AS x FROM default_security_groups WHERE security_group_id = ?', [groupId])) !== undefined;
}

/** Whether ctx needs its project's default group ensured before a read (no write when it exists). */
export async function hasDefaultGroup(q: Queryable, ctx: RequestContext): Promise<boolean> {
  return (await q.get('SELECT 1 AS x FROM default_security_groups WHERE project_id = ?', [ctx.projectId])) !== undefined;
}
