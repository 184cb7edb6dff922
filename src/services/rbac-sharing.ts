/**
 * What RBAC entries grant, for the services that own shareable objects: SQL visibility conditions, the
 * per-caller `shared` attribute, the wildcard entry behind `shared: true`, and the in-use check that keeps
 * an entry (or a share) from being withdrawn while another project still depends on it (Neutron's
 * RbacPolicyInUse). The entries themselves are managed by rbac-policies.ts.
 */
import type { RequestContext } from '../domain/context.js';
import { BadRequest, RbacPolicyInUse } from '../domain/errors.js';
import { EVERY_PROJECT, type RbacAction, type RbacObjectType } from '../domain/rbac-policy.js';
import type { Queryable, SqlValue } from '../store/store.js';
import { chunks, newId } from './standard-attributes.js';
import type { SqlCondition } from './table-list.js';

/** SQL: an entry of one of `actions` grants the object whose id is `idColumn` to `projectId` (or to everyone). */
export function grantedTo(objectType: RbacObjectType, idColumn: string, projectId: string, actions: readonly RbacAction[] = ['access_as_shared']): SqlCondition {
  return {
    sql: `EXISTS (SELECT 1 FROM rbac_policies r WHERE r.object_type = ? AND r.object_id = ${idColumn}
      AND r.action IN (${actions.map(() => '?').join(', ')}) AND r.target_tenant IN ('*', ?))`,
    params: [objectType, ...actions, projectId],
  };
}

/** Listing visibility of a shareable table: admins see all; others their own rows and rows granted to them. */
export function ownedOrGranted(objectType: RbacObjectType, ctx: RequestContext, actions?: readonly RbacAction[]): SqlCondition | undefined {
  if (ctx.isAdmin) return undefined;
  const granted = grantedTo(objectType, 't.id', ctx.projectId, actions);
  return { sql: `(t.project_id = ? OR ${granted.sql})`, params: [ctx.projectId, ...granted.params] };
}

/**
 * Filter `shared=true|false`: whether the object (whose id is `idColumn`) is shared with the caller's project
 * or with every project, the same per-caller answer as the `shared` attribute (`sharedIds`), as in Neutron.
 */
export function sharedFilter(objectType: RbacObjectType, idColumn = 't.id'): (values: string[], ctx: RequestContext) => SqlCondition {
  return (values, ctx) => {
    const wanted = new Set(
      values.map((v) => {
        const b = v.toLowerCase();
        if (!['true', 'false', '1', '0'].includes(b)) throw new BadRequest(`Invalid value '${v}' for filter shared: expected true or false`);
        return b === 'true' || b === '1';
      }),
    );
    const shared = `EXISTS (SELECT 1 FROM rbac_policies r WHERE r.object_type = ? AND r.object_id = ${idColumn} AND r.action = 'access_as_shared' AND r.target_tenant IN ('*', ?))`;
    if (wanted.size === 2) return { sql: '1=1', params: [] };
    return { sql: wanted.has(true) ? shared : `NOT ${shared}`, params: [objectType, ctx.projectId] };
  };
}

/** Ids among `ids` shared with `projectId` or with everyone: Neutron's per-caller `shared` attribute. */
export async function sharedIds(q: Queryable, objectType: RbacObjectType, ids: readonly string[], projectId: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const chunk of chunks(ids, 500)) {
    const rows = await q.all<{ object_id: string }>(
      `SELECT DISTINCT object_id FROM rbac_policies WHERE object_type = ? AND action = 'access_as_shared'
         AND target_tenant IN ('*', ?) AND object_id IN (${chunk.map(() => '?').join(',')})`,
      [objectType, projectId, ...chunk],
    );
    for (const r of rows) out.add(r.object_id);
  }
  return out;
}

/** True when an entry grants the object to the project (or everyone). */
export async function isGranted(q: Queryable, objectType: RbacObjectType, objectId: string, projectId: string, action: RbacAction = 'access_as_shared'): Promise<boolean> {
  const row = await q.get('SELECT 1 AS one FROM rbac_policies WHERE object_type = ? AND object_id = ? AND action = ? AND target_tenant IN (?, ?)', [
    objectType, objectId, action, EVERY_PROJECT, projectId,
  ]);
  return row !== undefined;
}

/** Inserts one entry (the caller has checked it is new). */
export async function insertEntry(tx: Queryable, entry: { projectId: string; objectType: RbacObjectType; objectId: string; action: RbacAction; target: string }): Promise<string> {
  const id = newId();
  await tx.run('INSERT INTO rbac_policies (id, project_id, object_type, object_id, action, target_tenant) VALUES (?, ?, ?, ?, ?, ?)', [
    id, entry.projectId, entry.objectType, entry.objectId, entry.action, entry.target,
  ]);
  return id;
}

/**
 * Makes the wildcard entry of `action` exist or not: `shared: true` (or `router:external: true`) is that
 * entry, as in Neutron. Withdrawing it is refused while other projects depend on it.
 */
export async function setGrantedToEveryone(tx: Queryable, objectType: RbacObjectType, objectId: string, ownerProject: string, action: RbacAction, on: boolean): Promise<void> {
  const current = await tx.get<{ id: string }>('SELECT id FROM rbac_policies WHERE object_type = ? AND object_id = ? AND action = ? AND target_tenant = ?', [
    objectType, objectId, action, EVERY_PROJECT,
  ]);
  if (on && !current) await insertEntry(tx, { projectId: ownerProject, objectType, objectId, action, target: EVERY_PROJECT });
  if (!on && current) {
    await assertWithdrawable(tx, { object_type: objectType, object_id: objectId, action, target_tenant: EVERY_PROJECT, id: current.id }, ownerProject);
    await tx.run('DELETE FROM rbac_policies WHERE id = ?', [current.id]);
  }
}

/** Deletes every entry of an object (with the object). */
export async function deleteEntriesOf(tx: Queryable, objectType: RbacObjectType, objectId: string): Promise<void> {
  await tx.run('DELETE FROM rbac_policies WHERE object_type = ? AND object_id = ?', [objectType, objectId]);
}

/** The query listing projects that use an object through an entry of `action`. */
const USERS: Record<RbacObjectType, Partial<Record<RbacAction, string>>> = {
  network: {
    access_as_shared: 'SELECT DISTINCT project_id FROM ports WHERE network_id = ?',
    // As in Neutron, routers with their gateway on the network depend on external access; floating IPs do not.
    access_as_external: 'SELECT DISTINCT project_id FROM routers WHERE gw_network_id = ?',
  },
  security_group: {
    access_as_shared: 'SELECT DISTINCT p.project_id FROM port_security_groups g JOIN ports p ON p.id = g.port_id WHERE g.security_group_id = ?',
  },
  address_scope: { access_as_shared: 'SELECT DISTINCT project_id FROM subnetpools WHERE address_scope_id = ?' },
  subnetpool: { access_as_shared: 'SELECT DISTINCT project_id FROM subnets WHERE subnetpool_id = ?' },
};

/** An entry being withdrawn (deleted, retargeted, or unshared). */
export interface EntryRef {
  id: string;
  object_type: RbacObjectType;
  object_id: string;
  action: RbacAction;
  target_tenant: string;
}

/**
 * Throws RbacPolicyInUse when withdrawing `entry` would leave a project other than the object's owner
 * using the object without any remaining entry granting it to that project.
 */
export async function assertWithdrawable(tx: Queryable, entry: EntryRef, ownerProject: string): Promise<void> {
  const sql = USERS[entry.object_type][entry.action];
  if (!sql) return;
  const params: SqlValue[] = (sql.match(/\?/g) ?? []).map(() => entry.object_id);
  const users = (await tx.all<{ project_id: string }>(sql, params)).map((r) => r.project_id).filter((p) => p !== '' && p !== ownerProject)
    // A targeted entry only ever granted its target; the wildcard granted everyone.
    .filter((p) => entry.target_tenant === EVERY_PROJECT || p === entry.target_tenant);
  const remaining = await tx.all<{ target_tenant: string }>('SELECT target_tenant FROM rbac_policies WHERE object_type = ? AND object_id = ? AND action = ? AND id <> ?', [
    entry.object_type, entry.object_id, entry.action, entry.id,
  ]);
  const stillGranted = new Set(remaining.map((r) => r.target_tenant));
  const stranded = users.filter((p) => !stillGranted.has(EVERY_PROJECT) && !stillGranted.has(p));
  if (stranded.length) {
    throw new RbacPolicyInUse(
      `RBAC policy on object ${entry.object_id} cannot be removed because other objects depend on it: project(s) ${stranded.join(', ')} still use the ${entry.object_type.replace('_', ' ')}.`,
    );
  }
}
