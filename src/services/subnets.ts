/**
 * Subnets: validated layout (CIDR, gateway, pools, DNS, host routes), no overlap within a network,
 * update of the mutable fields, delete refused while any address of it is allocated. A subnet change
 * bumps its network's revision, as Neutron does.
 */
import type { ServerConfig } from '../config.js';
import type { RequestContext } from '../domain/context.js';
import { InvalidInput, NetworkNotFound, SubnetInUse, SubnetNotFound } from '../domain/errors.js';
import { cidrsOverlap, formatCidr, formatIp, parseCidr, type Cidr, type IpVersion } from '../domain/ip.js';
import {
  formatPools,
  subnetLayout,
  validateDnsNameservers,
  validateEui64Prefix,
  validateGateway,
  validateHostRoutes,
  validateIpv6Modes,
  validatePools,
  type AllocationPool,
  type Ipv6Mode,
  type Subnet,
  type SubnetCreate,
  type SubnetUpdate,
} from '../domain/subnet.js';
import { appendChange } from '../store/outbox.js';
import type { Queryable, Store } from '../store/store.js';
import { bulkCreate, collectionReader, type CollectionService } from './collection-reader.js';
import { assertOwner, owningProject, writableRow } from './access.js';
import { NETWORK_TABLE, touchNetwork, type NetworkRow } from './networks.js';
import { checkQuota } from './quotas.js';
import { grantedTo, sharedFilter } from './rbac-sharing.js';
import { ROUTER_GATEWAY_OWNER, ROUTER_INTERFACE_OWNER } from './router-rows.js';
import { subnetSource } from './subnet-allocation.js';
import { deleteTags, loadTags, newId, replaceTags, timestamp } from './standard-attributes.js';
import { getVisibleRow, nullableColumns, sameNameColumns, type TableSpec, STANDARD_COLUMNS } from './table-list.js';

/** A row of the subnets table. */
export interface SubnetRow {
  id: string;
  project_id: string;
  network_id: string;
  name: string;
  description: string;
  ip_version: number;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: number;
  ipv6_ra_mode: Ipv6Mode | null;
  ipv6_address_mode: Ipv6Mode | null;
  allocation_pools: string;
  dns_nameservers: string;
  host_routes: string;
  ipam_cursor: string | null;
  subnetpool_id: string | null;
  network_position: number;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

/** RBAC actions on a network that show its subnets to the target: not external (Neutron hides those subnets). */
const NETWORK_GRANTS = ['access_as_shared'] as const;

/** Listing spec: non-admins see their own subnets and those of networks shared with them (not of external ones, as Neutron). */
export const SUBNET_TABLE: TableSpec = {
  table: 'subnets',
  tagType: 'subnets',
  columns: {
    ...STANDARD_COLUMNS,
    ...sameNameColumns('string', 'name', 'network_id', 'cidr'),
    ...sameNameColumns('int', 'ip_version'),
    ...sameNameColumns('bool', 'enable_dhcp'),
    ...nullableColumns('string', 'gateway_ip', 'ipv6_ra_mode', 'ipv6_address_mode', 'subnetpool_id'),
  },
  // `shared=`: the subnet's network is shared with the caller (or every project).
  virtualFilters: { shared: sharedFilter('network', 't.network_id') },
  visibility: (ctx) => {
    if (ctx.isAdmin) return undefined;
    const granted = grantedTo('network', 't.network_id', ctx.projectId, NETWORK_GRANTS);
    return { sql: `(t.project_id = ? OR ${granted.sql})`, params: [ctx.projectId, ...granted.params] };
  },
  notFound: (id) => new SubnetNotFound(`Subnet ${id} could not be found.`),
};

/** Turns rows into API objects (tags in one query). */
export async function hydrateSubnets(q: Queryable, rows: SubnetRow[]): Promise<Subnet[]> {
  const tags = await loadTags(q, 'subnets', rows.map((r) => r.id));
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    description: r.description,
    project_id: r.project_id,
    tenant_id: r.project_id,
    network_id: r.network_id,
    ip_version: r.ip_version as IpVersion,
    cidr: r.cidr,
    gateway_ip: r.gateway_ip,
    enable_dhcp: r.enable_dhcp === 1,
    ipv6_ra_mode: r.ipv6_ra_mode,
    ipv6_address_mode: r.ipv6_address_mode,
    allocation_pools: JSON.parse(r.allocation_pools) as AllocationPool[],
    dns_nameservers: JSON.parse(r.dns_nameservers) as string[],
    host_routes: JSON.parse(r.host_routes) as Subnet['host_routes'],
    subnetpool_id: r.subnetpool_id,
    service_types: [],
    tags: tags.get(r.id) ?? [],
    revision_number: r.revision_number,
    created_at: r.created_at,
    updated_at: r.updated_at,
  }));
}

/** The subnet service. */
export type SubnetService = CollectionService<Subnet, SubnetCreate, SubnetUpdate>;

async function assertNoOverlap(q: Queryable, networkId: string, cidr: Cidr): Promise<void> {
  const others = await q.all<{ cidr: string }>('SELECT cidr FROM subnets WHERE network_id = ?', [networkId]);
  // Clients look for a free CIDR by matching this exact text, so it names no other subnet (as Neutron's).
  if (others.some((other) => cidrsOverlap(cidr, parseCidr(other.cidr, false) as Cidr))) {
    throw new InvalidInput(
      `Invalid input for operation: Requested subnet with cidr: ${formatCidr(cidr)} for network: ${networkId} overlaps with another subnet.`,
    );
  }
}

/** Inserts one subnet in the caller's transaction; returns its id. */
async function insertSubnet(tx: Queryable, ctx: RequestContext, body: SubnetCreate, config: ServerConfig): Promise<string> {
  const network = await getVisibleRow<NetworkRow>(tx, NETWORK_TABLE, ctx, body.network_id).catch(() => {
    throw new NetworkNotFound(`Network ${body.network_id} could not be found.`);
  });
  assertOwner(ctx, network.project_id, 'create', 'subnet', body.network_id);
  const projectId = owningProject(ctx, body);
  await checkQuota(tx, config.quotaDefaults, projectId, 'subnet', 1);
  validateIpv6Modes(body.ip_version as IpVersion, body.ipv6_ra_mode, body.ipv6_address_mode, body.enable_dhcp !== false);
  const source = await subnetSource(tx, ctx, body, body.network_id, projectId);
  const layout = subnetLayout({ ...body, cidr: source.cidr });
  validateEui64Prefix(layout.cidr, body.ipv6_ra_mode, body.ipv6_address_mode);
  await assertNoOverlap(tx, body.network_id, layout.cidr);
  const id = newId();
  const now = timestamp();
  await tx.run(
    `INSERT INTO subnets (id, project_id, network_id, name, description, ip_version, cidr, gateway_ip, enable_dhcp,
       ipv6_ra_mode, ipv6_address_mode, allocation_pools, dns_nameservers, host_routes, ipam_cursor, subnetpool_id, network_position,
       revision_number, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?,
       (SELECT COALESCE(MAX(network_position), 0) + 1 FROM subnets WHERE network_id = ?), 0, ?, ?)`,
    [
      id, projectId, body.network_id, body.name ?? '', body.description ?? '', layout.cidr.version, formatCidr(layout.cidr),
      layout.gatewayIp, body.enable_dhcp === false ? 0 : 1, body.ipv6_ra_mode ?? null, body.ipv6_address_mode ?? null,
      JSON.stringify(formatPools(layout.cidr.version, layout.pools)), JSON.stringify(layout.dnsNameservers),
      JSON.stringify(layout.hostRoutes), source.subnetpoolId, body.network_id, now, now,
    ],
  );
  if (body.tags?.length) await replaceTags(tx, 'subnets', id, body.tags);
  await touchNetwork(tx, body.network_id);
  await appendChange(tx, 'subnet', id, 'create');
  return id;
}

/**
 * Addresses of a SLAAC or DHCPv6-stateless subnet are the hosts' own (derived from their MACs), so Neutron
 * drops them from every port except router ports when the subnet goes; router ports still block the delete.
 */
async function releaseAutoAddresses(tx: Queryable, row: SubnetRow): Promise<void> {
  if (row.ipv6_address_mode !== 'slaac' && row.ipv6_address_mode !== 'dhcpv6-stateless') return;
  const ports = await tx.all<{ port_id: string }>(
    `SELECT DISTINCT a.port_id FROM ip_allocations a JOIN ports p ON p.id = a.port_id
      WHERE a.subnet_id = ? AND p.device_owner NOT IN (?, ?) ORDER BY a.port_id`,
    [row.id, ROUTER_INTERFACE_OWNER, ROUTER_GATEWAY_OWNER],
  );
  for (const { port_id } of ports) {
    await tx.run('DELETE FROM ip_allocations WHERE subnet_id = ? AND port_id = ?', [row.id, port_id]);
    await tx.run('UPDATE ports SET revision_number = revision_number + 1, updated_at = ? WHERE id = ?', [timestamp(), port_id]);
    await appendChange(tx, 'port', port_id, 'update');
  }
}

/** Builds the subnet service over a store. */
export function createSubnetService(store: Store, config: ServerConfig): SubnetService {
  const reader = collectionReader<SubnetRow, Subnet>(store, SUBNET_TABLE, (q, _ctx, rows) => hydrateSubnets(q, rows));

  return {
    createMany: bulkCreate(store, reader, (tx, ctx, body: SubnetCreate) => insertSubnet(tx, ctx, body, config)),

    get: reader.get,

    list: reader.list,

    update: (ctx, id, body, ifRevision) =>
      store.write(async (tx) => {
        const row = await writableRow<SubnetRow>(tx, SUBNET_TABLE, ctx, 'subnet', id, 'update', ifRevision);
        const cidr = parseCidr(row.cidr, false) as Cidr;
        if (body.enable_dhcp === false && (row.ipv6_ra_mode || row.ipv6_address_mode)) {
          throw new InvalidInput('Invalid input for operation: Cannot disable enable_dhcp with ipv6 attributes set.');
        }
        const gatewayIp = body.gateway_ip === undefined ? row.gateway_ip : body.gateway_ip;
        const gateway = gatewayIp === null ? null : validateGateway(gatewayIp, cidr);
        const pools = body.allocation_pools
          ? validatePools(body.allocation_pools, cidr, gateway)
          : validatePools(JSON.parse(row.allocation_pools) as AllocationPool[], cidr, gateway);
        const dns = body.dns_nameservers ? validateDnsNameservers(body.dns_nameservers) : (JSON.parse(row.dns_nameservers) as string[]);
        const routes = body.host_routes ? validateHostRoutes(body.host_routes, cidr.version) : JSON.parse(row.host_routes);
        const cursorStillValid = body.allocation_pools === undefined;
        await tx.run(
          `UPDATE subnets SET name = ?, description = ?, gateway_ip = ?, enable_dhcp = ?, allocation_pools = ?, dns_nameservers = ?,
             host_routes = ?, ipam_cursor = ?, revision_number = revision_number + 1, updated_at = ? WHERE id = ?`,
          [
            body.name ?? row.name, body.description ?? row.description,
            gateway === null ? null : formatIp({ version: cidr.version, value: gateway }), body.enable_dhcp === undefined ? row.enable_dhcp : body.enable_dhcp ? 1 : 0,
            JSON.stringify(formatPools(cidr.version, pools)), JSON.stringify(dns), JSON.stringify(routes),
            cursorStillValid ? row.ipam_cursor : null, timestamp(), id,
          ],
        );
        await touchNetwork(tx, row.network_id);
        await appendChange(tx, 'subnet', id, 'update');
        return reader.readOne(tx, ctx, id);
      }),

    delete: (ctx, id, ifRevision) =>
      store.write(async (tx) => {
        const row = await writableRow<SubnetRow>(tx, SUBNET_TABLE, ctx, 'subnet', id, 'delete', ifRevision);
        await releaseAutoAddresses(tx, row);
        const used = await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM ip_allocations WHERE subnet_id = ?', [id]);
        if (used && Number(used.n) > 0) {
          throw new SubnetInUse(`Unable to complete operation on subnet ${id}: ${used.n} port(s) have an IP allocation from this subnet.`);
        }
        await deleteTags(tx, 'subnets', id);
        await tx.run('DELETE FROM subnets WHERE id = ?', [id]);
        await touchNetwork(tx, row.network_id);
        await appendChange(tx, 'subnet', id, 'delete');
      }),
  };
}
