/**
 * RBAC policies (Neutron's rbac-policies, rbac-security-groups, rbac-address-scope, rbac-subnetpool): the
 * owner of a network, security group, address scope or subnet pool (or an admin) grants one project, or
 * every project ('*', admin only), the use of it; access_as_external makes a network external for the
 * target. An entry cannot be withdrawn while the target still uses the object (409 RbacPolicyInUse).
 * Non-admins see the entries they created.
 */
import type { RequestContext } from '../domain/context.js';
import { DuplicateRbacPolicy, InvalidInput, PolicyNotAuthorized, RbacPolicyNotFound } from '../domain/errors.js';
import { EVERY_PROJECT, validateRbacAction, type RbacObjectType, type RbacPolicy, type RbacPolicyCreate, type RbacPolicyUpdate } from '../domain/rbac-policy.js';
import type { ServerConfig } from '../config.js';
import { appendChange } from '../store/outbox.js';
import type { Queryable, Store } from '../store/store.js';
import { owningProject } from './access.js';
import { ADDRESS_SCOPE_TABLE } from './address-scopes.js';
import { bulkCreate, collectionReader, type CollectionService } from './collection-reader.js';
import { syncNetworkFlags } from './network-sharing.js';
import { NETWORK_TABLE } from './networks.js';
import { checkQuota } from './quotas.js';
import { assertWithdrawable, insertEntry } from './rbac-sharing.js';
import { SECURITY_GROUP_TABLE } from './security-group-rows.js';
import { SUBNET_POOL_TABLE } from './subnet-pools.js';
import { timestamp } from './standard-attributes.js';
import { getVisibleRow, type TableSpec } from './table-list.js';

/** A row of rbac_policies. */
export interface RbacPolicyRow {
  id: string;
  project_id: string;
  object_type: RbacObjectType;
  object_id: string;
  action: RbacPolicy['action'];
  target_tenant: string;
}

const text = (column: string) => ({ column, kind: 'string' as const });

/** Listing spec: non-admins see the entries of their project. */
export const RBAC_POLICY_TABLE: TableSpec = {
  table: 'rbac_policies',
  columns: {
    id: text('id'),
    project_id: text('project_id'),
    tenant_id: text('project_id'),
    object_type: text('object_type'),
    object_id: text('object_id'),
    action: text('action'),
    target_tenant: text('target_tenant'),
  },
  visibility: (ctx) => (ctx.isAdmin ? undefined : { sql: 't.project_id = ?', params: [ctx.projectId] }),
  notFound: (id) => new RbacPolicyNotFound(`RBAC policy with id ${id} could not be found`),
};

/** The listing spec of each object type, which decides whether the caller may see the object. */
const OBJECT_TABLES: Record<RbacObjectType, TableSpec> = {
  network: NETWORK_TABLE,
  security_group: SECURITY_GROUP_TABLE,
  address_scope: ADDRESS_SCOPE_TABLE,
  subnetpool: SUBNET_POOL_TABLE,
};

async function hydrate(_q: Queryable, _ctx: RequestContext, rows: RbacPolicyRow[]): Promise<RbacPolicy[]> {
  return rows.map((r) => ({ ...r, tenant_id: r.project_id }));
}

/**
 * The object an entry is about, owned by ctx's project unless ctx is admin; returns its owner. As in Neutron,
 * a network must be visible to the caller (else 404), other objects are looked up whoever owns them.
 */
async function objectOwner(tx: Queryable, ctx: RequestContext, objectType: RbacObjectType, objectId: string): Promise<string> {
  const spec = OBJECT_TABLES[objectType];
  const object =
    objectType === 'network'
      ? await getVisibleRow<{ project_id: string }>(tx, spec, ctx, objectId)
      : await tx.get<{ project_id: string }>(`SELECT project_id FROM ${spec.table} WHERE id = ?`, [objectId]);
  if (!object) throw spec.notFound(objectId);
  if (!ctx.isAdmin && object.project_id !== ctx.projectId) {
    throw new InvalidInput(`Invalid input for operation: Only admins can manipulate policies on ${objectType.replace('_', ' ')}s they do not own.`);
  }
  return object.project_id;
}

function assertTargetAllowed(ctx: RequestContext, target: string): void {
  if (target === EVERY_PROJECT && !ctx.isAdmin) {
    throw new PolicyNotAuthorized("(rule:create_rbac_policy:target_tenant) is disallowed by policy: only admins may share with every project ('*')");
  }
}

async function assertNew(tx: Queryable, entry: { object_type: string; object_id: string; action: string; target_tenant: string }): Promise<void> {
  const same = await tx.get<{ id: string }>('SELECT id FROM rbac_policies WHERE object_type = ? AND object_id = ? AND action = ? AND target_tenant = ?', [
    entry.object_type, entry.object_id, entry.action, entry.target_tenant,
  ]);
  if (same) throw new DuplicateRbacPolicy(`An RBAC policy already exists with those values (policy ${same.id}).`);
}

/** What changes with an entry beyond the entry: the object's revision (as in Neutron) and a network's shared / external columns. */
async function afterChange(tx: Queryable, row: { id: string; object_type: RbacObjectType; object_id: string }, operation: 'create' | 'update' | 'delete'): Promise<void> {
  const bumped = row.object_type === 'network' && (await syncNetworkFlags(tx, row.object_id));
  if (!bumped) {
    await tx.run(`UPDATE ${OBJECT_TABLES[row.object_type].table} SET revision_number = revision_number + 1, updated_at = ? WHERE id = ?`, [timestamp(), row.object_id]);
  }
  await appendChange(tx, 'rbac_policy', row.id, operation);
}

/** The RBAC policy service. */
export type RbacPolicyService = CollectionService<RbacPolicy, RbacPolicyCreate, RbacPolicyUpdate>;

/** Builds the RBAC policy service over a store. */
export function createRbacPolicyService(store: Store, config: ServerConfig): RbacPolicyService {
  const reader = collectionReader(store, RBAC_POLICY_TABLE, hydrate);
  const insert = async (tx: Queryable, ctx: RequestContext, body: RbacPolicyCreate): Promise<string> => {
    validateRbacAction(body.object_type, body.action);
    await objectOwner(tx, ctx, body.object_type, body.object_id);
    assertTargetAllowed(ctx, body.target_tenant);
    const projectId = owningProject(ctx, body);
    await checkQuota(tx, config.quotaDefaults, projectId, 'rbac_policy', 1);
    await assertNew(tx, body);
    const id = await insertEntry(tx, { projectId, objectType: body.object_type, objectId: body.object_id, action: body.action, target: body.target_tenant });
    await afterChange(tx, { id, object_type: body.object_type, object_id: body.object_id }, 'create');
    return id;
  };
  const writable = async (tx: Queryable, ctx: RequestContext, id: string): Promise<{ row: RbacPolicyRow; owner: string }> => {
    const row = await getVisibleRow<RbacPolicyRow>(tx, RBAC_POLICY_TABLE, ctx, id);
    const object = await tx.get<{ project_id: string }>(`SELECT project_id FROM ${OBJECT_TABLES[row.object_type].table} WHERE id = ?`, [row.object_id]);
    return { row, owner: object?.project_id ?? row.project_id };
  };

  return {
    createMany: bulkCreate(store, reader, insert),
    get: reader.get,
    list: reader.list,
    update: (ctx, id, body) =>
      store.write(async (tx) => {
        const { row, owner } = await writable(tx, ctx, id);
        if (body.target_tenant === undefined || body.target_tenant === row.target_tenant) return reader.readOne(tx, ctx, id);
        assertTargetAllowed(ctx, body.target_tenant);
        await assertNew(tx, { ...row, target_tenant: body.target_tenant });
        await assertWithdrawable(tx, row, owner);
        await tx.run('UPDATE rbac_policies SET target_tenant = ? WHERE id = ?', [body.target_tenant, id]);
        await afterChange(tx, row, 'update');
        return reader.readOne(tx, ctx, id);
      }),
    delete: (ctx, id) =>
      store.write(async (tx) => {
        const { row, owner } = await writable(tx, ctx, id);
        await assertWithdrawable(tx, row, owner);
        await tx.run('DELETE FROM rbac_policies WHERE id = ?', [id]);
        await afterChange(tx, row, 'delete');
      }),
  };
}
