/**
 * add_router_interface / remove_router_interface. By subnet, the router takes the subnet's gateway IP on
 * a new `network:router_interface` port; by port, an unowned port of the caller becomes the interface.
 * A router has one interface per subnet, its subnets may not overlap, and an interface still needed by a
 * floating IP or an extra route cannot be removed (409), as in Neutron.
 */
import type { ServerConfig } from '../config.js';
import { adminContext, type RequestContext } from '../domain/context.js';
import {
  NeutronBadRequest,
  PortInUse,
  RouterInterfaceInUseByFloatingIP,
  RouterInterfaceInUseByRoute,
  RouterInterfaceNotFound,
  RouterInterfaceNotFoundForSubnet,
} from '../domain/errors.js';
import { cidrContains, cidrsOverlap, parseCidr, parseIp } from '../domain/ip.js';
import type { RouterInterfaceInfo, RouterInterfaceRequest, RouterRoute } from '../domain/router.js';
import { appendChange } from '../store/outbox.js';
import type { Queryable } from '../store/store.js';
import { assertOwner } from './access.js';
import { deletePortRows } from './port-rows.js';
import { insertPort, PORT_TABLE, type PortRow } from './ports.js';
import { ROUTER_INTERFACE_OWNER, routerAddresses, type RouterAddress, type RouterRow } from './router-rows.js';
import { timestamp } from './standard-attributes.js';
import { SUBNET_TABLE, type SubnetRow } from './subnets.js';
import { getVisibleRow } from './table-list.js';

function requireOne(body: RouterInterfaceRequest): void {
  if (body.subnet_id === undefined && body.port_id === undefined) {
    throw new NeutronBadRequest('Bad router request: Either subnet_id or port_id must be specified');
  }
}

function overlaps(a: string, b: string): boolean {
  const x = parseCidr(a, false);
  const y = parseCidr(b, false);
  return typeof x !== 'string' && typeof y !== 'string' && cidrsOverlap(x, y);
}

/** Refuses a subnet the router already has, or one overlapping another of its interface subnets. */
function checkNewSubnet(routerId: string, subnet: { id: string; cidr: string }, existing: readonly RouterAddress[]): void {
  for (const a of existing.filter((e) => e.device_owner === ROUTER_INTERFACE_OWNER)) {
    if (a.subnet_id === subnet.id) throw new NeutronBadRequest(`Bad router request: Router ${routerId} already has a port on subnet ${subnet.id}`);
    if (overlaps(a.cidr, subnet.cidr)) {
      throw new NeutronBadRequest(`Bad router request: Cidr ${subnet.cidr} of subnet ${subnet.id} overlaps with cidr ${a.cidr} of subnet ${a.subnet_id}`);
    }
  }
}

async function interfaceInfo(tx: Queryable, router: RouterRow, portId: string, subnetHint?: string): Promise<RouterInterfaceInfo> {
  const port = await tx.get<{ network_id: string; project_id: string }>('SELECT network_id, project_id FROM ports WHERE id = ?', [portId]);
  const subnetIds = (await tx.all<{ subnet_id: string }>('SELECT subnet_id FROM ip_allocations WHERE port_id = ? ORDER BY position', [portId])).map((r) => r.subnet_id);
  const ids = subnetIds.length ? subnetIds : subnetHint ? [subnetHint] : [];
  return {
    id: router.id,
    tenant_id: router.project_id,
    project_id: router.project_id,
    subnet_id: ids[0] ?? '',
    subnet_ids: ids,
    port_id: portId,
    network_id: port?.network_id ?? '',
    tags: [],
  };
}

async function touchRouter(tx: Queryable, routerId: string): Promise<void> {
  await tx.run('UPDATE routers SET revision_number = revision_number + 1, updated_at = ? WHERE id = ?', [timestamp(), routerId]);
  await appendChange(tx, 'router', routerId, 'update');
}

/** Attaches a subnet or port to a router in the caller's transaction. */
export async function addRouterInterface(
  tx: Queryable,
  ctx: RequestContext,
  router: RouterRow,
  body: RouterInterfaceRequest,
  config: ServerConfig,
): Promise<RouterInterfaceInfo> {
  requireOne(body);
  const existing = await routerAddresses(tx, router.id);
  let portId: string;
  if (body.port_id !== undefined) {
    if (body.subnet_id !== undefined) throw new NeutronBadRequest('Bad router request: Cannot specify both subnet-id and port-id');
    const port = await getVisibleRow<PortRow>(tx, PORT_TABLE, ctx, body.port_id);
    assertOwner(ctx, port.project_id, 'update', 'port', port.id);
    if (port.device_id !== '' || port.device_owner !== '') {
      throw new PortInUse(`Unable to complete operation on port ${port.id} for network ${port.network_id}. Port already has an attached device ${port.device_id || port.device_owner}.`);
    }
    const subnets = await tx.all<{ id: string; cidr: string }>(
      'SELECT s.id, s.cidr FROM ip_allocations a JOIN subnets s ON s.id = a.subnet_id WHERE a.port_id = ?',
      [port.id],
    );
    if (subnets.length === 0) throw new NeutronBadRequest(`Bad router request: Router port ${port.id} must have at least one fixed IP`);
    for (const subnet of subnets) checkNewSubnet(router.id, subnet, existing);
    await tx.run(
      'UPDATE ports SET device_owner = ?, device_id = ?, revision_number = revision_number + 1, updated_at = ? WHERE id = ?',
      [ROUTER_INTERFACE_OWNER, router.id, timestamp(), port.id],
    );
    // Router ports are trusted: security groups do not apply to them.
    await tx.run('DELETE FROM port_security_groups WHERE port_id = ?', [port.id]);
    await appendChange(tx, 'port', port.id, 'update');
    portId = port.id;
  } else {
    const subnet = await getVisibleRow<SubnetRow>(tx, SUBNET_TABLE, ctx, body.subnet_id ?? '');
    if (!subnet.gateway_ip) throw new NeutronBadRequest(`Bad router request: Subnet ${subnet.id} for router interface must have a gateway IP`);
    if (subnet.ipv6_address_mode && !subnet.ipv6_ra_mode) {
      // Its hosts take their RAs from a router outside the cloud.
      throw new NeutronBadRequest(`Bad router request: IPv6 subnet ${subnet.id} configured to receive RAs from an external router cannot be added to Neutron Router.`);
    }
    checkNewSubnet(router.id, subnet, existing);
    const created = await insertPort(
      tx,
      adminContext(subnet.project_id),
      {
        network_id: subnet.network_id,
        name: '',
        device_owner: ROUTER_INTERFACE_OWNER,
        device_id: router.id,
        fixed_ips: [{ subnet_id: subnet.id, ip_address: subnet.gateway_ip }],
        security_groups: [],
        port_security_enabled: false,
      },
      config,
      { projectId: subnet.project_id, trusted: true },
    );
    portId = created.id;
  }
  await touchRouter(tx, router.id);
  return interfaceInfo(tx, router, portId);
}

/** The interface port of a router on a subnet, or by id. */
async function findInterface(tx: Queryable, router: RouterRow, body: RouterInterfaceRequest): Promise<{ portId: string; subnetIds: string[] }> {
  const addresses = (await routerAddresses(tx, router.id)).filter((a) => a.device_owner === ROUTER_INTERFACE_OWNER);
  if (body.port_id !== undefined) {
    const mine = addresses.filter((a) => a.port_id === body.port_id);
    const owned = await tx.get('SELECT 1 AS x FROM ports WHERE id = ? AND device_id = ? AND device_owner = ?', [body.port_id, router.id, ROUTER_INTERFACE_OWNER]);
    if (!owned) throw new RouterInterfaceNotFound(`Router ${router.id} does not have an interface with id ${body.port_id}`);
    if (body.subnet_id !== undefined && !mine.some((a) => a.subnet_id === body.subnet_id)) {
      throw new NeutronBadRequest(`Bad router request: subnet ${body.subnet_id} is not on port ${body.port_id}`);
    }
    return { portId: body.port_id, subnetIds: mine.map((a) => a.subnet_id) };
  }
  const match = addresses.find((a) => a.subnet_id === body.subnet_id);
  if (!match) throw new RouterInterfaceNotFoundForSubnet(`Router ${router.id} has no interface on subnet ${body.subnet_id ?? ''}`);
  return { portId: match.port_id, subnetIds: addresses.filter((a) => a.port_id === match.port_id).map((a) => a.subnet_id) };
}

/** Detaches a subnet or port from a router in the caller's transaction. */
export async function removeRouterInterface(tx: Queryable, ctx: RequestContext, router: RouterRow, body: RouterInterfaceRequest): Promise<RouterInterfaceInfo> {
  requireOne(body);
  if (body.subnet_id !== undefined && body.port_id === undefined) await getVisibleRow(tx, SUBNET_TABLE, ctx, body.subnet_id);
  const { portId, subnetIds } = await findInterface(tx, router, body);
  const info = await interfaceInfo(tx, router, portId, body.subnet_id);
  const subnets = await tx.all<{ id: string; cidr: string }>(`SELECT id, cidr FROM subnets WHERE id IN (${subnetIds.map(() => '?').join(',') || "''"})`, subnetIds);
  const inSubnets = (ip: string | null) => {
    const addr = ip === null ? undefined : parseIp(ip);
    return subnets.some((s) => {
      const cidr = parseCidr(s.cidr, false);
      return addr !== undefined && typeof cidr !== 'string' && cidrContains(cidr, addr);
    });
  };
  const fips = await tx.all<{ id: string; fixed_ip_address: string | null }>('SELECT id, fixed_ip_address FROM floatingips WHERE router_id = ?', [router.id]);
  const blocking = fips.find((f) => inSubnets(f.fixed_ip_address));
  if (blocking) {
    throw new RouterInterfaceInUseByFloatingIP(`Router interface for subnet ${subnetIds.join(', ')} on router ${router.id} cannot be deleted, as it is required by floating IP ${blocking.id}.`);
  }
  const route = (JSON.parse(router.routes) as RouterRoute[]).find((r) => inSubnets(r.nexthop));
  if (route) {
    throw new RouterInterfaceInUseByRoute(`Router interface for subnet ${subnetIds.join(', ')} on router ${router.id} cannot be deleted, as it is required by route ${route.destination} via ${route.nexthop}.`);
  }
  await deletePortRows(tx, portId);
  await touchRouter(tx, router.id);
  return info;
}
