/**
 * Security groups: CRUD with Neutron's rules (every project gets a `default` group on first use, which a
 * project member cannot delete or rename; a group used by a port answers 409 SecurityGroupInUse, never
 * 403 as the original Alcor did), and the helpers the port service uses to resolve a port's groups.
 */
import type { ServerConfig } from '../config.js';
import type { RequestContext } from '../domain/context.js';
import {
  PolicyNotAuthorized,
  PortSecurityAndIPRequiredForSecurityGroups,
  SecurityGroupCannotRemoveDefault,
  SecurityGroupCannotUpdateDefault,
  SecurityGroupDefaultAlreadyExists,
  SecurityGroupInUse,
  SecurityGroupNotFound,
} from '../domain/errors.js';
import type { ListQuery } from '../domain/list-query.js';
import type { SecurityGroup, SecurityGroupCreate, SecurityGroupUpdate } from '../domain/security-group.js';
import { appendChange } from '../store/outbox.js';
import type { Queryable, Store } from '../store/store.js';
import { collectionReader, type CollectionService } from './collection-reader.js';
import { owningProject, writableRow } from './access.js';
import { checkQuota } from './quotas.js';
import { deleteEntriesOf, isGranted } from './rbac-sharing.js';
import {
  ensureDefaultSecurityGroup,
  hasDefaultGroup,
  hydrateSecurityGroups,
  insertSecurityGroup,
  isDefaultGroup,
  SECURITY_GROUP_TABLE,
  type SecurityGroupRow,
} from './security-group-rows.js';
import { chunks, deleteTags, replaceTags, timestamp } from './standard-attributes.js';
import { listRows } from './table-list.js';

export { ensureDefaultSecurityGroup } from './security-group-rows.js';

/**
 * The security groups of a new or updated port. `requested` undefined means "not given": the project's
 * default group (created on first use), or none when port security is off. Every named group must exist
 * and be visible to ctx (404 SecurityGroupNotFound); groups on a port without port security are a 400
 * (PortSecurityAndIPRequiredForSecurityGroups), as in Neutron.
 */
export async function resolvePortSecurityGroups(
  tx: Queryable,
  ctx: RequestContext,
  projectId: string,
  requested: string[] | undefined,
  portSecurityEnabled: boolean,
): Promise<string[]> {
  if (requested === undefined) return portSecurityEnabled ? [await ensureDefaultSecurityGroup(tx, projectId)] : [];
  const ids = [...new Set(requested)];
  if (ids.length > 0 && !portSecurityEnabled) {
    throw new PortSecurityAndIPRequiredForSecurityGroups('Port security must be enabled and port must have an IP address in order to use security groups.');
  }
  for (const id of ids) {
    const row = await tx.get<{ project_id: string }>('SELECT project_id FROM security_groups WHERE id = ?', [id]);
    const granted = row !== undefined && (await isGranted(tx, 'security_group', id, projectId));
    if (!row || (!ctx.isAdmin && row.project_id !== ctx.projectId && row.project_id !== projectId && !granted)) {
      throw new SecurityGroupNotFound(`Security group ${id} does not exist`);
    }
  }
  return ids;
}

/** The security group ids of many ports at once (sorted per port); ports without groups map to []. */
export async function loadPortSecurityGroups(q: Queryable, portIds: string[]): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>(portIds.map((id) => [id, []]));
  for (const chunk of chunks(portIds, 500)) {
    const rows = await q.all<{ port_id: string; security_group_id: string }>(
      `SELECT port_id, security_group_id FROM port_security_groups WHERE port_id IN (${chunk.map(() => '?').join(',')}) ORDER BY security_group_id`,
      chunk,
    );
    for (const row of rows) result.get(row.port_id)?.push(row.security_group_id);
  }
  return result;
}

/** The security-group service. */
export type SecurityGroupService = CollectionService<SecurityGroup, SecurityGroupCreate, SecurityGroupUpdate>;

function assertNotNamedDefault(name: string | undefined): void {
  if (name !== undefined && name.trim().toLowerCase() === 'default') {
    throw new SecurityGroupDefaultAlreadyExists('Default security group already exists: no other group may be named default.');
  }
}

async function portsUsing(q: Queryable, id: string): Promise<number> {
  const row = await q.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM port_security_groups WHERE security_group_id = ?', [id]);
  return Number(row?.n ?? 0);
}

/** Builds the security-group service. */
export function createSecurityGroupService(store: Store, config: ServerConfig): SecurityGroupService {
  const reader = collectionReader<SecurityGroupRow, SecurityGroup>(store, SECURITY_GROUP_TABLE, (q, ctx, rows) => hydrateSecurityGroups(q, rows, ctx.projectId));
  const listPage = (q: Queryable, ctx: RequestContext, query: ListQuery) =>
    listRows<SecurityGroupRow>(q, SECURITY_GROUP_TABLE, ctx, query).then(async ({ rows, hasMore }) => ({ items: await hydrateSecurityGroups(q, rows, ctx.projectId), hasMore }));

  return {
    createMany: (ctx, bodies) =>
      store.write(async (tx) => {
        const created: SecurityGroup[] = [];
        for (const body of bodies) {
          assertNotNamedDefault(body.name);
          const projectId = owningProject(ctx, body);
          await ensureDefaultSecurityGroup(tx, projectId);
          await checkQuota(tx, config.quotaDefaults, projectId, 'security_group', 1);
          const id = await insertSecurityGroup(
            tx,
            projectId,
            { name: body.name ?? '', description: body.description ?? '', stateful: body.stateful ?? true },
            false,
          );
          if (body.tags?.length) await replaceTags(tx, 'security_groups', id, body.tags);
          created.push(await reader.readOne(tx, ctx, id));
        }
        return created;
      }),

    get: reader.get,

    // Neutron creates the caller's default group when it first looks at its groups. The query is run
    // (and so validated) before that write, so a bad request never changes anything.
    list: async (ctx, query) => {
      const first = await store.read(async (q) => ((await hasDefaultGroup(q, ctx)) ? listPage(q, ctx, query) : (await listPage(q, ctx, query), undefined)));
      if (first) return first;
      await store.write((tx) => ensureDefaultSecurityGroup(tx, ctx.projectId));
      return store.read((q) => listPage(q, ctx, query));
    },

    update: (ctx, id, body, ifRevision) =>
      store.write(async (tx) => {
        const row = await writableRow<SecurityGroupRow>(tx, SECURITY_GROUP_TABLE, ctx, 'security_group', id, 'update', ifRevision);
        const isDefault = await isDefaultGroup(tx, id);
        if (isDefault && body.name !== undefined && body.name !== row.name) {
          throw new SecurityGroupCannotUpdateDefault('Updating the name of the default security group is not allowed.');
        }
        if (!isDefault) assertNotNamedDefault(body.name);
        const stateful = body.stateful === undefined ? row.stateful : body.stateful ? 1 : 0;
        if (stateful !== row.stateful && (await portsUsing(tx, id)) > 0) {
          throw new SecurityGroupInUse(`Security group ${id} is in use by ports: its stateful attribute cannot change.`);
        }
        await tx.run(
          'UPDATE security_groups SET name = ?, description = ?, stateful = ?, revision_number = revision_number + 1, updated_at = ? WHERE id = ?',
          [body.name ?? row.name, body.description ?? row.description, stateful, timestamp(), id],
        );
        await appendChange(tx, 'security_group', id, 'update');
        return reader.readOne(tx, ctx, id);
      }),

    delete: (ctx, id, ifRevision) =>
      store.write(async (tx) => {
        await writableRow<SecurityGroupRow>(tx, SECURITY_GROUP_TABLE, ctx, 'security_group', id, 'delete', ifRevision);
        if (!ctx.isAdmin && (await isDefaultGroup(tx, id))) {
          throw new SecurityGroupCannotRemoveDefault('Removing the default security group is not allowed.');
        }
        const used = await portsUsing(tx, id);
        if (used > 0) throw new SecurityGroupInUse(`Security group ${id} is in use by ${used} port(s).`);
        // Rules anywhere that reference this group as their remote group go with it (Neutron's cascade).
        const rules = await tx.all<{ id: string }>('SELECT id FROM security_group_rules WHERE security_group_id = ? OR remote_group_id = ?', [id, id]);
        for (const rule of rules) await appendChange(tx, 'security_group_rule', rule.id, 'delete');
        await tx.run('DELETE FROM security_group_rules WHERE security_group_id = ? OR remote_group_id = ?', [id, id]);
        await tx.run('DELETE FROM default_security_groups WHERE security_group_id = ?', [id]);
        await deleteTags(tx, 'security_groups', id);
        await deleteEntriesOf(tx, 'security_group', id);
        await tx.run('DELETE FROM security_groups WHERE id = ?', [id]);
        await appendChange(tx, 'security_group', id, 'delete');
      }),
  };
}

/** Throws 403 unless ctx may change groups of the project (used by the rule service). */
export function assertGroupOwner(ctx: RequestContext, projectId: string, id: string): void {
  if (!ctx.isAdmin && ctx.projectId !== projectId) {
    throw new PolicyNotAuthorized(`(rule:create_security_group_rule) is disallowed by policy for security group ${id}`);
  }
}
