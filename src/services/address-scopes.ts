/**
 * Address scopes: a named IP version that subnet pools join; pools in one scope must not overlap, and a
 * network reports the scope of its subnets' pools (`ipv4_address_scope`, `ipv6_address_scope`). Shared
 * with other projects by RBAC entries (`shared: true` is the entry for every project, admin only).
 */
import type { AddressScope, AddressScopeCreate, AddressScopeUpdate } from '../domain/address-scope.js';
import type { RequestContext } from '../domain/context.js';
import { AddressScopeInUse, AddressScopeNotFound, AddressScopeUpdateError } from '../domain/errors.js';
import type { IpVersion } from '../domain/ip.js';
import { appendChange } from '../store/outbox.js';
import type { Queryable, Store } from '../store/store.js';
import { assertAdminFor, owningProject, writableRow } from './access.js';
import { bulkCreate, collectionReader, type CollectionService } from './collection-reader.js';
import { deleteEntriesOf, ownedOrGranted, setGrantedToEveryone, sharedFilter, sharedIds } from './rbac-sharing.js';
import { chunks, deleteTags, loadTags, newId, replaceTags, timestamp } from './standard-attributes.js';
import { STANDARD_COLUMNS, type TableSpec } from './table-list.js';

/** A row of address_scopes. */
export interface AddressScopeRow {
  id: string;
  project_id: string;
  name: string;
  description: string;
  ip_version: number;
  revision_number: number | string;
  created_at: string;
  updated_at: string;
}

/** Listing spec: non-admins see their own scopes and those shared with them. */
export const ADDRESS_SCOPE_TABLE: TableSpec = {
  table: 'address_scopes',
  tagType: 'address_scopes',
  columns: { ...STANDARD_COLUMNS, name: { column: 'name', kind: 'string' }, ip_version: { column: 'ip_version', kind: 'int' } },
  virtualFilters: { shared: sharedFilter('address_scope') },
  visibility: (ctx) => ownedOrGranted('address_scope', ctx),
  notFound: (id) => new AddressScopeNotFound(`Address scope ${id} could not be found`),
};

const ADMIN_ONLY = ['shared'];

async function hydrate(q: Queryable, ctx: RequestContext, rows: AddressScopeRow[]): Promise<AddressScope[]> {
  const ids = rows.map((r) => r.id);
  const tags = await loadTags(q, 'address_scopes', ids);
  const shared = await sharedIds(q, 'address_scope', ids, ctx.projectId);
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    description: r.description,
    project_id: r.project_id,
    tenant_id: r.project_id,
    ip_version: Number(r.ip_version) as IpVersion,
    shared: shared.has(r.id),
    tags: tags.get(r.id) ?? [],
    revision_number: Number(r.revision_number),
    created_at: r.created_at,
    updated_at: r.updated_at,
  }));
}

/** The address scope service. */
export type AddressScopeService = CollectionService<AddressScope, AddressScopeCreate, AddressScopeUpdate>;

/** Builds the address scope service over a store. */
export function createAddressScopeService(store: Store): AddressScopeService {
  const reader = collectionReader(store, ADDRESS_SCOPE_TABLE, hydrate);
  const insert = async (tx: Queryable, ctx: RequestContext, body: AddressScopeCreate): Promise<string> => {
    assertAdminFor(ctx, ADMIN_ONLY, body);
    const projectId = owningProject(ctx, body);
    const id = newId();
    const now = timestamp();
    await tx.run(
      `INSERT INTO address_scopes (id, project_id, name, description, ip_version, revision_number, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 0, ?, ?)`,
      [id, projectId, body.name, body.description ?? '', body.ip_version, now, now],
    );
    if (body.tags?.length) await replaceTags(tx, 'address_scopes', id, body.tags);
    if (body.shared) await setGrantedToEveryone(tx, 'address_scope', id, projectId, 'access_as_shared', true);
    await appendChange(tx, 'address_scope', id, 'create');
    return id;
  };

  return {
    createMany: bulkCreate(store, reader, insert),
    get: reader.get,
    list: reader.list,
    update: (ctx, id, body, ifRevision) =>
      store.write(async (tx) => {
        const row = await writableRow<AddressScopeRow>(tx, ADDRESS_SCOPE_TABLE, ctx, 'address_scope', id, 'update', ifRevision, { attributes: ADMIN_ONLY, body });
        await tx.run('UPDATE address_scopes SET name = ?, description = ?, revision_number = revision_number + 1, updated_at = ? WHERE id = ?', [
          body.name ?? row.name, body.description ?? row.description, timestamp(), id,
        ]);
        if (body.shared === false && (await sharedIds(tx, 'address_scope', [id], '*')).has(id)) {
          throw new AddressScopeUpdateError(`Unable to update address scope ${id} : Shared address scope can't be unshared`);
        }
        if (body.shared) await setGrantedToEveryone(tx, 'address_scope', id, row.project_id, 'access_as_shared', true);
        await appendChange(tx, 'address_scope', id, 'update');
        return reader.readOne(tx, ctx, id);
      }),
    delete: (ctx, id, ifRevision) =>
      store.write(async (tx) => {
        await writableRow<AddressScopeRow>(tx, ADDRESS_SCOPE_TABLE, ctx, 'address_scope', id, 'delete', ifRevision);
        const pools = await tx.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM subnetpools WHERE address_scope_id = ?', [id]);
        if (Number(pools?.n ?? 0) > 0) throw new AddressScopeInUse(`Unable to complete operation on address scope ${id}. There are one or more subnet pools in use on the address scope.`);
        await deleteEntriesOf(tx, 'address_scope', id);
        await deleteTags(tx, 'address_scopes', id);
        await tx.run('DELETE FROM address_scopes WHERE id = ?', [id]);
        await appendChange(tx, 'address_scope', id, 'delete');
      }),
  };
}

/** The address scope of each network per IP version: the scope of the pools its subnets came from. */
export async function networkAddressScopes(q: Queryable, networkIds: readonly string[]): Promise<Map<string, Partial<Record<IpVersion, string>>>> {
  const out = new Map<string, Partial<Record<IpVersion, string>>>();
  for (const chunk of chunks(networkIds, 500)) {
    const rows = await q.all<{ network_id: string; ip_version: number; address_scope_id: string }>(
      `SELECT DISTINCT s.network_id, s.ip_version, p.address_scope_id FROM subnets s JOIN subnetpools p ON p.id = s.subnetpool_id
       WHERE p.address_scope_id IS NOT NULL AND s.network_id IN (${chunk.map(() => '?').join(',')})`,
      chunk,
    );
    for (const r of rows) out.set(r.network_id, { ...out.get(r.network_id), [Number(r.ip_version)]: r.address_scope_id });
  }
  return out;
}
