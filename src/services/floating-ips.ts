/**
 * Floating IPs: an address on a `router:external` network (held by a `network:floatingip` port owned by
 * no project), optionally associated with a fixed IP of a port. Association needs a router that has an
 * interface on that port's subnet and its gateway on the floating network (else 404
 * ExternalGatewayForFloatingIPNotFound, as Neutron). Changes append `floatingip` change records. Status is
 * DOWN until the host of the associated port has programmed the floating IP (src/dataplane/floating-ip-status.ts).
 */
import type { ServerConfig } from '../config.js';
import { adminContext, type RequestContext } from '../domain/context.js';
import {
  ExternalGatewayForFloatingIPNotFound,
  FloatingIPNotFound,
  FloatingIPPortAlreadyAssociated,
  NeutronBadRequest,
  PolicyNotAuthorized,
} from '../domain/errors.js';
import type { FloatingIp, FloatingIpCreate, FloatingIpPortDetails, FloatingIpUpdate } from '../domain/floating-ip.js';
import { cidrContains, parseCidr, parseIp } from '../domain/ip.js';
import { appendChange } from '../store/outbox.js';
import type { Queryable, Store } from '../store/store.js';
import { bulkCreate, collectionReader, type CollectionService } from './collection-reader.js';
import { assertOwner, owningProject, writableRow } from './access.js';
import { NETWORK_TABLE, type NetworkRow } from './networks.js';
import { deleteFloatingIpRow } from './port-rows.js';
import { insertPort, PORT_TABLE, type PortRow } from './ports.js';
import { checkQuota } from './quotas.js';
import { ROUTER_INTERFACE_OWNER } from './router-rows.js';
import { chunks, loadTags, newId, replaceTags, timestamp } from './standard-attributes.js';
import { getVisibleRow, nullableColumns, OWN_PROJECT_ONLY, sameNameColumns, type TableSpec, STANDARD_COLUMNS } from './table-list.js';

/** Device owner of floating-IP ports. */
export const FLOATING_IP_OWNER = 'network:floatingip';

/** A row of floatingips. */
export interface FloatingIpRow {
  id: string;
  project_id: string;
  description: string;
  floating_network_id: string;
  floating_port_id: string;
  floating_ip_address: string;
  port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
  status: 'ACTIVE' | 'DOWN';
  revision_number: number;
  created_at: string;
  updated_at: string;
}

/** Listing spec: non-admins see their project's floating IPs. */
export const FLOATING_IP_TABLE: TableSpec = {
  table: 'floatingips',
  tagType: 'floatingips',
  columns: {
    ...STANDARD_COLUMNS,
    ...sameNameColumns('string', 'floating_network_id', 'floating_ip_address', 'status'),
    ...nullableColumns('string', 'port_id', 'fixed_ip_address', 'router_id'),
  },
  visibility: OWN_PROJECT_ONLY,
  notFound: (id) => new FloatingIPNotFound(`Floating IP ${id} could not be found`),
};

/** The associated ports of floating IPs by port id, read in chunked queries. */
async function associatedPorts(q: Queryable, rows: FloatingIpRow[]): Promise<Map<string, FloatingIpPortDetails>> {
  const ids = [...new Set(rows.map((r) => r.port_id).filter((id): id is string => id !== null))];
  const out = new Map<string, FloatingIpPortDetails>();
  for (const chunk of chunks(ids, 500)) {
    const ports = await q.all<PortRow>(`SELECT * FROM ports WHERE id IN (${chunk.map(() => '?').join(',')})`, chunk);
    for (const p of ports) {
      const { name, network_id, mac_address, status, device_id, device_owner } = p;
      out.set(p.id, { name, network_id, mac_address, admin_state_up: p.admin_state_up === 1, status, device_id, device_owner });
    }
  }
  return out;
}

async function hydrate(q: Queryable, rows: FloatingIpRow[]): Promise<FloatingIp[]> {
  const tags = await loadTags(q, 'floatingips', rows.map((r) => r.id));
  const ports = await associatedPorts(q, rows);
  return rows.map((r) => ({
    id: r.id,
    project_id: r.project_id,
    tenant_id: r.project_id,
    description: r.description,
    floating_network_id: r.floating_network_id,
    floating_ip_address: r.floating_ip_address,
    port_id: r.port_id,
    fixed_ip_address: r.fixed_ip_address,
    router_id: r.router_id,
    status: r.status,
    dns_domain: '',
    dns_name: '',
    port_forwardings: [],
    port_details: r.port_id === null ? null : (ports.get(r.port_id) ?? null),
    tags: tags.get(r.id) ?? [],
    revision_number: Number(r.revision_number),
    created_at: r.created_at,
    updated_at: r.updated_at,
  }));
}

interface Association {
  port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
}

/** Resolves which fixed IP and router a floating IP on `networkId` would serve for `portId`. */
async function associationFor(tx: Queryable, ctx: RequestContext, fip: { id: string; project_id: string; floating_network_id: string }, portId: string | null | undefined, fixedIp: string | null | undefined): Promise<Association> {
  if (portId === null || portId === undefined) return { port_id: null, fixed_ip_address: null, router_id: null };
  const port = await getVisibleRow<PortRow>(tx, PORT_TABLE, ctx, portId);
  if (!ctx.isAdmin && port.project_id !== fip.project_id) assertOwner(ctx, port.project_id, 'update', 'floatingip', fip.id);
  if (port.device_owner.startsWith('network:')) {
    throw new NeutronBadRequest(`Bad floatingip request: Port ${port.id} has owner ${port.device_owner} and therefore cannot be associated with a floating IP`);
  }
  const ips = await tx.all<{ subnet_id: string; ip_address: string; cidr: string }>(
    'SELECT a.subnet_id, a.ip_address, s.cidr FROM ip_allocations a JOIN subnets s ON s.id = a.subnet_id WHERE a.port_id = ? ORDER BY a.position',
    [port.id],
  );
  const v4 = ips.filter((ip) => parseIp(ip.ip_address)?.version === 4);
  let chosen: (typeof ips)[number] | undefined;
  if (fixedIp !== undefined && fixedIp !== null) {
    chosen = ips.find((ip) => ip.ip_address === fixedIp);
    if (!chosen) throw new NeutronBadRequest(`Bad floatingip request: Port ${port.id} does not have fixed ip ${fixedIp}`);
  } else {
    if (v4.length > 1) throw new NeutronBadRequest(`Bad floatingip request: Port ${port.id} has multiple fixed IPv4 addresses. Must provide a specific IPv4 address`);
    chosen = v4[0];
    if (!chosen) throw new NeutronBadRequest(`Bad floatingip request: Port ${port.id} has no fixed IPv4 address`);
  }
  const routers = await tx.all<{ id: string; cidr: string }>(
    `SELECT r.id, s.cidr FROM routers r
       JOIN ports p ON p.device_id = r.id AND p.device_owner = ?
       JOIN ip_allocations a ON a.port_id = p.id JOIN subnets s ON s.id = a.subnet_id
      WHERE r.gw_network_id = ? AND s.network_id = ? ORDER BY r.created_at, r.id`,
    [ROUTER_INTERFACE_OWNER, fip.floating_network_id, port.network_id],
  );
  const addr = parseIp(chosen.ip_address);
  const router = routers.find((r) => {
    const cidr = parseCidr(r.cidr, false);
    return addr !== undefined && typeof cidr !== 'string' && cidrContains(cidr, addr);
  });
  if (!router) {
    throw new ExternalGatewayForFloatingIPNotFound(
      `External network ${fip.floating_network_id} is not reachable from subnet ${chosen.subnet_id}. Therefore, cannot associate port ${port.id} with a floating IP.`,
    );
  }
  const taken = await tx.get<{ id: string }>('SELECT id FROM floatingips WHERE port_id = ? AND fixed_ip_address = ? AND id <> ?', [port.id, chosen.ip_address, fip.id]);
  if (taken) {
    throw new FloatingIPPortAlreadyAssociated(`Cannot associate floating IP ${fip.id} with port ${port.id} using fixed IP ${chosen.ip_address}, as that fixed IP already has floating IP ${taken.id}.`);
  }
  return { port_id: port.id, fixed_ip_address: chosen.ip_address, router_id: router.id };
}

/** The floating-IP service. */
export type FloatingIpService = CollectionService<FloatingIp, FloatingIpCreate, FloatingIpUpdate>;

async function insertFloatingIp(tx: Queryable, ctx: RequestContext, body: FloatingIpCreate, config: ServerConfig): Promise<string> {
  if (!ctx.isAdmin && body.floating_ip_address !== undefined) {
    throw new PolicyNotAuthorized('(rule:create_floatingip:floating_ip_address) is disallowed by policy: only admins may choose the address');
  }
  const projectId = owningProject(ctx, body);
  const network = await getVisibleRow<NetworkRow>(tx, NETWORK_TABLE, ctx, body.floating_network_id);
  if (network.router_external !== 1) throw new NeutronBadRequest(`Bad floatingip request: Network ${network.id} is not a valid external network`);
  await checkQuota(tx, config.quotaDefaults, projectId, 'floatingip', 1);
  const id = newId();
  const fixed = body.floating_ip_address !== undefined || body.subnet_id !== undefined
    ? [{ ...(body.subnet_id !== undefined ? { subnet_id: body.subnet_id } : {}), ...(body.floating_ip_address !== undefined ? { ip_address: body.floating_ip_address } : {}) }]
    : undefined;
  const port = await insertPort(
    tx,
    adminContext(projectId),
    { network_id: network.id, name: '', device_owner: FLOATING_IP_OWNER, device_id: id, fixed_ips: fixed, security_groups: [], port_security_enabled: false },
    config,
    { projectId: '', trusted: true },
  );
  const address = port.fixed_ips
    .map((r) => r.ip_address)
    .find((ip) => parseIp(ip)?.version === 4);
  if (!address) throw new NeutronBadRequest(`Bad floatingip request: Network ${network.id} has no IPv4 subnet to allocate a floating IP from`);
  const assoc = await associationFor(tx, ctx, { id, project_id: projectId, floating_network_id: network.id }, body.port_id, body.fixed_ip_address);
  const now = timestamp();
  await tx.run(
    `INSERT INTO floatingips (id, project_id, description, floating_network_id, floating_port_id, floating_ip_address, port_id,
       fixed_ip_address, router_id, status, revision_number, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'DOWN', 0, ?, ?)`,
    [id, projectId, body.description ?? '', network.id, port.id, address, assoc.port_id, assoc.fixed_ip_address, assoc.router_id, now, now],
  );
  if (body.tags?.length) await replaceTags(tx, 'floatingips', id, body.tags);
  await appendChange(tx, 'floatingip', id, 'create');
  return id;
}

/** Builds the floating-IP service. */
export function createFloatingIpService(store: Store, config: ServerConfig): FloatingIpService {
  const reader = collectionReader<FloatingIpRow, FloatingIp>(store, FLOATING_IP_TABLE, (q, _ctx, rows) => hydrate(q, rows));
  return {
    createMany: bulkCreate(store, reader, (tx, ctx, body: FloatingIpCreate) => insertFloatingIp(tx, ctx, body, config)),
    get: reader.get,
    list: reader.list,
    update: (ctx, id, body, ifRevision) =>
      store.write(async (tx) => {
        const row = await writableRow<FloatingIpRow>(tx, FLOATING_IP_TABLE, ctx, 'floatingip', id, 'update', ifRevision);
        const assoc = body.port_id === undefined
          ? { port_id: row.port_id, fixed_ip_address: row.fixed_ip_address, router_id: row.router_id }
          : await associationFor(tx, ctx, row, body.port_id, body.fixed_ip_address);
        // A new association is DOWN until the port's host has programmed it (the data plane writes ACTIVE then).
        const same = assoc.port_id === row.port_id && assoc.fixed_ip_address === row.fixed_ip_address && assoc.router_id === row.router_id;
        await tx.run(
          `UPDATE floatingips SET description = ?, port_id = ?, fixed_ip_address = ?, router_id = ?, status = ?,
             revision_number = revision_number + 1, updated_at = ? WHERE id = ?`,
          [body.description ?? row.description, assoc.port_id, assoc.fixed_ip_address, assoc.router_id, same ? row.status : 'DOWN', timestamp(), id],
        );
        await appendChange(tx, 'floatingip', id, 'update');
        return reader.readOne(tx, ctx, id);
      }),
    delete: (ctx, id, ifRevision) =>
      store.write(async (tx) => {
        await writableRow<FloatingIpRow>(tx, FLOATING_IP_TABLE, ctx, 'floatingip', id, 'delete', ifRevision);
        await deleteFloatingIpRow(tx, id);
      }),
  };
}
