/**
 * Routers: CRUD with external gateways, extra routes (validated: each nexthop must be on a subnet the
 * router is attached to) and the interface actions. Delete is refused while interfaces remain
 * (409 RouterInUse). Every change appends a `router` change record for the data plane.
 */
import type { ServerConfig } from '../config.js';
import type { RequestContext } from '../domain/context.js';
import { InvalidInput, RouterInUse } from '../domain/errors.js';
import { normalizeRoutes, type Router, type RouterCreate, type RouterInterfaceInfo, type RouterInterfaceRequest, type RouterRoute, type RouterUpdate } from '../domain/router.js';
import { appendChange } from '../store/outbox.js';
import type { Queryable, Store } from '../store/store.js';
import { bulkCreate, collectionReader, type CollectionService } from './collection-reader.js';
import { assertAdminFor, owningProject, writableRow } from './access.js';
import { assertZonesExist } from './availability-zones.js';
import { checkQuota } from './quotas.js';
import { clearGateway, setGateway, updateGateway } from './router-gateway.js';
import { addRouterInterface, removeRouterInterface } from './router-interfaces.js';
import { checkRoutesReachable, hydrateRouters, ROUTER_INTERFACE_OWNER, ROUTER_TABLE, routerAddresses, type RouterRow } from './router-rows.js';
import { deleteTags, newId, replaceTags, timestamp } from './standard-attributes.js';

const ADMIN_ONLY = ['distributed', 'ha'];

/** Alcor routes on every host of a router's ports (DVR), so a router is always distributed. */
function assertDistributed(body: { distributed?: boolean }): void {
  if (body.distributed === false) throw new InvalidInput('Invalid input for distributed: Alcor routers are always distributed.');
}

/** The router service. */
export interface RouterService extends CollectionService<Router, RouterCreate, RouterUpdate> {
  addInterface(ctx: RequestContext, id: string, body: RouterInterfaceRequest): Promise<RouterInterfaceInfo>;
  removeInterface(ctx: RequestContext, id: string, body: RouterInterfaceRequest): Promise<RouterInterfaceInfo>;
  addExtraRoutes(ctx: RequestContext, id: string, routes: RouterRoute[]): Promise<Router>;
  removeExtraRoutes(ctx: RequestContext, id: string, routes: RouterRoute[]): Promise<Router>;
}

async function writableRouter(tx: Queryable, ctx: RequestContext, id: string, action: string, ifRevision?: number): Promise<RouterRow> {
  return writableRow<RouterRow>(tx, ROUTER_TABLE, ctx, 'router', id, action, ifRevision);
}

async function storeRoutes(tx: Queryable, routerId: string, routes: RouterRoute[]): Promise<void> {
  checkRoutesReachable(routes, await routerAddresses(tx, routerId));
  await tx.run('UPDATE routers SET routes = ? WHERE id = ?', [JSON.stringify(routes), routerId]);
}

async function bump(tx: Queryable, id: string): Promise<void> {
  await tx.run('UPDATE routers SET revision_number = revision_number + 1, updated_at = ? WHERE id = ?', [timestamp(), id]);
  await appendChange(tx, 'router', id, 'update');
}

async function insertRouter(tx: Queryable, ctx: RequestContext, body: RouterCreate, config: ServerConfig): Promise<string> {
  assertAdminFor(ctx, ADMIN_ONLY, body);
  assertDistributed(body);
  const projectId = owningProject(ctx, body);
  await checkQuota(tx, config.quotaDefaults, projectId, 'router', 1);
  const zoneHints = body.availability_zone_hints ?? [];
  await assertZonesExist(tx, zoneHints);
  const id = newId();
  const now = timestamp();
  await tx.run(
    `INSERT INTO routers (id, project_id, name, description, admin_state_up, status, distributed, ha, gw_network_id, gw_port_id,
       enable_snat, routes, availability_zone_hints, revision_number, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 'ACTIVE', 1, 0, NULL, NULL, 1, '[]', ?, 0, ?, ?)`,
    [id, projectId, body.name ?? '', body.description ?? '', body.admin_state_up === false ? 0 : 1, JSON.stringify([...new Set(zoneHints)]), now, now],
  );
  if (body.external_gateway_info?.network_id) {
    const row = await tx.get<RouterRow>('SELECT * FROM routers WHERE id = ?', [id]);
    if (row) await setGateway(tx, ctx, row, body.external_gateway_info, config);
  }
  if (body.tags?.length) await replaceTags(tx, 'routers', id, body.tags);
  await appendChange(tx, 'router', id, 'create');
  return id;
}

/** Builds the router service. */
export function createRouterService(store: Store, config: ServerConfig): RouterService {
  const reader = collectionReader<RouterRow, Router>(store, ROUTER_TABLE, (q, ctx, rows) => hydrateRouters(q, rows, ctx.isAdmin));
  const changeRoutes = (ctx: RequestContext, id: string, change: (current: RouterRoute[]) => RouterRoute[]) =>
    store.write(async (tx) => {
      const row = await writableRouter(tx, ctx, id, 'update');
      await storeRoutes(tx, id, normalizeRoutes(change(JSON.parse(row.routes) as RouterRoute[])));
      await bump(tx, id);
      return reader.readOne(tx, ctx, id);
    });
  const key = (r: RouterRoute) => `${r.destination}|${r.nexthop}`;

  return {
    createMany: bulkCreate(store, reader, (tx, ctx, body: RouterCreate) => insertRouter(tx, ctx, body, config)),

    get: reader.get,

    list: reader.list,

    update: (ctx, id, body, ifRevision) =>
      store.write(async (tx) => {
        const row = await writableRouter(tx, ctx, id, 'update', ifRevision);
        assertAdminFor(ctx, ADMIN_ONLY, body);
        assertDistributed(body);
        await updateGateway(tx, ctx, row, body.external_gateway_info, config);
        if (body.routes !== undefined) await storeRoutes(tx, id, normalizeRoutes(body.routes ?? []));
        await tx.run('UPDATE routers SET name = ?, description = ?, admin_state_up = ?, distributed = ? WHERE id = ?', [
          body.name ?? row.name,
          body.description ?? row.description,
          body.admin_state_up === undefined ? row.admin_state_up : body.admin_state_up ? 1 : 0,
          body.distributed === undefined ? row.distributed : 1,
          id,
        ]);
        await bump(tx, id);
        return reader.readOne(tx, ctx, id);
      }),

    delete: (ctx, id, ifRevision) =>
      store.write(async (tx) => {
        const row = await writableRouter(tx, ctx, id, 'delete', ifRevision);
        const interfaces = await tx.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM ports WHERE device_id = ? AND device_owner = ?', [id, ROUTER_INTERFACE_OWNER]);
        if (Number(interfaces?.n ?? 0) > 0) throw new RouterInUse(`Router ${id} still has ${String(interfaces?.n)} interface(s)`);
        await clearGateway(tx, row);
        await deleteTags(tx, 'routers', id);
        await tx.run('DELETE FROM routers WHERE id = ?', [id]);
        await appendChange(tx, 'router', id, 'delete');
      }),

    addInterface: (ctx, id, body) => store.write(async (tx) => addRouterInterface(tx, ctx, await writableRouter(tx, ctx, id, 'add_router_interface'), body, config)),

    removeInterface: (ctx, id, body) =>
      store.write(async (tx) => removeRouterInterface(tx, ctx, await writableRouter(tx, ctx, id, 'remove_router_interface'), body)),

    addExtraRoutes: (ctx, id, routes) => changeRoutes(ctx, id, (current) => [...current, ...routes]),

    removeExtraRoutes: (ctx, id, routes) =>
      changeRoutes(ctx, id, (current) => {
        const drop = new Set(normalizeRoutes(routes).map(key));
        return current.filter((r) => !drop.has(key(r)));
      }),
  };
}
