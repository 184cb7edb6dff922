/**
 * Subnet pools (Neutron's subnet_allocation, default-subnetpools and subnetpool-prefix-ops): prefixes of
 * one IP version with prefix-length bounds, an optional per-project share (`default_quota`), membership of
 * an address scope (whose pools must not overlap), one default pool per IP version (admin only), and the
 * add_prefixes / remove_prefixes actions. Shared by RBAC entries; `shared: true` (admin only) is the entry
 * for every project. Carving subnets out of a pool is subnet-allocation.ts.
 */
import type { ServerConfig } from '../config.js';
import type { RequestContext } from '../domain/context.js';
import {
  AddressScopePrefixConflict,
  IllegalSubnetPoolAssociationToAddressScope,
  IllegalSubnetPoolIpVersionAssociationToAddressScope,
  IllegalSubnetPoolPrefixUpdate,
  InvalidInput,
  NetworkAddressScopeAffinityError,
  SubnetPoolDeleteError,
  SubnetPoolNotFound,
} from '../domain/errors.js';
import { cidrsOverlap, formatCidr, parseCidr, type Cidr, type IpVersion } from '../domain/ip.js';
import { cidrWithin, mergeCidrs, parsePoolPrefixes, prefixBounds, requestedBounds, subtractCidr, type SubnetPool, type SubnetPoolCreate, type SubnetPoolUpdate } from '../domain/subnet-pool.js';
import { appendChange } from '../store/outbox.js';
import type { Queryable, Store } from '../store/store.js';
import { assertAdminFor, owningProject, writableRow } from './access.js';
import { ADDRESS_SCOPE_TABLE, type AddressScopeRow } from './address-scopes.js';
import { bulkCreate, collectionReader, type CollectionService } from './collection-reader.js';
import { checkQuota } from './quotas.js';
import { deleteEntriesOf, isGranted, ownedOrGranted, setGrantedToEveryone, sharedFilter, sharedIds } from './rbac-sharing.js';
import { deleteTags, loadTags, newId, replaceTags, timestamp } from './standard-attributes.js';
import { getVisibleRow, STANDARD_COLUMNS, type TableSpec } from './table-list.js';

/** A row of subnetpools. */
export interface SubnetPoolRow {
  id: string;
  project_id: string;
  name: string;
  description: string;
  ip_version: number;
  /** JSON array of canonical CIDRs. */
  prefixes: string;
  default_prefixlen: number;
  min_prefixlen: number;
  max_prefixlen: number;
  default_quota: number | string | null;
  address_scope_id: string | null;
  is_default: number;
  revision_number: number | string;
  created_at: string;
  updated_at: string;
}

const int = (column: string, nullable = false) => ({ column, kind: 'int' as const, nullable });

/** Listing spec: non-admins see their own pools and those shared with them. */
export const SUBNET_POOL_TABLE: TableSpec = {
  table: 'subnetpools',
  tagType: 'subnetpools',
  columns: {
    ...STANDARD_COLUMNS,
    name: { column: 'name', kind: 'string' },
    ip_version: int('ip_version'),
    default_prefixlen: int('default_prefixlen'),
    min_prefixlen: int('min_prefixlen'),
    max_prefixlen: int('max_prefixlen'),
    default_quota: int('default_quota', true),
    address_scope_id: { column: 'address_scope_id', kind: 'string', nullable: true },
    is_default: { column: 'is_default', kind: 'bool' },
  },
  virtualFilters: { shared: sharedFilter('subnetpool') },
  visibility: (ctx) => ownedOrGranted('subnetpool', ctx),
  notFound: (id) => new SubnetPoolNotFound(`Subnet pool ${id} could not be found.`),
};

const ADMIN_ONLY = ['shared', 'is_default'];

/** A requested default_quota as a number (null: no limit). */
function quotaOf(value: number | string | null | undefined): number | null | undefined {
  return value === undefined || value === null ? value : Number(value);
}

/** The stored prefixes of a pool. */
export function poolPrefixes(row: SubnetPoolRow): Cidr[] {
  return (JSON.parse(row.prefixes) as string[]).map((p) => parseCidr(p, false) as Cidr);
}

async function hydrate(q: Queryable, ctx: RequestContext, rows: SubnetPoolRow[]): Promise<SubnetPool[]> {
  const ids = rows.map((r) => r.id);
  const tags = await loadTags(q, 'subnetpools', ids);
  const shared = await sharedIds(q, 'subnetpool', ids, ctx.projectId);
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    description: r.description,
    project_id: r.project_id,
    tenant_id: r.project_id,
    ip_version: Number(r.ip_version) as IpVersion,
    prefixes: JSON.parse(r.prefixes) as string[],
    default_prefixlen: Number(r.default_prefixlen),
    min_prefixlen: Number(r.min_prefixlen),
    max_prefixlen: Number(r.max_prefixlen),
    default_quota: r.default_quota === null ? null : Number(r.default_quota),
    address_scope_id: r.address_scope_id,
    shared: shared.has(r.id),
    is_default: r.is_default === 1,
    tags: tags.get(r.id) ?? [],
    revision_number: Number(r.revision_number),
    created_at: r.created_at,
    updated_at: r.updated_at,
  }));
}

/** What a pool would become, checked against its address scope and the other default pools. */
interface PoolState {
  id: string;
  projectId: string;
  version: IpVersion;
  prefixes: Cidr[];
  addressScopeId: string | null;
  isDefault: boolean;
}

/**
 * Checks the pool may join its address scope and is the only default. The scope must be visible to the
 * caller and owned by or shared with the pool's project, of the pool's IP version, and free of the pool's
 * prefixes.
 */
async function checkPoolState(tx: Queryable, ctx: RequestContext, pool: PoolState): Promise<void> {
  if (pool.addressScopeId !== null) {
    const scope = await getVisibleRow<AddressScopeRow>(tx, ADDRESS_SCOPE_TABLE, ctx, pool.addressScopeId);
    if (scope.project_id !== pool.projectId && !(await isGranted(tx, 'address_scope', scope.id, pool.projectId))) {
      throw new IllegalSubnetPoolAssociationToAddressScope(`Illegal subnetpool association: subnetpool ${pool.id} cannot be associated with address scope ${scope.id}, which is neither owned by nor shared with project ${pool.projectId}.`);
    }
    if (Number(scope.ip_version) !== pool.version) {
      throw new IllegalSubnetPoolIpVersionAssociationToAddressScope(`Illegal subnetpool association: IPv${pool.version} subnetpool ${pool.id} cannot be associated with IPv${scope.ip_version} address scope ${scope.id}.`);
    }
    const others = await tx.all<SubnetPoolRow>('SELECT * FROM subnetpools WHERE address_scope_id = ? AND id <> ?', [scope.id, pool.id]);
    for (const other of others) {
      const clash = poolPrefixes(other).find((p) => pool.prefixes.some((mine) => cidrsOverlap(mine, p)));
      if (clash) throw new AddressScopePrefixConflict(`Failed to associate address scope: subnetpools within an address scope must have unique prefixes; ${formatCidr(clash)} of subnetpool ${other.id} overlaps.`);
    }
  }
  if (pool.isDefault) {
    const other = await tx.get<{ id: string }>('SELECT id FROM subnetpools WHERE is_default = 1 AND ip_version = ? AND id <> ?', [pool.version, pool.id]);
    if (other) throw new InvalidInput(`Invalid input for operation: A default subnetpool for this IP family has already been set (subnetpool ${other.id}). Only one default may exist per IP family.`);
  }
}

/** A pool whose scope changes must hold every subnet of its version on the networks it serves (Neutron's affinity rule). */
async function checkRescope(tx: Queryable, poolId: string, version: IpVersion): Promise<void> {
  const stranger = await tx.get<{ id: string; network_id: string }>(
    `SELECT s.id, s.network_id FROM subnets s WHERE s.ip_version = ? AND (s.subnetpool_id IS NULL OR s.subnetpool_id <> ?)
       AND s.network_id IN (SELECT network_id FROM subnets WHERE subnetpool_id = ?)`,
    [version, poolId, poolId],
  );
  if (stranger) {
    throw new NetworkAddressScopeAffinityError(`Changing the address scope of subnet pool ${poolId} would leave subnet ${stranger.id} of network ${stranger.network_id} in another address scope.`);
  }
}

/** CIDRs of the subnets carved from a pool. */
export async function allocatedCidrs(q: Queryable, poolId: string): Promise<Cidr[]> {
  const rows = await q.all<{ cidr: string }>('SELECT cidr FROM subnets WHERE subnetpool_id = ?', [poolId]);
  return rows.map((r) => parseCidr(r.cidr, false) as Cidr);
}

/** The subnet pool service: the collection plus the prefix actions. */
export interface SubnetPoolService extends CollectionService<SubnetPool, SubnetPoolCreate, SubnetPoolUpdate> {
  /** Adds prefixes (merged with the existing ones); returns the pool's prefixes. */
  addPrefixes(ctx: RequestContext, id: string, prefixes: string[]): Promise<string[]>;
  /** Removes prefixes no subnet uses; returns the pool's prefixes. */
  removePrefixes(ctx: RequestContext, id: string, prefixes: string[]): Promise<string[]>;
}

/** Builds the subnet pool service over a store. */
export function createSubnetPoolService(store: Store, config: ServerConfig): SubnetPoolService {
  const reader = collectionReader(store, SUBNET_POOL_TABLE, hydrate);
  const insert = async (tx: Queryable, ctx: RequestContext, body: SubnetPoolCreate): Promise<string> => {
    assertAdminFor(ctx, ADMIN_ONLY, body);
    const projectId = owningProject(ctx, body);
    await checkQuota(tx, config.quotaDefaults, projectId, 'subnetpool', 1);
    const { version, cidrs } = parsePoolPrefixes(body.prefixes);
    const bounds = prefixBounds(version, requestedBounds(body));
    const id = newId();
    const addressScopeId = body.address_scope_id ?? null;
    await checkPoolState(tx, ctx, { id, projectId, version, prefixes: cidrs, addressScopeId, isDefault: body.is_default === true });
    const now = timestamp();
    await tx.run(
      `INSERT INTO subnetpools (id, project_id, name, description, ip_version, prefixes, default_prefixlen, min_prefixlen, max_prefixlen,
         default_quota, address_scope_id, is_default, revision_number, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
      [
        id, projectId, body.name, body.description ?? '', version, JSON.stringify(cidrs.map(formatCidr)), bounds.default, bounds.min, bounds.max,
        quotaOf(body.default_quota) ?? null, addressScopeId, body.is_default ? 1 : 0, now, now,
      ],
    );
    if (body.tags?.length) await replaceTags(tx, 'subnetpools', id, body.tags);
    if (body.shared) await setGrantedToEveryone(tx, 'subnetpool', id, projectId, 'access_as_shared', true);
    await appendChange(tx, 'subnetpool', id, 'create');
    return id;
  };

  /** Replaces a pool's prefixes after the checks of its address scope. */
  const storePrefixes = async (tx: Queryable, ctx: RequestContext, row: SubnetPoolRow, prefixes: Cidr[]): Promise<string[]> => {
    const version = Number(row.ip_version) as IpVersion;
    await checkPoolState(tx, ctx, { id: row.id, projectId: row.project_id, version, prefixes, addressScopeId: row.address_scope_id, isDefault: false });
    const texts = prefixes.map(formatCidr);
    await tx.run('UPDATE subnetpools SET prefixes = ?, revision_number = revision_number + 1, updated_at = ? WHERE id = ?', [JSON.stringify(texts), timestamp(), row.id]);
    await appendChange(tx, 'subnetpool', row.id, 'update');
    return texts;
  };

  return {
    createMany: bulkCreate(store, reader, insert),
    get: reader.get,
    list: reader.list,
    update: (ctx, id, body, ifRevision) =>
      store.write(async (tx) => {
        const row = await writableRow<SubnetPoolRow>(tx, SUBNET_POOL_TABLE, ctx, 'subnetpool', id, 'update', ifRevision, { attributes: ADMIN_ONLY, body });
        const version = Number(row.ip_version) as IpVersion;
        const current = poolPrefixes(row);
        const prefixes = body.prefixes ? parsePoolPrefixes(body.prefixes, version).cidrs : current;
        const dropped = current.find((c) => !cidrWithin(c, prefixes));
        if (dropped) throw new IllegalSubnetPoolPrefixUpdate(`Illegal update to prefixes: ${formatCidr(dropped)} is missing; an update may only add prefixes (use remove_prefixes to drop unused ones).`);
        const bounds = prefixBounds(version, requestedBounds(body), {
          min: Number(row.min_prefixlen), max: Number(row.max_prefixlen), default: Number(row.default_prefixlen),
        });
        const addressScopeId = body.address_scope_id === undefined ? row.address_scope_id : body.address_scope_id;
        const isDefault = body.is_default === undefined ? row.is_default === 1 : body.is_default;
        await checkPoolState(tx, ctx, { id, projectId: row.project_id, version, prefixes, addressScopeId, isDefault });
        if (addressScopeId !== row.address_scope_id) await checkRescope(tx, id, version);
        await tx.run(
          `UPDATE subnetpools SET name = ?, description = ?, prefixes = ?, default_prefixlen = ?, min_prefixlen = ?, max_prefixlen = ?, default_quota = ?,
             address_scope_id = ?, is_default = ?, revision_number = revision_number + 1, updated_at = ? WHERE id = ?`,
          [
            body.name ?? row.name, body.description ?? row.description, JSON.stringify(prefixes.map(formatCidr)), bounds.default, bounds.min, bounds.max,
            quotaOf(body.default_quota === undefined ? row.default_quota : body.default_quota) ?? null, addressScopeId, isDefault ? 1 : 0, timestamp(), id,
          ],
        );
        await appendChange(tx, 'subnetpool', id, 'update');
        return reader.readOne(tx, ctx, id);
      }),
    delete: (ctx, id, ifRevision) =>
      store.write(async (tx) => {
        await writableRow<SubnetPoolRow>(tx, SUBNET_POOL_TABLE, ctx, 'subnetpool', id, 'delete', ifRevision);
        const used = await tx.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM subnets WHERE subnetpool_id = ?', [id]);
        if (Number(used?.n ?? 0) > 0) throw new SubnetPoolDeleteError(`Unable to delete subnet pool: Subnet pool has existing allocations (${used?.n} subnet(s) of subnet pool ${id}).`);
        await deleteEntriesOf(tx, 'subnetpool', id);
        await deleteTags(tx, 'subnetpools', id);
        await tx.run('DELETE FROM subnetpools WHERE id = ?', [id]);
        await appendChange(tx, 'subnetpool', id, 'delete');
      }),
    addPrefixes: (ctx, id, prefixes) =>
      store.write(async (tx) => {
        const row = await writableRow<SubnetPoolRow>(tx, SUBNET_POOL_TABLE, ctx, 'subnetpool', id, 'add_prefixes', undefined);
        const added = parsePoolPrefixes(prefixes, Number(row.ip_version) as IpVersion).cidrs;
        return storePrefixes(tx, ctx, row, mergeCidrs([...poolPrefixes(row), ...added]));
      }),
    removePrefixes: (ctx, id, prefixes) =>
      store.write(async (tx) => {
        const row = await writableRow<SubnetPoolRow>(tx, SUBNET_POOL_TABLE, ctx, 'subnetpool', id, 'remove_prefixes', undefined);
        const removed = parsePoolPrefixes(prefixes, Number(row.ip_version) as IpVersion).cidrs;
        const inUse = (await allocatedCidrs(tx, id)).find((c) => removed.some((r) => cidrsOverlap(c, r)));
        if (inUse) throw new IllegalSubnetPoolPrefixUpdate(`Illegal update to prefixes: subnet ${formatCidr(inUse)} was allocated from a prefix being removed.`);
        const left = mergeCidrs(poolPrefixes(row).flatMap((p) => removed.reduce<Cidr[]>((parts, r) => parts.flatMap((part) => subtractCidr(part, r)), [p])));
        if (left.length === 0) throw new IllegalSubnetPoolPrefixUpdate(`Illegal update to prefixes: subnet pool ${id} would have no prefix left.`);
        return storePrefixes(tx, ctx, row, left);
      }),
  };
}
