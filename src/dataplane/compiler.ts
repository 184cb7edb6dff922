/**
 * Goal-state compiler: derives desired resource states from the database tables (level-triggered: it
 * never looks at what changed, only at what is). Two scope shapes:
 * - host scope (`host/<host>`): VPCs, subnets, routers, security groups, local ports and DHCP entries of
 *   one host, compiled as a whole (a host holds tens to hundreds of ports, so this stays cheap);
 * - VPC scope (`vpc/<networkId>`): one neighbor per port of the network bound to a registered host,
 *   compiled per port so one new port costs one record.
 * Security-group and router tables belong to the L3 area; when they do not exist yet those kinds are
 * simply empty.
 */
import { create } from '@bufbuild/protobuf';
import {
  DhcpStateSchema,
  FixedIpSchema,
  NeighborStateSchema,
  PortFloatingIpSchema,
  PortStateSchema,
  SubnetStateSchema,
  VpcStateSchema,
  type FixedIp,
  type PortFloatingIp,
} from '../proto/alcor/v1/goal_state_pb.js';
import type { Queryable } from '../store/store.js';
import type { Channel } from './channels.js';
import { compileRouters, compileSecurityGroups } from './compile-l3.js';
import { add, addressPairs, allIn, group, parseJson, ROUTER_OWNER, routes, type CompiledEntry, type CompiledHost } from './compile-helpers.js';
import { encodeUpsert } from './wire.js';

export { entryKey, splitKey, type CompiledEntry, type CompiledHost } from './compile-helpers.js';

/** Which optional (L3-area) tables exist. */
export interface OptionalTables {
  securityGroups: boolean;
  routers: boolean;
}

/** A compiled neighbor, or null when the port is not programmed anywhere. */
export interface CompiledNeighbor {
  vpcId: string;
  entry: CompiledEntry;
}

interface PortRow {
  id: string;
  project_id: string;
  network_id: string;
  mac_address: string;
  admin_state_up: number;
  port_security_enabled: number;
  device_id: string;
  device_owner: string;
  allowed_address_pairs: string;
  extra_dhcp_opts: string;
  binding_host_id: string;
}
interface IpRow {
  port_id: string;
  subnet_id: string;
  ip_address: string;
}
interface SubnetRow {
  id: string;
  network_id: string;
  ip_version: number;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: number;
  dns_nameservers: string;
  host_routes: string;
  ipv6_ra_mode: string | null;
  ipv6_address_mode: string | null;
}
interface NetworkRow {
  id: string;
  project_id: string;
  segmentation_id: number | null;
  network_type: string;
  physical_network: string | null;
  mtu: number;
  port_security_enabled: number;
}

async function fixedIps(q: Queryable, portIds: readonly string[]): Promise<Map<string, IpRow[]>> {
  const rows = await allIn<IpRow>(
    q,
    (m) => `SELECT port_id, subnet_id, ip_address FROM ip_allocations WHERE port_id IN (${m}) ORDER BY port_id, position`,
    portIds,
  );
  return group(rows, (r) => r.port_id);
}

async function portGroups(q: Queryable, portIds: readonly string[]): Promise<Map<string, string[]>> {
  const rows = await allIn<{ port_id: string; security_group_id: string }>(
    q,
    (m) => `SELECT port_id, security_group_id FROM port_security_groups WHERE port_id IN (${m}) ORDER BY security_group_id`,
    portIds,
  );
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.port_id, [...(out.get(r.port_id) ?? []), r.security_group_id]);
  return out;
}

/** Floating IPs of the ports (with a router: one without cannot be associated). */
async function portFloatingIps(q: Queryable, portIds: readonly string[]): Promise<Map<string, PortFloatingIp[]>> {
  const rows = await allIn<{ id: string; port_id: string; floating_ip_address: string; fixed_ip_address: string; router_id: string; floating_network_id: string }>(
    q,
    (m) => `SELECT id, port_id, floating_ip_address, fixed_ip_address, router_id, floating_network_id FROM floatingips
      WHERE port_id IN (${m}) AND router_id IS NOT NULL ORDER BY id`,
    portIds,
  );
  const out = new Map<string, PortFloatingIp[]>();
  for (const r of rows) {
    const fip = create(PortFloatingIpSchema, {
      id: r.id, floatingIpAddress: r.floating_ip_address, fixedIpAddress: r.fixed_ip_address, routerId: r.router_id, networkId: r.floating_network_id,
    });
    out.set(r.port_id, [...(out.get(r.port_id) ?? []), fip]);
  }
  return out;
}

function toFixedIps(rows: readonly IpRow[] | undefined): FixedIp[] {
  return (rows ?? []).map((r) => create(FixedIpSchema, { subnetId: r.subnet_id, ipAddress: r.ip_address }));
}

/**
 * Compiles the whole host scope of `host`; an unregistered host has an empty scope. `channelOf` gives
 * each VPC's effective southbound channel, which its VpcState carries to the host.
 */
export async function compileHostScope(q: Queryable, host: string, tables: OptionalTables, channelOf: (networkId: string) => Channel): Promise<CompiledHost> {
  const result: CompiledHost = { entries: new Map(), vpcs: new Set(), ports: new Set(), preparedPorts: new Set(), rules: new Map(), routerPorts: new Map(), floatingIps: new Map() };
  const registered = await q.get('SELECT host FROM hosts WHERE host = ?', [host]);
  if (!registered) return result;
  // Bound here, or prepared here for a live migration (an inactive binding made for this host).
  const ports = await q.all<PortRow>(
    'SELECT * FROM ports WHERE binding_host_id = ? OR id IN (SELECT port_id FROM port_bindings WHERE host = ? AND prepared = 1) ORDER BY id',
    [host, host],
  );
  const carriesGateway = tables.routers && (await q.get("SELECT id FROM routers WHERE gateway_host = ? AND gw_port_id IS NOT NULL", [host])) !== undefined;
  if (ports.length === 0 && !carriesGateway) return result;
  const portIds = ports.map((p) => p.id);
  const ips = await fixedIps(q, portIds);
  const groups = await portGroups(q, portIds);
  const subnetIds = new Set<string>();
  for (const list of ips.values()) for (const ip of list) subnetIds.add(ip.subnet_id);
  const networkIds = new Set(ports.map((p) => p.network_id));

  if (tables.routers && (subnetIds.size > 0 || carriesGateway)) await compileRouters(q, host, subnetIds, networkIds, result);
  const fips = tables.routers ? await portFloatingIps(q, portIds) : new Map<string, PortFloatingIp[]>();
  for (const list of fips.values()) for (const f of list) networkIds.add(f.networkId);

  const networks = new Map(
    (await allIn<NetworkRow>(q, (m) => `SELECT * FROM networks WHERE id IN (${m})`, [...networkIds])).map((n) => [n.id, n]),
  );
  for (const n of networks.values()) {
    result.vpcs.add(n.id);
    add(result.entries, 'vpc', n.id, {
      case: 'vpc',
      value: create(VpcStateSchema, {
        id: n.id,
        projectId: n.project_id,
        segmentationId: Number(n.segmentation_id ?? 0),
        networkType: n.network_type,
        mtu: Number(n.mtu),
        portSecurityEnabled: n.port_security_enabled === 1,
        channel: channelOf(n.id),
        physicalNetwork: n.physical_network ?? '',
      }),
    });
  }
  const subnets = new Map(
    (await allIn<SubnetRow>(q, (m) => `SELECT * FROM subnets WHERE id IN (${m})`, [...subnetIds])).map((s) => [s.id, s]),
  );
  for (const s of subnets.values()) {
    add(result.entries, 'subnet', s.id, {
      case: 'subnet',
      value: create(SubnetStateSchema, {
        id: s.id,
        vpcId: s.network_id,
        ipVersion: Number(s.ip_version),
        cidr: s.cidr,
        gatewayIp: s.gateway_ip ?? '',
        enableDhcp: s.enable_dhcp === 1,
        dnsNameservers: parseJson<string[]>(s.dns_nameservers, []).map(String),
        hostRoutes: routes(s.host_routes),
        segmentationId: Number(networks.get(s.network_id)?.segmentation_id ?? 0),
        ipv6RaMode: s.ipv6_ra_mode ?? '',
        ipv6AddressMode: s.ipv6_address_mode ?? '',
      }),
    });
  }

  const groupIds = new Set<string>();
  for (const port of ports) {
    const portFips = fips.get(port.id) ?? [];
    if (port.binding_host_id !== host) result.preparedPorts.add(port.id);
    else {
      result.ports.add(port.id);
      if (portFips.length > 0) result.floatingIps.set(port.id, portFips.map((f) => f.id));
    }
    const portIps = ips.get(port.id) ?? [];
    const sgs = groups.get(port.id) ?? [];
    for (const g of sgs) groupIds.add(g);
    add(result.entries, 'port', port.id, {
      case: 'port',
      value: create(PortStateSchema, {
        id: port.id,
        vpcId: port.network_id,
        projectId: port.project_id,
        macAddress: port.mac_address,
        fixedIps: toFixedIps(portIps),
        adminStateUp: port.admin_state_up === 1,
        portSecurityEnabled: port.port_security_enabled === 1,
        securityGroupIds: sgs,
        allowedAddressPairs: addressPairs(port.allowed_address_pairs),
        deviceId: port.device_id,
        deviceOwner: port.device_owner,
        floatingIps: portFips,
      }),
    });
    const dhcpSubnet = (version: number) =>
      portIps.find((ip) => {
        const s = subnets.get(ip.subnet_id);
        return s !== undefined && s.enable_dhcp === 1 && Number(s.ip_version) === version;
      });
    const dhcpIp = dhcpSubnet(4);
    const dhcp6Ip = dhcpSubnet(6);
    const subnet = dhcpIp ? subnets.get(dhcpIp.subnet_id) : undefined;
    if (dhcpIp || dhcp6Ip) {
      const options = parseJson<{ opt_name?: string; opt_value?: string; ip_version?: number }[]>(port.extra_dhcp_opts, []).filter((o) => o && o.opt_name);
      const optionMap = (v6: boolean) =>
        Object.fromEntries(options.filter((o) => (Number(o.ip_version) === 6) === v6).map((o) => [String(o.opt_name), String(o.opt_value ?? '')]));
      add(result.entries, 'dhcp', port.id, {
        case: 'dhcp',
        value: create(DhcpStateSchema, {
          id: port.id,
          subnetId: subnet?.id ?? '',
          macAddress: port.mac_address,
          ipAddress: dhcpIp?.ip_address ?? '',
          gatewayIp: subnet?.gateway_ip ?? '',
          prefixLength: subnet ? Number(subnet.cidr.split('/')[1] ?? 32) : 0,
          mtu: Number(networks.get(port.network_id)?.mtu ?? 1450),
          dnsNameservers: subnet ? parseJson<string[]>(subnet.dns_nameservers, []).map(String) : [],
          hostRoutes: subnet ? routes(subnet.host_routes) : [],
          extraOptions: optionMap(false),
          ipv6SubnetId: dhcp6Ip?.subnet_id ?? '',
          ipv6Address: dhcp6Ip?.ip_address ?? '',
          ipv6ExtraOptions: optionMap(true),
        }),
      });
    }
  }

  if (tables.securityGroups && groupIds.size > 0) await compileSecurityGroups(q, groupIds, result);
  return result;
}

interface NeighborRow extends PortRow {
  datapath_ip: string;
}

async function neighborsFrom(q: Queryable, rows: NeighborRow[]): Promise<Map<string, CompiledNeighbor>> {
  const ids = rows.map((r) => r.id);
  const ips = await fixedIps(q, ids);
  const groups = await portGroups(q, ids);
  const out = new Map<string, CompiledNeighbor>();
  for (const p of rows) {
    const state = create(NeighborStateSchema, {
      id: p.id,
      vpcId: p.network_id,
      macAddress: p.mac_address,
      fixedIps: toFixedIps(ips.get(p.id)),
      hostId: p.binding_host_id,
      hostIp: p.datapath_ip,
      securityGroupIds: groups.get(p.id) ?? [],
      allowedAddressPairs: addressPairs(p.allowed_address_pairs),
      portSecurityDisabled: p.port_security_enabled !== 1,
    });
    out.set(p.id, { vpcId: p.network_id, entry: { kind: 'neighbor', id: p.id, bytes: encodeUpsert('neighbor', p.id, { case: 'neighbor', value: state }) } });
  }
  return out;
}

const NEIGHBOR_SELECT = 'SELECT p.*, h.datapath_ip FROM ports p JOIN hosts h ON h.host = p.binding_host_id';

/** Neighbors of the given ports; ports absent from the result are not programmed (unbound, unknown host, deleted). */
export async function compileNeighbors(q: Queryable, portIds: readonly string[]): Promise<Map<string, CompiledNeighbor>> {
  const rows = await allIn<NeighborRow>(q, (m) => `${NEIGHBOR_SELECT} WHERE p.id IN (${m})`, portIds);
  return neighborsFrom(q, rows);
}

/** Every neighbor of one network (start-up compile). */
export async function compileVpcNeighbors(q: Queryable, networkId: string): Promise<Map<string, CompiledNeighbor>> {
  return neighborsFrom(q, await q.all<NeighborRow>(`${NEIGHBOR_SELECT} WHERE p.network_id = ? ORDER BY p.id`, [networkId]));
}

/** Registered hosts with a bound port that has an address in one of the subnets. */
export async function hostsInSubnets(q: Queryable, subnetIds: readonly string[]): Promise<string[]> {
  const rows = await allIn<{ host: string }>(
    q,
    (m) => `SELECT DISTINCT p.binding_host_id AS host FROM ports p JOIN ip_allocations a ON a.port_id = p.id
      WHERE p.binding_host_id <> '' AND a.subnet_id IN (${m})`,
    subnetIds,
  );
  return rows.map((r) => r.host);
}

/** Subnets a router has interfaces in. */
export async function routerSubnets(q: Queryable, routerId: string): Promise<string[]> {
  const rows = await q.all<{ subnet_id: string }>(
    `SELECT DISTINCT a.subnet_id FROM ports p JOIN ip_allocations a ON a.port_id = p.id WHERE ${ROUTER_OWNER} AND p.device_id = ?`,
    [routerId],
  );
  return rows.map((r) => r.subnet_id);
}

/** Hosts with a bound port in a security group. */
export async function hostsInSecurityGroup(q: Queryable, groupId: string): Promise<string[]> {
  const rows = await q.all<{ host: string }>(
    `SELECT DISTINCT p.binding_host_id AS host FROM ports p JOIN port_security_groups g ON g.port_id = p.id
      WHERE g.security_group_id = ? AND p.binding_host_id <> ''`,
    [groupId],
  );
  return rows.map((r) => r.host);
}

/** Which optional tables exist on this engine. */
export async function detectTables(q: Queryable, engine: 'sqlite' | 'postgres'): Promise<OptionalTables> {
  const exists = async (name: string) =>
    engine === 'sqlite'
      ? (await q.get("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", [name])) !== undefined
      : (await q.get('SELECT table_name FROM information_schema.tables WHERE table_name = ?', [name])) !== undefined;
  return {
    securityGroups: (await exists('security_groups')) && (await exists('security_group_rules')),
    routers: await exists('routers'),
  };
}
