/**
 * The L3-area kinds of a host scope: routers attached to the host's subnets (which also bring the
 * subnets and networks behind them, for L3 neighbors) and the security groups of its ports with all
 * their rules. Split from compiler.ts; called only when the L3 tables exist.
 */
import { create } from '@bufbuild/protobuf';
import { RouterGatewaySchema, RouterInterfaceSchema, RouterStateSchema, SecurityGroupRuleSchema, SecurityGroupStateSchema } from '../proto/alcor/v1/goal_state_pb.js';
import type { Queryable } from '../store/store.js';
import { add, allIn, group, ROUTER_OWNER, routes, type CompiledHost } from './compile-helpers.js';

interface GatewayRow {
  router_id: string;
  port_id: string;
  network_id: string;
  mac_address: string;
  ip_address: string;
  cidr: string;
  gateway_ip: string | null;
  enable_snat: number;
  gateway_host: string;
  host_ip: string | null;
}

/** The gateways of `routerIds` (IPv4 address of the gateway port, with its subnet and chosen host). */
async function routerGateways(q: Queryable, routerIds: readonly string[]): Promise<Map<string, GatewayRow>> {
  const rows = await allIn<GatewayRow>(
    q,
    (m) => `SELECT r.id AS router_id, p.id AS port_id, p.network_id, p.mac_address, a.ip_address, s.cidr, s.gateway_ip, r.enable_snat,
        r.gateway_host, h.datapath_ip AS host_ip
      FROM routers r JOIN ports p ON p.id = r.gw_port_id JOIN ip_allocations a ON a.port_id = p.id JOIN subnets s ON s.id = a.subnet_id
      LEFT JOIN hosts h ON h.host = r.gateway_host
      WHERE r.id IN (${m}) AND s.ip_version = 4 ORDER BY a.position`,
    routerIds,
  );
  const out = new Map<string, GatewayRow>();
  for (const r of rows) if (!out.has(r.router_id)) out.set(r.router_id, r);
  return out;
}

/**
 * Adds the routers on `subnetIds` and those whose gateway `host` carries; grows `subnetIds` and
 * `networkIds` with what lies behind them (and, on the gateway host, the external network).
 */
export async function compileRouters(q: Queryable, host: string, subnetIds: Set<string>, networkIds: Set<string>, result: CompiledHost): Promise<void> {
  const gatewayRouters = (await q.all<{ id: string }>('SELECT id FROM routers WHERE gateway_host = ? AND gw_port_id IS NOT NULL', [host])).map((r) => r.id);
  const routerIds = (
    await allIn<{ router_id: string }>(
      q,
      // Router ports first (few, by index), then whether one has an address in the subnets: joined the
      // other way round, the planner walks every allocation of the subnets.
      (m) => `SELECT DISTINCT p.device_id AS router_id FROM ports p
        WHERE ${ROUTER_OWNER} AND EXISTS (SELECT 1 FROM ip_allocations a WHERE a.port_id = p.id AND a.subnet_id IN (${m}))`,
      [...subnetIds],
    )
  ).map((r) => r.router_id);
  for (const id of gatewayRouters) if (!routerIds.includes(id)) routerIds.push(id);
  const gateways = await routerGateways(q, routerIds);
  const interfaces = await allIn<{ port_id: string; router_id: string; mac_address: string; subnet_id: string; ip_address: string; network_id: string }>(
    q,
    (m) => `SELECT p.id AS port_id, p.device_id AS router_id, p.mac_address, a.subnet_id, a.ip_address, p.network_id
      FROM ports p JOIN ip_allocations a ON a.port_id = p.id WHERE ${ROUTER_OWNER} AND p.device_id IN (${m}) ORDER BY p.id`,
    routerIds,
  );
  const routerRows = await allIn<{ id: string; routes: string; gw_port_id: string | null }>(q, (m) => `SELECT id, routes, gw_port_id FROM routers WHERE id IN (${m})`, routerIds);
  const byRouter = group(interfaces, (i) => i.router_id);
  for (const router of routerRows) {
    const list = byRouter.get(router.id) ?? [];
    for (const i of list) {
      subnetIds.add(i.subnet_id);
      networkIds.add(i.network_id);
      result.routerPorts.set(i.port_id, router.id);
    }
    const gw = gateways.get(router.id);
    if (gw && gw.gateway_host === host) networkIds.add(gw.network_id);
    add(result.entries, 'router', router.id, {
      case: 'router',
      value: create(RouterStateSchema, {
        id: router.id,
        routes: routes(router.routes),
        hasGateway: Boolean(router.gw_port_id),
        interfaces: list.map((i) =>
          create(RouterInterfaceSchema, { subnetId: i.subnet_id, ipAddress: i.ip_address, macAddress: i.mac_address, portId: i.port_id }),
        ),
        ...(gw
          ? {
              gateway: create(RouterGatewaySchema, {
                portId: gw.port_id,
                networkId: gw.network_id,
                ipAddress: gw.ip_address,
                macAddress: gw.mac_address,
                cidr: gw.cidr,
                nexthop: gw.gateway_ip ?? '',
                enableSnat: gw.enable_snat === 1,
                hostId: gw.gateway_host,
                hostIp: gw.host_ip ?? '',
              }),
            }
          : {}),
      }),
    });
  }
}

/** Adds the security groups `groupIds` with their rules. */
export async function compileSecurityGroups(q: Queryable, groupIds: Set<string>, result: CompiledHost): Promise<void> {
  const sgRows = await allIn<{ id: string; project_id: string; stateful: number }>(
    q,
    (m) => `SELECT id, project_id, stateful FROM security_groups WHERE id IN (${m})`,
    [...groupIds],
  );
  const ruleRows = await allIn<Record<string, string | number | null> & { id: string; security_group_id: string }>(
    q,
    (m) => `SELECT * FROM security_group_rules WHERE security_group_id IN (${m}) ORDER BY id`,
    [...groupIds],
  );
  const rulesByGroup = group(ruleRows, (r) => r.security_group_id);
  for (const sg of sgRows) {
    const rules = rulesByGroup.get(sg.id) ?? [];
    for (const r of rules) result.rules.set(r.id, sg.id);
    add(result.entries, 'securityGroup', sg.id, {
      case: 'securityGroup',
      value: create(SecurityGroupStateSchema, {
        id: sg.id,
        projectId: sg.project_id,
        stateful: sg.stateful === 1,
        rules: rules.map((r) =>
          create(SecurityGroupRuleSchema, {
            id: r.id,
            direction: String(r.direction ?? ''),
            ethertype: String(r.ethertype ?? ''),
            protocol: r.protocol === null || r.protocol === undefined ? '' : String(r.protocol),
            portRangeMin: Number(r.port_range_min ?? 0),
            portRangeMax: Number(r.port_range_max ?? 0),
            remoteIpPrefix: String(r.remote_ip_prefix ?? ''),
            remoteGroupId: String(r.remote_group_id ?? ''),
          }),
        ),
      }),
    });
  }
}
