/**
 * Writes security groups, rules, routers, floating IPs, quota overrides and RBAC policies as Neutron has
 * them, in the caller's transaction, with an outbox record per resource (RBAC policies have no Alcor
 * resource of their own: they are kept for verification and expressed by the network flags).
 */
import { normalizeIp } from '../domain/ip.js';
import { QUOTA_RESOURCES } from '../domain/quota.js';
import { normalizeRule } from '../domain/security-group.js';
import { appendChange } from '../store/outbox.js';
import type { Queryable } from '../store/store.js';
import { FLOATINGIP_TAG_TYPE, ROUTER_TAG_TYPE } from './alcor-view.js';
import { MigrationConflict } from './conflicts.js';
import { ownerOf, type NeutronFloatingIp, type NeutronRbacPolicy, type NeutronRouter, type NeutronRule, type NeutronSecurityGroup } from './neutron-types.js';
import { setTags, stamp } from './write-common.js';

async function exists(tx: Queryable, table: string, id: string): Promise<boolean> {
  return (await tx.get(`SELECT 1 AS x FROM ${table} WHERE id = ?`, [id])) !== undefined;
}

async function assertNew(tx: Queryable, table: string, kind: string, id: string): Promise<void> {
  if (await exists(tx, table, id)) throw new MigrationConflict('same-id-different-content', `${kind} ${id} appeared in Alcor meanwhile`);
}

/** Creates or overwrites a group; Neutron's `default` group becomes the project's default in Alcor (same id). */
export async function writeSecurityGroup(tx: Queryable, g: NeutronSecurityGroup, create: boolean): Promise<void> {
  if (create) await assertNew(tx, 'security_groups', 'security group', g.id);
  const project = ownerOf(g);
  const isDefault = g.name === 'default';
  if (isDefault) {
    const current = await tx.get<{ security_group_id: string }>('SELECT security_group_id FROM default_security_groups WHERE project_id = ?', [project]);
    if (current && current.security_group_id !== g.id) {
      throw new MigrationConflict('default-group-exists', `security group ${g.id}: project '${project}' already has default group ${current.security_group_id} in Alcor (created before the import); delete it there and run again`);
    }
  }
  const values = [project, g.name, g.description ?? '', g.stateful === false ? 0 : 1, g.revision_number ?? 0, stamp(g.created_at), stamp(g.updated_at), g.id];
  if (create) {
    await tx.run(
      'INSERT INTO security_groups (project_id, name, description, stateful, revision_number, created_at, updated_at, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      values,
    );
  } else {
    await tx.run('UPDATE security_groups SET project_id = ?, name = ?, description = ?, stateful = ?, revision_number = ?, created_at = ?, updated_at = ? WHERE id = ?', values);
  }
  if (isDefault) {
    await tx.run('INSERT INTO default_security_groups (project_id, security_group_id) VALUES (?, ?) ON CONFLICT (project_id) DO NOTHING', [project, g.id]);
  }
  await setTags(tx, 'security_groups', g.id, g.tags);
  await appendChange(tx, 'security_group', g.id, create ? 'create' : 'update');
}

/** Creates or overwrites a rule (validated with Alcor's own rule rules, stored as Neutron has it). */
export async function writeRule(tx: Queryable, r: NeutronRule, create: boolean): Promise<void> {
  if (create) await assertNew(tx, 'security_group_rules', 'security group rule', r.id);
  if (!(await exists(tx, 'security_groups', r.security_group_id))) {
    throw new MigrationConflict('missing-dependency', `security group rule ${r.id}: its group ${r.security_group_id} is not in Alcor`);
  }
  if (r.remote_address_group_id) throw new MigrationConflict('unsupported', `security group rule ${r.id}: remote address groups are not supported by Alcor`);
  try {
    normalizeRule({
      direction: r.direction as 'ingress', ethertype: r.ethertype, protocol: r.protocol, port_range_min: r.port_range_min,
      port_range_max: r.port_range_max, remote_ip_prefix: r.remote_ip_prefix, remote_group_id: r.remote_group_id,
      security_group_id: r.security_group_id,
    });
  } catch (err) {
    throw new MigrationConflict('invalid', `security group rule ${r.id}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const values = [
    ownerOf(r), r.security_group_id, r.direction, r.ethertype, r.protocol === null ? null : String(r.protocol), r.port_range_min, r.port_range_max,
    r.remote_ip_prefix, r.remote_group_id, r.description ?? '', r.revision_number ?? 0, stamp(r.created_at), stamp(r.updated_at), r.id,
  ];
  if (create) {
    await tx.run(
      `INSERT INTO security_group_rules (project_id, security_group_id, direction, ethertype, protocol, port_range_min, port_range_max,
         remote_ip_prefix, remote_group_id, description, revision_number, created_at, updated_at, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      values,
    );
  } else {
    await tx.run(
      `UPDATE security_group_rules SET project_id = ?, security_group_id = ?, direction = ?, ethertype = ?, protocol = ?, port_range_min = ?,
         port_range_max = ?, remote_ip_prefix = ?, remote_group_id = ?, description = ?, revision_number = ?, created_at = ?, updated_at = ? WHERE id = ?`,
      values,
    );
  }
  await appendChange(tx, 'security_group_rule', r.id, create ? 'create' : 'update');
}

/** Creates or overwrites a router; its gateway port is the Neutron port that names it as device. */
export async function writeRouter(tx: Queryable, r: NeutronRouter, gatewayPortId: string | undefined, create: boolean): Promise<void> {
  if (create) await assertNew(tx, 'routers', 'router', r.id);
  const gw = r.external_gateway_info;
  if (gw && !(await exists(tx, 'networks', gw.network_id))) {
    throw new MigrationConflict('missing-dependency', `router ${r.id}: its external network ${gw.network_id} is not in Alcor`);
  }
  if (r.ha) throw new MigrationConflict('unsupported', `router ${r.id}: HA routers are not supported by Alcor`);
  const routes = JSON.stringify((r.routes ?? []).map((x) => ({ destination: x.destination, nexthop: normalizeIp(x.nexthop) ?? x.nexthop })));
  const values = [
    ownerOf(r), r.name, r.description ?? '', r.admin_state_up ? 1 : 0, r.status ?? 'ACTIVE', r.distributed ? 1 : 0, r.ha ? 1 : 0,
    gw?.network_id ?? null, gw ? (gatewayPortId ?? null) : null, gw?.enable_snat === false ? 0 : 1, routes, r.revision_number ?? 0,
    stamp(r.created_at), stamp(r.updated_at), r.id,
  ];
  if (create) {
    await tx.run(
      `INSERT INTO routers (project_id, name, description, admin_state_up, status, distributed, ha, gw_network_id, gw_port_id, enable_snat,
         routes, revision_number, created_at, updated_at, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      values,
    );
  } else {
    await tx.run(
      `UPDATE routers SET project_id = ?, name = ?, description = ?, admin_state_up = ?, status = ?, distributed = ?, ha = ?, gw_network_id = ?,
         gw_port_id = ?, enable_snat = ?, routes = ?, revision_number = ?, created_at = ?, updated_at = ? WHERE id = ?`,
      values,
    );
  }
  await setTags(tx, ROUTER_TAG_TYPE, r.id, r.tags);
  await appendChange(tx, 'router', r.id, create ? 'create' : 'update');
}

/** Creates or overwrites a floating IP with its association; its own port is the `network:floatingip` port naming it. */
export async function writeFloatingIp(tx: Queryable, f: NeutronFloatingIp, floatingPortId: string | undefined, create: boolean): Promise<void> {
  if (create) await assertNew(tx, 'floatingips', 'floating IP', f.id);
  if (!(await exists(tx, 'networks', f.floating_network_id))) {
    throw new MigrationConflict('missing-dependency', `floating IP ${f.id}: its network ${f.floating_network_id} is not in Alcor`);
  }
  if (floatingPortId === undefined || !(await exists(tx, 'ports', floatingPortId))) {
    throw new MigrationConflict('missing-dependency', `floating IP ${f.id}: its network:floatingip port is not in Alcor`);
  }
  if (f.port_id && !(await exists(tx, 'ports', f.port_id))) {
    throw new MigrationConflict('missing-dependency', `floating IP ${f.id}: its associated port ${f.port_id} is not in Alcor`);
  }
  if (f.router_id && !(await exists(tx, 'routers', f.router_id))) {
    throw new MigrationConflict('missing-dependency', `floating IP ${f.id}: its router ${f.router_id} is not in Alcor`);
  }
  const fixed = f.fixed_ip_address === null ? null : (normalizeIp(f.fixed_ip_address) ?? f.fixed_ip_address);
  if (f.port_id) {
    const other = await tx.get<{ id: string }>('SELECT id FROM floatingips WHERE port_id = ? AND fixed_ip_address = ? AND id <> ?', [f.port_id, fixed, f.id]);
    if (other) throw new MigrationConflict('in-use', `floating IP ${f.id}: ${f.port_id}/${String(fixed)} already carries Alcor floating IP ${other.id}`);
  }
  const values = [
    ownerOf(f), f.description ?? '', f.floating_network_id, floatingPortId, normalizeIp(f.floating_ip_address) ?? f.floating_ip_address,
    f.port_id, fixed, f.router_id, f.status ?? 'DOWN', f.revision_number ?? 0, stamp(f.created_at), stamp(f.updated_at), f.id,
  ];
  if (create) {
    await tx.run(
      `INSERT INTO floatingips (project_id, description, floating_network_id, floating_port_id, floating_ip_address, port_id, fixed_ip_address,
         router_id, status, revision_number, created_at, updated_at, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      values,
    );
  } else {
    await tx.run(
      `UPDATE floatingips SET project_id = ?, description = ?, floating_network_id = ?, floating_port_id = ?, floating_ip_address = ?, port_id = ?,
         fixed_ip_address = ?, router_id = ?, status = ?, revision_number = ?, created_at = ?, updated_at = ? WHERE id = ?`,
      values,
    );
  }
  await setTags(tx, FLOATINGIP_TAG_TYPE, f.id, f.tags);
  await appendChange(tx, 'floatingip', f.id, create ? 'create' : 'update');
}

/** Replaces a project's quota overrides. */
export async function writeQuota(tx: Queryable, projectId: string, overrides: Record<string, number>): Promise<void> {
  await tx.run('DELETE FROM quotas WHERE project_id = ?', [projectId]);
  for (const resource of QUOTA_RESOURCES) {
    const limit = overrides[resource];
    if (limit !== undefined) await tx.run('INSERT INTO quotas (project_id, resource, hard_limit) VALUES (?, ?, ?)', [projectId, resource, limit]);
  }
  await appendChange(tx, 'quota', projectId, 'update');
}

/** Keeps an RBAC policy Alcor can express (shared or external to every project). */
export async function writeRbacPolicy(tx: Queryable, p: NeutronRbacPolicy, create: boolean): Promise<void> {
  const expressible = p.object_type === 'network' && p.target_tenant === '*' && (p.action === 'access_as_shared' || p.action === 'access_as_external');
  if (!expressible) {
    throw new MigrationConflict('unsupported', `RBAC policy ${p.id}: ${p.action} on ${p.object_type} ${p.object_id} for '${p.target_tenant}' has no Alcor equivalent (only shared/external to every project)`);
  }
  if (!(await exists(tx, 'networks', p.object_id))) throw new MigrationConflict('missing-dependency', `RBAC policy ${p.id}: network ${p.object_id} is not in Alcor`);
  if (!create) await tx.run('DELETE FROM migrate_rbac_policies WHERE id = ?', [p.id]);
  await tx.run('INSERT INTO migrate_rbac_policies (id, project_id, object_type, object_id, action, target_tenant) VALUES (?, ?, ?, ?, ?, ?)', [
    p.id, ownerOf(p), p.object_type, p.object_id, p.action, p.target_tenant,
  ]);
  // The entry itself is what grants the network to other projects; an equal one (from the network's flags) gives way.
  await tx.run('DELETE FROM rbac_policies WHERE id = ? OR (object_type = ? AND object_id = ? AND action = ? AND target_tenant = ?)', [
    p.id, p.object_type, p.object_id, p.action, p.target_tenant,
  ]);
  await tx.run('INSERT INTO rbac_policies (id, project_id, object_type, object_id, action, target_tenant) VALUES (?, ?, ?, ?, ?, ?)', [
    p.id, ownerOf(p), p.object_type, p.object_id, p.action, p.target_tenant,
  ]);
}
