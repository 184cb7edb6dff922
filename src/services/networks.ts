/**
 * Networks (VPCs): create with a segment, read with their subnet ids, update, and delete with Neutron's
 * rules (DHCP ports and unassociated floating IPs go with the network; every other port blocks the delete).
 */
import type { ServerConfig } from '../config.js';
import type { RequestContext } from '../domain/context.js';
import { InvalidInput, NetworkInUse, NetworkNotFound, SegmentsSetInConjunctionWithProviders } from '../domain/errors.js';
import type { Network, NetworkCreate, NetworkSegment, NetworkType, NetworkUpdate, SouthboundChannelMode } from '../domain/network.js';
import { appendChange } from '../store/outbox.js';
import type { Queryable, Store } from '../store/store.js';
import { bulkCreate, collectionReader, type CollectionService } from './collection-reader.js';
import { assertAdminFor, owningProject, writableRow } from './access.js';
import { networkAddressScopes } from './address-scopes.js';
import { assertZonesExist, networkZones } from './availability-zones.js';
import { applyNetworkSharing } from './network-sharing.js';
import { deleteFloatingIpRow, deletePortRows } from './port-rows.js';
import { checkQuota } from './quotas.js';
import { deleteEntriesOf, ownedOrGranted, sharedFilter, sharedIds } from './rbac-sharing.js';
import { allocateSegment, defaultMtu } from './segments.js';
import { chunks, deleteTags, loadTags, newId, replaceTags, timestamp } from './standard-attributes.js';
import { sameNameColumns, type TableSpec, STANDARD_COLUMNS } from './table-list.js';

/** A row of the networks table. */
export interface NetworkRow {
  id: string;
  project_id: string;
  name: string;
  description: string;
  admin_state_up: number;
  shared: number;
  router_external: number;
  mtu: number;
  port_security_enabled: number;
  network_type: NetworkType;
  physical_network: string;
  segmentation_id: number | null;
  /** JSON array of zone names. */
  availability_zone_hints: string;
  /** '' = the controller's default channel mode. */
  southbound_channel: string;
  status: 'ACTIVE' | 'DOWN';
  revision_number: number;
  created_at: string;
  updated_at: string;
}

/** Listing spec: non-admins see their own networks plus those RBAC entries share with them or make external for them. */
export const NETWORK_TABLE: TableSpec = {
  table: 'networks',
  tagType: 'networks',
  columns: {
    ...STANDARD_COLUMNS,
    ...sameNameColumns('string', 'name', 'status'),
    ...sameNameColumns('bool', 'admin_state_up', 'shared', 'port_security_enabled'),
    ...sameNameColumns('int', 'mtu'),
    'router:external': { column: 'router_external', kind: 'bool' },
    'provider:network_type': { column: 'network_type', kind: 'string' },
    'provider:physical_network': { column: 'physical_network', kind: 'string' },
    'provider:segmentation_id': { column: 'segmentation_id', kind: 'int', nullable: true },
  },
  virtualFilters: {
    shared: sharedFilter('network'),
    subnets: (values) => ({
      sql: `EXISTS (SELECT 1 FROM subnets s WHERE s.network_id = t.id AND s.id IN (${values.map(() => '?').join(',')}))`,
      params: values,
    }),
  },
  visibility: (ctx) => ownedOrGranted('network', ctx, ['access_as_shared', 'access_as_external']),
  notFound: (id) => new NetworkNotFound(`Network ${id} could not be found.`),
};

const PROVIDER_ATTRIBUTES = ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id'] as const;
const ADMIN_ONLY = [...PROVIDER_ATTRIBUTES, 'segments', 'router:external', 'alcor:southbound_channel'];

/** The one segment a create asks for: the provider attributes, or the multi-provider `segments` list of one. */
function requestedSegment(body: NetworkCreate): NetworkSegment {
  if (body.segments === undefined) return body;
  if (PROVIDER_ATTRIBUTES.some((a) => a in body)) throw new SegmentsSetInConjunctionWithProviders('Segments and provider values cannot both be set.');
  const [segment, ...more] = body.segments;
  if (!segment || more.length > 0) throw new InvalidInput(`Invalid input for segments: an Alcor network has one segment, not ${body.segments.length}.`);
  return segment;
}

/** Turns rows into API objects, loading subnet ids and tags in one query each. */
export async function hydrateNetworks(q: Queryable, ctx: RequestContext, rows: NetworkRow[]): Promise<Network[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const tags = await loadTags(q, 'networks', ids);
  const zones = await networkZones(q, ids);
  const shared = await sharedIds(q, 'network', ids, ctx.projectId);
  const scopes = await networkAddressScopes(q, ids);
  const subnets = new Map<string, string[]>(ids.map((id) => [id, []]));
  const subnetRows: { id: string; network_id: string }[] = [];
  for (const chunk of chunks(ids, 500)) {
    subnetRows.push(
      ...(await q.all<{ id: string; network_id: string }>(
        `SELECT id, network_id FROM subnets WHERE network_id IN (${chunk.map(() => '?').join(',')}) ORDER BY network_position, created_at, id`,
        chunk,
      )),
    );
  }
  for (const s of subnetRows) subnets.get(s.network_id)?.push(s.id);
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    description: r.description,
    project_id: r.project_id,
    tenant_id: r.project_id,
    admin_state_up: r.admin_state_up === 1,
    shared: shared.has(r.id),
    'router:external': r.router_external === 1,
    mtu: r.mtu,
    port_security_enabled: r.port_security_enabled === 1,
    status: r.status,
    subnets: subnets.get(r.id) ?? [],
    availability_zone_hints: JSON.parse(r.availability_zone_hints) as string[],
    availability_zones: zones.get(r.id) ?? [],
    ipv4_address_scope: scopes.get(r.id)?.[4] ?? null,
    ipv6_address_scope: scopes.get(r.id)?.[6] ?? null,
    is_default: false,
    l2_adjacency: true,
    tags: tags.get(r.id) ?? [],
    revision_number: r.revision_number,
    created_at: r.created_at,
    updated_at: r.updated_at,
    // Provider attributes are admin-only in Neutron's policy.
    ...(ctx.isAdmin
      ? {
          'provider:network_type': r.network_type,
          'provider:physical_network': r.physical_network === '' ? null : r.physical_network,
          'provider:segmentation_id': r.segmentation_id,
          'alcor:southbound_channel': r.southbound_channel === '' ? null : (r.southbound_channel as SouthboundChannelMode),
        }
      : {}),
  }));
}

/** Bumps a network's revision (Neutron bumps it when one of its subnets changes). */
export async function touchNetwork(q: Queryable, networkId: string): Promise<void> {
  await q.run('UPDATE networks SET revision_number = revision_number + 1, updated_at = ? WHERE id = ?', [timestamp(), networkId]);
}

/** The network service. */
export type NetworkService = CollectionService<Network, NetworkCreate, NetworkUpdate>;

/** Builds the network service over a store. */
export function createNetworkService(store: Store, config: ServerConfig): NetworkService {
  const reader = collectionReader(store, NETWORK_TABLE, hydrateNetworks);

  return {
    createMany: bulkCreate(store, reader, (tx, ctx, body: NetworkCreate) => insertNetwork(tx, ctx, body, config)),

    get: reader.get,

    list: reader.list,

    update: (ctx, id, body, ifRevision) =>
      store.write(async (tx) => {
        const row = await writableRow<NetworkRow>(tx, NETWORK_TABLE, ctx, 'network', id, 'update', ifRevision, { attributes: [...ADMIN_ONLY, 'shared'], body });
        checkMtu(config, row.network_type, body.mtu);
        await tx.run(
          `UPDATE networks SET name = ?, description = ?, admin_state_up = ?, shared = ?, router_external = ?, mtu = ?,
             port_security_enabled = ?, southbound_channel = ?, revision_number = revision_number + 1, updated_at = ? WHERE id = ?`,
          [
            body.name ?? row.name, body.description ?? row.description, bitOr(body.admin_state_up, row.admin_state_up),
            bitOr(body.shared, row.shared), bitOr(body['router:external'], row.router_external), body.mtu ?? row.mtu,
            bitOr(body.port_security_enabled, row.port_security_enabled),
            body['alcor:southbound_channel'] === undefined ? row.southbound_channel : (body['alcor:southbound_channel'] ?? ''), timestamp(), id,
          ],
        );
        await applyNetworkSharing(tx, id, row.project_id, body);
        await appendChange(tx, 'network', id, 'update');
        return reader.readOne(tx, ctx, id);
      }),

    delete: (ctx, id, ifRevision) =>
      store.write(async (tx) => {
        await writableRow<NetworkRow>(tx, NETWORK_TABLE, ctx, 'network', id, 'delete', ifRevision);
        // Only DHCP ports and the ports of unassociated floating IPs go with the network, as in Neutron:
        // any other port, even one no device owns, is the user's and blocks the delete.
        const blocking = await tx.all<{ id: string }>(
          `SELECT p.id FROM ports p WHERE p.network_id = ? AND p.device_owner <> 'network:dhcp'
             AND NOT EXISTS (SELECT 1 FROM floatingips f WHERE f.floating_port_id = p.id AND f.port_id IS NULL) ORDER BY p.id`,
          [id],
        );
        if (blocking.length > 0) {
          throw new NetworkInUse(
            `Unable to complete operation on network ${id}. There are one or more ports still in use on the network, id for these ports is: ${blocking.map((p) => p.id).join(', ')}.`,
          );
        }
        const floatingIps = await tx.all<{ id: string }>('SELECT id FROM floatingips WHERE floating_network_id = ?', [id]);
        for (const fip of floatingIps) await deleteFloatingIpRow(tx, fip.id);
        const ports = await tx.all<{ id: string }>('SELECT id FROM ports WHERE network_id = ?', [id]);
        for (const port of ports) await deletePortRows(tx, port.id);
        const subnets = await tx.all<{ id: string }>('SELECT id FROM subnets WHERE network_id = ?', [id]);
        for (const subnet of subnets) {
          await deleteTags(tx, 'subnets', subnet.id);
          await appendChange(tx, 'subnet', subnet.id, 'delete');
        }
        await tx.run('DELETE FROM subnets WHERE network_id = ?', [id]);
        await deleteTags(tx, 'networks', id);
        await deleteEntriesOf(tx, 'network', id);
        await tx.run('DELETE FROM networks WHERE id = ?', [id]);
        await appendChange(tx, 'network', id, 'delete');
      }),
  };
}

/** Inserts one network (segment, row, tags, outbox) in the caller's transaction; returns its id. */
async function insertNetwork(tx: Queryable, ctx: RequestContext, body: NetworkCreate, config: ServerConfig): Promise<string> {
  // Sharing a network with every project is admin-only; `shared: false` is the default and anyone may say it.
  assertAdminFor(ctx, body.shared === true ? [...ADMIN_ONLY, 'shared'] : ADMIN_ONLY, body);
  const projectId = owningProject(ctx, body);
  await checkQuota(tx, config.quotaDefaults, projectId, 'network', 1);
  const requested = requestedSegment(body);
  const zoneHints = body.availability_zone_hints ?? [];
  await assertZonesExist(tx, zoneHints);
  const segment = await allocateSegment(tx, config, {
    networkType: requested['provider:network_type'],
    physicalNetwork: requested['provider:physical_network'],
    segmentationId: requested['provider:segmentation_id'],
  });
  checkMtu(config, segment.networkType, body.mtu);
  const id = newId();
  const now = timestamp();
  await tx.run(
    `INSERT INTO networks (id, project_id, name, description, admin_state_up, shared, router_external, mtu,
       port_security_enabled, network_type, physical_network, segmentation_id, availability_zone_hints, status, revision_number, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ACTIVE', 0, ?, ?)`,
    [
      id, projectId, body.name ?? '', body.description ?? '', bit(body.admin_state_up ?? true), bit(body.shared ?? false),
      bit(body['router:external'] ?? false), body.mtu ?? defaultMtu(config, segment.networkType), bit(body.port_security_enabled ?? true),
      segment.networkType, segment.physicalNetwork, segment.segmentationId, JSON.stringify([...new Set(zoneHints)]), now, now,
    ],
  );
  if (body.tags?.length) await replaceTags(tx, 'networks', id, body.tags);
  await applyNetworkSharing(tx, id, projectId, body);
  await appendChange(tx, 'network', id, 'create');
  return id;
}

function checkMtu(config: ServerConfig, type: NetworkType, mtu: number | undefined): void {
  const maxMtu = defaultMtu(config, type);
  if (mtu !== undefined && (mtu > maxMtu || mtu < 68)) {
    throw new InvalidInput(`mtu ${mtu} is outside 68..${maxMtu} for a ${type} network`);
  }
}

function bit(value: boolean): number {
  return value ? 1 : 0;
}

function bitOr(value: boolean | undefined, current: number): number {
  return value === undefined ? current : bit(value);
}
