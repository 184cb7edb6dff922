/**
 * Which scopes a set of change records touches. This is the only place that knows resource types:
 * each type maps to the host scopes to recompile and the ports whose neighbor record to recompile.
 * It uses the manager's indexes for what was programmed (the row may be gone) and the tables for
 * what is now, so moves, unbinds and deletes reach both the old and the new hosts.
 */
import type { Queryable } from '../store/store.js';
import { entryKey, hostsInSecurityGroup, hostsInSubnets, routerSubnets, type OptionalTables } from './compiler.js';

/** One outbox record. */
export interface ChangeRecord {
  revision: number;
  resource_type: string;
  resource_id: string;
  operation: string;
}

/** The manager's indexes the planner reads. */
export interface PlanIndexes {
  readonly keyHosts: ReadonlyMap<string, ReadonlySet<string>>;
  readonly portHost: ReadonlyMap<string, string>;
  /** Port → hosts it is prepared on for a live migration. */
  readonly preparedHosts: ReadonlyMap<string, ReadonlySet<string>>;
  readonly ruleGroup: ReadonlyMap<string, string>;
  readonly routerOfPort: ReadonlyMap<string, string>;
}

/** Scopes to recompile. */
export interface ChangePlan {
  hosts: Set<string>;
  /** Ports whose neighbor record must be recompiled. */
  ports: Set<string>;
  /** Ports whose last record in the batch is a delete. */
  deletedPorts: Set<string>;
}

/** Works out the scopes touched by `changes`. */
export async function planChanges(q: Queryable, changes: readonly ChangeRecord[], idx: PlanIndexes, tables: OptionalTables): Promise<ChangePlan> {
  const plan: ChangePlan = { hosts: new Set(), ports: new Set(), deletedPorts: new Set() };
  const holders = (key: string) => {
    for (const h of idx.keyHosts.get(key) ?? []) plan.hosts.add(h);
  };
  const subnets = new Set<string>();
  const routers = new Set<string>();
  const groups = new Set<string>();
  for (const c of changes) {
    const id = c.resource_id;
    switch (c.resource_type) {
      case 'port': {
        plan.ports.add(id);
        if (c.operation === 'delete') plan.deletedPorts.add(id);
        else plan.deletedPorts.delete(id);
        const host = idx.portHost.get(id);
        if (host !== undefined) plan.hosts.add(host);
        for (const h of idx.preparedHosts.get(id) ?? []) plan.hosts.add(h);
        const router = idx.routerOfPort.get(id);
        if (router !== undefined) routers.add(router);
        break;
      }
      case 'network':
        holders(entryKey('vpc', id));
        break;
      case 'subnet':
        holders(entryKey('subnet', id));
        subnets.add(id);
        break;
      case 'router':
        holders(entryKey('router', id));
        routers.add(id);
        break;
      case 'security_group':
        holders(entryKey('securityGroup', id));
        groups.add(id);
        break;
      case 'security_group_rule': {
        const known = idx.ruleGroup.get(id);
        if (known !== undefined) groups.add(known);
        if (tables.securityGroups) {
          const row = await q.get<{ g: string }>('SELECT security_group_id AS g FROM security_group_rules WHERE id = ?', [id]);
          if (row) groups.add(row.g);
        }
        break;
      }
      case 'host': {
        plan.hosts.add(id);
        const ports = await q.all<{ id: string }>('SELECT id FROM ports WHERE binding_host_id = ?', [id]);
        for (const p of ports) plan.ports.add(p.id);
        break;
      }
      case 'floatingip': {
        // The port's host now, and every host holding an external network (the former port's host holds
        // the floating IP's network while the floating IP is associated there).
        if (!tables.routers) break;
        const fip = await q.get<{ port_id: string | null }>('SELECT port_id FROM floatingips WHERE id = ?', [id]);
        if (fip?.port_id) plan.ports.add(fip.port_id);
        for (const n of await q.all<{ id: string }>('SELECT id FROM networks WHERE router_external = 1')) holders(entryKey('vpc', n.id));
        break;
      }
      default:
        // Future types carry nothing the v1 goal state holds.
        break;
    }
  }
  // Where the changed ports are bound now, and router interfaces among them.
  const portIds = [...plan.ports];
  for (let i = 0; i < portIds.length; i += 500) {
    const chunk = portIds.slice(i, i + 500);
    const rows = await q.all<{ id: string; binding_host_id: string; device_owner: string; device_id: string }>(
      `SELECT id, binding_host_id, device_owner, device_id FROM ports WHERE id IN (${chunk.map(() => '?').join(',')})`,
      chunk,
    );
    for (const r of rows) {
      if (r.binding_host_id !== '') plan.hosts.add(r.binding_host_id);
      if (r.device_owner.startsWith('network:router_interface')) routers.add(r.device_id);
    }
    const prepared = await q.all<{ host: string }>(
      `SELECT DISTINCT host FROM port_bindings WHERE prepared = 1 AND port_id IN (${chunk.map(() => '?').join(',')})`,
      chunk,
    );
    for (const r of prepared) plan.hosts.add(r.host);
  }
  for (const router of routers) {
    holders(entryKey('router', router));
    if (!tables.routers) continue;
    for (const s of await routerSubnets(q, router)) subnets.add(s);
    // The host carrying its gateway (the former one holds the router entry, above).
    const gateway = await q.get<{ gateway_host: string }>('SELECT gateway_host FROM routers WHERE id = ?', [router]);
    if (gateway && gateway.gateway_host !== '') plan.hosts.add(gateway.gateway_host);
  }
  for (const group of groups) {
    holders(entryKey('securityGroup', group));
    for (const h of await hostsInSecurityGroup(q, group)) plan.hosts.add(h);
  }
  if (subnets.size > 0) for (const h of await hostsInSubnets(q, [...subnets])) plan.hosts.add(h);
  return plan;
}
