/**
 * Ports: MAC and fixed-IP allocation, allowed address pairs, extra DHCP options, port security and
 * security-group membership, host binding, bulk create (all or nothing), atomic fixed-IP updates, and
 * delete that frees everything with the row (see port-rows.ts). `insertPort` also serves router and
 * floating-IP code, which create their own ports inside their own transactions.
 */
import type { ServerConfig } from '../config.js';
import type { RequestContext } from '../domain/context.js';
import {
  AddressPairAndPortSecurityRequired,
  NetworkNotFound,
  NeutronBadRequest,
  PolicyNotAuthorized,
  PortBound,
  PortNotFound,
  PortSecurityAndIPRequiredForSecurityGroups,
  ServicePortInUse,
} from '../domain/errors.js';
import {
  ADMIN_ONLY_PORT_ATTRIBUTES,
  normalizeAddressPairs,
  normalizeExtraDhcpOpts,
  normalizeMac,
  ROUTER_DEVICE_OWNERS,
  SERVICE_DEVICE_OWNERS,
  type AddressPair,
  type ExtraDhcpOpt,
  type FixedIp,
  type FixedIpRequest,
  type Port,
  type PortCreate,
  type PortUpdate,
} from '../domain/port.js';
import { appendChange } from '../store/outbox.js';
import type { Queryable, Store } from '../store/store.js';
import { collectionReader, type CollectionService } from './collection-reader.js';
import { assertAdminFor, owningProject, writableRow } from './access.js';
import { assertMacFree, generateMac } from './mac.js';
import { checkQuota } from './quotas.js';
import { isGranted } from './rbac-sharing.js';
import { loadPortSecurityGroups, resolvePortSecurityGroups } from './security-groups.js';
import { NETWORK_TABLE, type NetworkRow } from './networks.js';
import { deletePortRows, floatingIpsOfPortDown } from './port-rows.js';
import { bindingVifType, DEFAULT_DATAPATH_TYPE, hostDatapathTypes, vifDetails } from './port-binding.js';
import { allocatePortAddresses, networkSubnets, portAddresses, reallocatePortAddresses, type AddressTarget } from './port-addresses.js';
import { normalizeIp } from '../domain/ip.js';
import { isAutoAddressSubnet } from '../domain/subnet.js';
import { chunks, loadTags, newId, replaceTags, timestamp } from './standard-attributes.js';
import { getVisibleRow, ownOrParentVisibility, sameNameColumns, type SqlCondition, type TableSpec, STANDARD_COLUMNS } from './table-list.js';

/** A row of the ports table. */
export interface PortRow {
  id: string;
  project_id: string;
  network_id: string;
  name: string;
  description: string;
  mac_address: string;
  admin_state_up: number;
  status: string;
  device_id: string;
  device_owner: string;
  port_security_enabled: number;
  binding_host_id: string;
  binding_vnic_type: string;
  binding_vif_type: string;
  binding_profile: string;
  allowed_address_pairs: string;
  extra_dhcp_opts: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

function fixedIpsFilter(values: string[]): SqlCondition {
  // `fixed_ips=ip_address=10.0.0.5&fixed_ips=subnet_id=X`: one allocation must match every given key.
  const byKey = new Map<string, string[]>();
  for (const v of values) {
    const eq = v.indexOf('=');
    const key = eq < 0 ? 'ip_address' : v.slice(0, eq);
    byKey.set(key, [...(byKey.get(key) ?? []), eq < 0 ? v : v.slice(eq + 1)]);
  }
  const parts: SqlCondition[] = [];
  for (const [key, list] of byKey) {
    if (key === 'ip_address' || key === 'subnet_id') {
      parts.push({ sql: `a.${key} IN (${list.map(() => '?').join(',')})`, params: list });
    } else if (key === 'ip_address_substr') {
      parts.push({ sql: `(${list.map(() => "a.ip_address LIKE ? ESCAPE '\\'").join(' OR ')})`, params: list.map((s) => `%${s.replace(/[\\%_]/g, '\\$&')}%`) });
    } else {
      parts.push({ sql: '1 = 0', params: [] });
    }
  }
  return {
    sql: `EXISTS (SELECT 1 FROM ip_allocations a WHERE a.port_id = t.id AND ${parts.map((p) => p.sql).join(' AND ')})`,
    params: parts.flatMap((p) => p.params),
  };
}

/** Listing spec: non-admins see their own ports and the ports on networks they own. */
export const PORT_TABLE: TableSpec = {
  table: 'ports',
  tagType: 'ports',
  columns: {
    ...STANDARD_COLUMNS,
    ...sameNameColumns('string', 'name', 'network_id', 'mac_address', 'status', 'device_id', 'device_owner'),
    ...sameNameColumns('bool', 'admin_state_up', 'port_security_enabled'),
    'binding:host_id': { column: 'binding_host_id', kind: 'string' },
    'binding:vnic_type': { column: 'binding_vnic_type', kind: 'string' },
    'binding:vif_type': { column: 'binding_vif_type', kind: 'string' },
  },
  virtualFilters: {
    fixed_ips: fixedIpsFilter,
    security_groups: (values) => ({
      sql: `EXISTS (SELECT 1 FROM port_security_groups g WHERE g.port_id = t.id AND g.security_group_id IN (${values.map(() => '?').join(',')}))`,
      params: values,
    }),
  },
  visibility: ownOrParentVisibility('networks', 'network_id', (ctx) => ({ sql: 'x.project_id = ?', params: [ctx.projectId] })),
  notFound: (id) => new PortNotFound(`Port ${id} could not be found.`),
};

async function loadByPort<T>(q: Queryable, sql: (placeholders: string) => string, ids: string[]): Promise<(T & { port_id: string })[]> {
  const out: (T & { port_id: string })[] = [];
  for (const chunk of chunks(ids, 500)) out.push(...(await q.all<T & { port_id: string }>(sql(chunk.map(() => '?').join(',')), chunk)));
  return out;
}

/** Turns rows into API objects, loading fixed IPs, security groups and tags in one query each. */
export async function hydratePorts(q: Queryable, rows: PortRow[]): Promise<Port[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const ips = new Map<string, FixedIp[]>(ids.map((id) => [id, []]));
  const allocations = await loadByPort<FixedIp>(
    q,
    (p) => `SELECT port_id, subnet_id, ip_address FROM ip_allocations WHERE port_id IN (${p}) ORDER BY port_id, position`,
    ids,
  );
  for (const a of allocations) ips.get(a.port_id)?.push({ subnet_id: a.subnet_id, ip_address: a.ip_address });
  const groups = await loadPortSecurityGroups(q, ids);
  const tags = await loadTags(q, 'ports', ids);
  const datapaths = await hostDatapathTypes(q, rows.filter((r) => r.binding_vif_type === 'ovs').map((r) => r.binding_host_id));
  return rows.map((r) =>
    portFromRow(r, ips.get(r.id) ?? [], groups.get(r.id) ?? [], tags.get(r.id) ?? [], datapaths.get(r.binding_host_id) ?? DEFAULT_DATAPATH_TYPE),
  );
}

/** The API object of a port row and what hangs off it. */
function portFromRow(r: PortRow, fixedIps: FixedIp[], securityGroups: string[], tags: string[], datapathType: string): Port {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    project_id: r.project_id,
    tenant_id: r.project_id,
    network_id: r.network_id,
    mac_address: r.mac_address,
    admin_state_up: r.admin_state_up === 1,
    status: r.status,
    device_id: r.device_id,
    device_owner: r.device_owner,
    fixed_ips: fixedIps,
    allowed_address_pairs: JSON.parse(r.allowed_address_pairs) as AddressPair[],
    extra_dhcp_opts: JSON.parse(r.extra_dhcp_opts) as ExtraDhcpOpt[],
    security_groups: securityGroups,
    port_security_enabled: r.port_security_enabled === 1,
    'binding:host_id': r.binding_host_id,
    'binding:vnic_type': r.binding_vnic_type,
    'binding:vif_type': r.binding_vif_type,
    'binding:profile': JSON.parse(r.binding_profile) as Record<string, unknown>,
    'binding:vif_details': vifDetails(r.binding_vif_type, datapathType),
    tags,
    revision_number: r.revision_number,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

/** Internal options of `insertPort` for router, gateway and floating-IP ports. */
export interface InsertPortOptions {
  /** Owner of the port, bypassing the body; '' for gateway and floating-IP ports as Neutron. */
  projectId?: string;
  /** Skip the admin-only attribute check (internal callers acting for the system). */
  trusted?: boolean;
}

async function insertSecurityGroups(tx: Queryable, portId: string, groups: readonly string[]): Promise<void> {
  for (const group of new Set(groups)) {
    await tx.run('INSERT INTO port_security_groups (port_id, security_group_id) VALUES (?, ?)', [portId, group]);
  }
}

function checkPortSecurity(enabled: boolean, pairs: readonly unknown[], groups: readonly string[] | undefined): void {
  if (enabled) return;
  if (pairs.length) throw new AddressPairAndPortSecurityRequired('Port security must be enabled to have allowed address pairs on a port');
  if (groups?.length) {
    throw new PortSecurityAndIPRequiredForSecurityGroups('Port security must be enabled and the port must have an IP address to use security groups');
  }
}

/** The network a new port goes on, if ctx may attach to it (own, shared, or admin). */
async function attachableNetwork(tx: Queryable, ctx: RequestContext, networkId: string): Promise<NetworkRow> {
  const network = await getVisibleRow<NetworkRow>(tx, NETWORK_TABLE, ctx, networkId);
  if (!ctx.isAdmin && network.project_id !== ctx.projectId && !(await isGranted(tx, 'network', networkId, ctx.projectId))) {
    throw new PolicyNotAuthorized(`(rule:create_port) is disallowed by policy: network ${networkId} is not shared`);
  }
  return network;
}

/** Inserts one port with its MAC, addresses and memberships in the caller's transaction; returns it as the API shows it. */
export async function insertPort(tx: Queryable, ctx: RequestContext, body: PortCreate, config: ServerConfig, options: InsertPortOptions = {}): Promise<Port> {
  if (!options.trusted) assertAdminFor(ctx, ADMIN_ONLY_PORT_ATTRIBUTES, body);
  const network = await attachableNetwork(tx, ctx, body.network_id).catch((err: unknown) => {
    throw err instanceof PortNotFound ? new NetworkNotFound(`Network ${body.network_id} could not be found.`) : err;
  });
  const projectId = options.projectId ?? owningProject(ctx, body);
  const id = newId();
  let mac: string;
  if (body.mac_address !== undefined) {
    mac = normalizeMac(body.mac_address);
    await assertMacFree(tx, network.id, mac);
  } else {
    mac = await generateMac(tx, network.id, config.macPrefix);
  }
  await checkQuota(tx, config.quotaDefaults, projectId, 'port', 1);
  const portSecurity = body.port_security_enabled ?? network.port_security_enabled === 1;
  const pairs = normalizeAddressPairs(body.allowed_address_pairs ?? [], mac);
  checkPortSecurity(portSecurity, pairs, body.security_groups);
  const groups = await resolvePortSecurityGroups(tx, ctx, projectId, body.security_groups, portSecurity);
  const hostId = body['binding:host_id'] ?? '';
  const vnicType = body['binding:vnic_type'] ?? 'normal';
  const now = timestamp();
  const row: PortRow = {
    id,
    project_id: projectId,
    network_id: network.id,
    name: body.name ?? '',
    description: body.description ?? '',
    mac_address: mac,
    admin_state_up: body.admin_state_up === false ? 0 : 1,
    status: 'DOWN',
    device_id: body.device_id ?? '',
    device_owner: body.device_owner ?? '',
    port_security_enabled: portSecurity ? 1 : 0,
    binding_host_id: hostId,
    binding_vnic_type: vnicType,
    binding_vif_type: await bindingVifType(tx, hostId, vnicType, network.id),
    binding_profile: JSON.stringify(body['binding:profile'] ?? {}),
    allowed_address_pairs: JSON.stringify(pairs),
    extra_dhcp_opts: JSON.stringify(normalizeExtraDhcpOpts(body.extra_dhcp_opts ?? [])),
    revision_number: 0,
    created_at: now,
    updated_at: now,
  };
  await tx.run(
    `INSERT INTO ports (id, project_id, network_id, name, description, mac_address, admin_state_up, status, device_id, device_owner,
       port_security_enabled, binding_host_id, binding_vnic_type, binding_vif_type, binding_profile, allowed_address_pairs,
       extra_dhcp_opts, revision_number, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      row.id, row.project_id, row.network_id, row.name, row.description, row.mac_address, row.admin_state_up, row.status,
      row.device_id, row.device_owner, row.port_security_enabled, row.binding_host_id, row.binding_vnic_type,
      row.binding_vif_type, row.binding_profile, row.allowed_address_pairs, row.extra_dhcp_opts, row.revision_number,
      row.created_at, row.updated_at,
    ],
  );
  const fixedIps = await allocatePortAddresses(tx, { portId: id, networkId: network.id, mac, deviceOwner: row.device_owner }, body.fixed_ips);
  const uniqueGroups = [...new Set(groups)];
  await insertSecurityGroups(tx, id, uniqueGroups);
  if (body.tags?.length) await replaceTags(tx, 'ports', id, body.tags);
  await appendChange(tx, 'port', id, 'create');
  // The answer is built from what was just written. Lists of two or more are read back: their order is
  // the database collation's (ORDER BY), as in every other answer.
  const sortedGroups = uniqueGroups.length > 1 ? ((await loadPortSecurityGroups(tx, [id])).get(id) ?? []) : uniqueGroups;
  const tags = body.tags?.length ? ((await loadTags(tx, 'ports', [id])).get(id) ?? []) : [];
  const datapath = (await hostDatapathTypes(tx, [hostId])).get(hostId) ?? DEFAULT_DATAPATH_TYPE;
  return portFromRow(row, fixedIps, sortedGroups, tags, datapath);
}

/** The port service. */
export type PortService = CollectionService<Port, PortCreate, PortUpdate>;

/** Builds the port service over a store. */
export function createPortService(store: Store, config: ServerConfig): PortService {
  const reader = collectionReader<PortRow, Port>(store, PORT_TABLE, (q, _ctx, rows) => hydratePorts(q, rows));

  return {
    createMany: (ctx, bodies) =>
      store.write(async (tx) => {
        // A port create checks addresses and MACs in its network, the quota and default group of its project.
        await tx.scope(...bodies.flatMap((body) => [`network:${body.network_id}`, `project:${body.project_id ?? body.tenant_id ?? ctx.projectId}`]));
        const ports: Port[] = [];
        for (const body of bodies) ports.push(await insertPort(tx, ctx, body, config));
        return ports;
      }),

    get: reader.get,

    list: reader.list,

    update: (ctx, id, body, ifRevision) =>
      store.write(async (tx) => {
        const row = await writableRow<PortRow>(tx, PORT_TABLE, ctx, 'port', id, 'update', ifRevision, { attributes: ADMIN_ONLY_PORT_ATTRIBUTES, body });
        assertRouterPortIpsKept(row, body.fixed_ips === undefined ? undefined : await portAddresses(tx, id), body.fixed_ips);
        const mac = await updatedMac(tx, row, body.mac_address, config);
        const portSecurity = body.port_security_enabled ?? row.port_security_enabled === 1;
        const pairs = body.allowed_address_pairs
          ? normalizeAddressPairs(body.allowed_address_pairs, mac)
          : (JSON.parse(row.allowed_address_pairs) as AddressPair[]);
        const currentGroups = (await tx.all<{ g: string }>('SELECT security_group_id AS g FROM port_security_groups WHERE port_id = ?', [id])).map((r) => r.g);
        checkPortSecurity(portSecurity, pairs, body.security_groups ?? currentGroups);
        const groups = body.security_groups === undefined
          ? currentGroups
          : await resolvePortSecurityGroups(tx, ctx, row.project_id, body.security_groups, portSecurity);
        const hostId = body['binding:host_id'] ?? row.binding_host_id;
        const deviceOwner = body.device_owner ?? row.device_owner;
        const vnicType = body['binding:vnic_type'] ?? row.binding_vnic_type;
        const rebind = body['binding:host_id'] !== undefined || body['binding:vnic_type'] !== undefined;
        await tx.run(
          `UPDATE ports SET name = ?, description = ?, mac_address = ?, admin_state_up = ?, status = ?, device_id = ?, device_owner = ?,
             port_security_enabled = ?, binding_host_id = ?, binding_vnic_type = ?, binding_vif_type = ?, binding_profile = ?,
             allowed_address_pairs = ?, extra_dhcp_opts = ?, revision_number = revision_number + 1, updated_at = ? WHERE id = ?`,
          [
            body.name ?? row.name, body.description ?? row.description, mac,
            body.admin_state_up === undefined ? row.admin_state_up : body.admin_state_up ? 1 : 0,
            // A port moved to another host is down until that host has programmed it.
            hostId === row.binding_host_id ? row.status : 'DOWN',
            body.device_id ?? row.device_id, deviceOwner, portSecurity ? 1 : 0, hostId,
            vnicType, rebind ? await bindingVifType(tx, hostId, vnicType, row.network_id) : row.binding_vif_type,
            body['binding:profile'] === undefined ? row.binding_profile : JSON.stringify(body['binding:profile']),
            JSON.stringify(pairs),
            body.extra_dhcp_opts === undefined ? row.extra_dhcp_opts : JSON.stringify(normalizeExtraDhcpOpts(body.extra_dhcp_opts)),
            timestamp(), id,
          ],
        );
        if (hostId !== row.binding_host_id) await floatingIpsOfPortDown(tx, id);
        const target = { portId: id, networkId: row.network_id, mac, deviceOwner };
        if (body.fixed_ips !== undefined) await reallocatePortAddresses(tx, target, body.fixed_ips);
        if (mac !== row.mac_address) await refreshAutoAddresses(tx, target);
        if (body.security_groups !== undefined) {
          await tx.run('DELETE FROM port_security_groups WHERE port_id = ?', [id]);
          await insertSecurityGroups(tx, id, groups);
        }
        await appendChange(tx, 'port', id, 'update');
        return reader.readOne(tx, ctx, id);
      }),

    delete: (ctx, id, ifRevision) =>
      store.write(async (tx) => {
        const row = await writableRow<PortRow>(tx, PORT_TABLE, ctx, 'port', id, 'delete', ifRevision);
        if (SERVICE_DEVICE_OWNERS.includes(row.device_owner)) {
          throw new ServicePortInUse(`Port ${id} cannot be deleted directly via the port API: it has device owner ${row.device_owner}.`);
        }
        await deletePortRows(tx, id);
      }),
  };
}

/** The MAC a port update leaves: unchanged, the one asked for, or (null) a freshly generated one; never on a bound port. */
async function updatedMac(tx: Queryable, row: PortRow, requested: string | null | undefined, config: ServerConfig): Promise<string> {
  if (requested === undefined || (requested !== null && normalizeMac(requested) === row.mac_address)) return row.mac_address;
  if (row.binding_host_id !== '') throw new PortBound(`Cannot change the MAC address of port ${row.id}: it is bound to host ${row.binding_host_id}`);
  if (requested === null) return generateMac(tx, row.network_id, config.macPrefix);
  const mac = normalizeMac(requested);
  await assertMacFree(tx, row.network_id, mac);
  return mac;
}

/** Router ports keep their addresses: they change through the router API only (l3-port-ip-change-not-allowed). */
function assertRouterPortIpsKept(row: PortRow, current: FixedIp[] | undefined, requested: FixedIpRequest[] | undefined): void {
  if (!current || !requested || !ROUTER_DEVICE_OWNERS.includes(row.device_owner)) return;
  const kept = new Set(current.map((ip) => ip.ip_address));
  const same = requested.length === current.length && requested.every((r) => r.ip_address !== undefined && kept.has(normalizeIp(r.ip_address) ?? ''));
  if (!same) throw new NeutronBadRequest(`Bad port request: the fixed IPs of router port ${row.id} (${row.device_owner}) cannot be changed.`);
}

/** After a MAC change, SLAAC addresses (EUI-64 of the MAC) are derived again. */
async function refreshAutoAddresses(tx: Queryable, target: AddressTarget): Promise<void> {
  const auto = (await networkSubnets(tx, target.networkId)).filter((s) => isAutoAddressSubnet(s.ipv6_address_mode));
  for (const subnet of auto) await tx.run('DELETE FROM ip_allocations WHERE port_id = ? AND subnet_id = ?', [target.portId, subnet.id]);
  await reallocatePortAddresses(tx, target, await portAddresses(tx, target.portId));
}
