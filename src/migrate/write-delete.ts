/**
 * Deletes, in the caller's transaction, a resource that an earlier run imported and Neutron no longer
 * has, with its outbox record. Something Alcor itself still hangs on it (a port created through Alcor's
 * API on an imported network, say) is a conflict, never a cascade.
 */
import { appendChange } from '../store/outbox.js';
import type { Queryable } from '../store/store.js';
import { FLOATINGIP_TAG_TYPE, ROUTER_TAG_TYPE } from './alcor-view.js';
import type { Kind } from './canonical.js';
import { MigrationConflict } from './conflicts.js';

async function count(tx: Queryable, sql: string, params: string[]): Promise<number> {
  const row = await tx.get<{ n: number | string }>(sql, params);
  return Number(row?.n ?? 0);
}

async function deleteRow(tx: Queryable, table: string, tagType: string | undefined, kind: Kind, id: string): Promise<void> {
  if (tagType) await tx.run('DELETE FROM tags WHERE resource_type = ? AND resource_id = ?', [tagType, id]);
  if ((await tx.run(`DELETE FROM ${table} WHERE id = ?`, [id])) > 0) await appendChange(tx, kind, id, 'delete');
}

/** Deletes one imported resource of `kind`. */
export async function deleteImported(tx: Queryable, kind: Kind, id: string): Promise<void> {
  switch (kind) {
    case 'network': {
      const held = await count(tx, 'SELECT COUNT(*) AS n FROM ports WHERE network_id = ?', [id]) + (await count(tx, 'SELECT COUNT(*) AS n FROM subnets WHERE network_id = ?', [id]));
      if (held > 0) throw new MigrationConflict('in-use', `network ${id} is gone from Neutron but ${held} subnet(s)/port(s) not from Neutron are still on it in Alcor`);
      return deleteRow(tx, 'networks', 'networks', kind, id);
    }
    case 'subnet': {
      const used = await count(tx, 'SELECT COUNT(*) AS n FROM ip_allocations WHERE subnet_id = ?', [id]);
      if (used > 0) throw new MigrationConflict('in-use', `subnet ${id} is gone from Neutron but ${used} address(es) of it are still allocated in Alcor`);
      return deleteRow(tx, 'subnets', 'subnets', kind, id);
    }
    case 'port':
      // Addresses and group memberships go with the row (ON DELETE CASCADE).
      return deleteRow(tx, 'ports', 'ports', kind, id);
    case 'security_group': {
      const used = await count(tx, 'SELECT COUNT(*) AS n FROM port_security_groups WHERE security_group_id = ?', [id]);
      if (used > 0) throw new MigrationConflict('in-use', `security group ${id} is gone from Neutron but ${used} Alcor port(s) still use it`);
      const rules = await tx.all<{ id: string }>('SELECT id FROM security_group_rules WHERE security_group_id = ?', [id]);
      for (const rule of rules) await deleteRow(tx, 'security_group_rules', undefined, 'security_group_rule', rule.id);
      await tx.run('DELETE FROM default_security_groups WHERE security_group_id = ?', [id]);
      return deleteRow(tx, 'security_groups', 'security_groups', kind, id);
    }
    case 'security_group_rule':
      return deleteRow(tx, 'security_group_rules', undefined, kind, id);
    case 'router':
      return deleteRow(tx, 'routers', ROUTER_TAG_TYPE, kind, id);
    case 'floatingip':
      return deleteRow(tx, 'floatingips', FLOATINGIP_TAG_TYPE, kind, id);
    case 'quota':
      if ((await tx.run('DELETE FROM quotas WHERE project_id = ?', [id])) > 0) await appendChange(tx, 'quota', id, 'delete');
      return;
    case 'rbac_policy':
      await tx.run('DELETE FROM migrate_rbac_policies WHERE id = ?', [id]);
      await tx.run('DELETE FROM rbac_policies WHERE id = ?', [id]);
      return;
  }
}
