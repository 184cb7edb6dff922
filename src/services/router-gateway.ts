/**
 * A router's external gateway: a `network:router_gateway` port (owned by no project, as in Neutron) on a
 * `router:external` network. Changing the network or its fixed IPs replaces the port; floating IPs that
 * rely on the gateway block its removal (409 RouterExternalGatewayInUseByFloatingIp).
 */
import type { ServerConfig } from '../config.js';
import { adminContext, type RequestContext } from '../domain/context.js';
import { NeutronBadRequest, PolicyNotAuthorized, RouterExternalGatewayInUseByFloatingIp } from '../domain/errors.js';
import type { ExternalGatewayRequest } from '../domain/router.js';
import type { Queryable } from '../store/store.js';
import { NETWORK_TABLE, type NetworkRow } from './networks.js';
import { scheduleGateways } from './gateway-scheduler.js';
import { deletePortRows } from './port-rows.js';
import { insertPort } from './ports.js';
import { ROUTER_GATEWAY_OWNER, type RouterRow } from './router-rows.js';
import { getVisibleRow } from './table-list.js';

/** Removes the gateway port of a router (the row's gateway columns are the caller's to reset). */
export async function clearGateway(tx: Queryable, router: RouterRow): Promise<void> {
  if (!router.gw_port_id) return;
  const fips = await tx.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM floatingips WHERE router_id = ?', [router.id]);
  if (Number(fips?.n ?? 0) > 0) {
    throw new RouterExternalGatewayInUseByFloatingIp(
      `Gateway cannot be updated for router ${router.id}, since a gateway to external network ${router.gw_network_id} is required by ${String(fips?.n)} floating IP(s).`,
    );
  }
  await deletePortRows(tx, router.gw_port_id);
  await tx.run('UPDATE routers SET gw_network_id = NULL, gw_port_id = NULL WHERE id = ?', [router.id]);
  await scheduleGateways(tx);
}

/** Creates the gateway port of a router on an external network and records it on the row. */
export async function setGateway(tx: Queryable, ctx: RequestContext, router: RouterRow, info: ExternalGatewayRequest, config: ServerConfig): Promise<void> {
  assertGatewayPolicy(ctx, info);
  const network = await getVisibleRow<NetworkRow>(tx, NETWORK_TABLE, ctx, info.network_id ?? '');
  if (network.router_external !== 1) throw new NeutronBadRequest(`Bad router request: Network ${network.id} is not an external network`);
  const port = await insertPort(
    tx,
    adminContext(router.project_id),
    {
      network_id: network.id,
      name: '',
      device_owner: ROUTER_GATEWAY_OWNER,
      device_id: router.id,
      fixed_ips: info.external_fixed_ips,
      security_groups: [],
      port_security_enabled: false,
    },
    config,
    { projectId: '', trusted: true },
  );
  if (port.fixed_ips.length === 0) throw new NeutronBadRequest(`Bad router request: external network ${network.id} has no subnet to take a gateway address from`);
  await tx.run('UPDATE routers SET gw_network_id = ?, gw_port_id = ?, enable_snat = ? WHERE id = ?', [
    network.id,
    port.id,
    info.enable_snat === false ? 0 : 1,
    router.id,
  ]);
  await scheduleGateways(tx);
}

/** Neutron's policy: only admins choose gateway addresses or SNAT. */
function assertGatewayPolicy(ctx: RequestContext, info: ExternalGatewayRequest): void {
  if (ctx.isAdmin) return;
  const restricted = (['external_fixed_ips', 'enable_snat'] as const).filter((k) => info[k] !== undefined);
  if (restricted.length) {
    throw new PolicyNotAuthorized(`(rule:update_router:external_gateway_info:${restricted.join(', ')}) is disallowed by policy: admin only`);
  }
}

/** Applies a requested `external_gateway_info` (null or {} clears it) to a router. */
export async function updateGateway(
  tx: Queryable,
  ctx: RequestContext,
  router: RouterRow,
  info: ExternalGatewayRequest | null | undefined,
  config: ServerConfig,
): Promise<void> {
  if (info === undefined) return;
  if (info !== null) assertGatewayPolicy(ctx, info);
  if (info === null || !info.network_id) {
    await clearGateway(tx, router);
    return;
  }
  const sameNetwork = router.gw_network_id === info.network_id;
  if (sameNetwork && info.external_fixed_ips === undefined) {
    if (info.enable_snat !== undefined) await tx.run('UPDATE routers SET enable_snat = ? WHERE id = ?', [info.enable_snat ? 1 : 0, router.id]);
    return;
  }
  await clearGateway(tx, router);
  await setGateway(tx, ctx, { ...router, gw_network_id: null, gw_port_id: null }, info, config);
}
