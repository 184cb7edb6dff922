/**
 * Multiple port bindings (Neutron's `binding-extended`), what Nova's live migration drives: a port keeps
 * its ACTIVE binding in its own row (`binding:host_id` and friends, what the data plane programs) and any
 * number of INACTIVE bindings in `port_bindings`, one per host. Activating an inactive binding swaps it with
 * the active one in one transaction (the old one stays INACTIVE until Nova deletes it); the outbox record of
 * that swap moves the port to the destination host, its status goes DOWN until that host acks it, and the
 * events to Nova then say network-vif-plugged for the destination. The destination host programs the port
 * as soon as its inactive binding exists (the data plane compiles it there without taking it as bound),
 * so the guest's interface works there the moment it appears. All operations are admin-only.
 */
import type { RequestContext } from '../domain/context.js';
import {
  BadRequest,
  PolicyNotAuthorized,
  PortBindingAlreadyActive,
  PortBindingAlreadyExists,
  PortBindingError,
  PortBindingNotFound,
} from '../domain/errors.js';
import { appendChange } from '../store/outbox.js';
import type { Queryable, Store } from '../store/store.js';
import { bindingVifType, DEFAULT_DATAPATH_TYPE, hostDatapathTypes, vifDetails } from './port-binding.js';
import { floatingIpsOfPortDown } from './port-rows.js';
import { PORT_TABLE, type PortRow } from './ports.js';
import { timestamp } from './standard-attributes.js';
import { getVisibleRow } from './table-list.js';

/** One binding of a port as the API shows it. */
export interface PortBinding {
  host: string;
  vif_type: string;
  vnic_type: string;
  status: 'ACTIVE' | 'INACTIVE';
  profile: Record<string, unknown>;
  vif_details: Record<string, unknown>;
}

/** Body of POST /ports/{id}/bindings. */
export interface PortBindingCreate {
  host: string;
  vnic_type?: string;
  profile?: Record<string, unknown>;
}

/** Filters of GET /ports/{id}/bindings. */
export type PortBindingFilters = Partial<Record<'host' | 'vif_type' | 'vnic_type' | 'status', string>>;

interface BindingRow {
  host: string;
  vnic_type: string;
  profile: string;
  vif_type: string;
}

/** Operations of the bindings sub-resource. */
export interface PortBindingService {
  list(ctx: RequestContext, portId: string, filters: PortBindingFilters): Promise<PortBinding[]>;
  get(ctx: RequestContext, portId: string, host: string): Promise<PortBinding>;
  create(ctx: RequestContext, portId: string, body: PortBindingCreate): Promise<PortBinding>;
  activate(ctx: RequestContext, portId: string, host: string): Promise<PortBinding>;
  delete(ctx: RequestContext, portId: string, host: string): Promise<void>;
}

async function adminPort(q: Queryable, ctx: RequestContext, portId: string, action: string): Promise<PortRow> {
  if (!ctx.isAdmin) throw new PolicyNotAuthorized(`rule:${action}_port_binding is disallowed by policy`);
  return getVisibleRow<PortRow>(q, PORT_TABLE, ctx, portId);
}

const activeOf = (p: PortRow): BindingRow => ({ host: p.binding_host_id, vnic_type: p.binding_vnic_type, profile: p.binding_profile, vif_type: p.binding_vif_type });

async function present(q: Queryable, rows: { row: BindingRow; status: PortBinding['status'] }[]): Promise<PortBinding[]> {
  const datapaths = await hostDatapathTypes(q, rows.map((r) => r.row.host));
  return rows.map(({ row, status }) => ({
    host: row.host,
    vif_type: row.vif_type,
    vnic_type: row.vnic_type,
    status,
    profile: JSON.parse(row.profile) as Record<string, unknown>,
    vif_details: vifDetails(row.vif_type, datapaths.get(row.host) ?? DEFAULT_DATAPATH_TYPE),
  }));
}

async function inactiveBindings(q: Queryable, portId: string): Promise<BindingRow[]> {
  return q.all<BindingRow>('SELECT host, vnic_type, profile, vif_type FROM port_bindings WHERE port_id = ? ORDER BY host', [portId]);
}

/** Binds now, or throws PortBindingError as Neutron does when no mechanism driver can bind. */
async function bind(q: Queryable, portId: string, host: string, vnicType: string): Promise<string> {
  const port = await q.get<{ network_id: string }>('SELECT network_id FROM ports WHERE id = ?', [portId]);
  const vifType = await bindingVifType(q, host, vnicType, port?.network_id ?? '');
  if (vifType !== 'ovs') {
    throw new PortBindingError(
      `Binding for port ${portId} on host ${host} could not be created or updated: no live Alcor agent on the host, vnic_type ${vnicType} is not served, or the host does not map the network's physical network.`,
    );
  }
  return vifType;
}

/** Builds the bindings service over a store. */
export function createPortBindingService(store: Store): PortBindingService {
  return {
    list: (ctx, portId, filters) =>
      store.read(async (q) => {
        const port = await adminPort(q, ctx, portId, 'get');
        const rows = [
          ...(port.binding_host_id ? [{ row: activeOf(port), status: 'ACTIVE' as const }] : []),
          ...(await inactiveBindings(q, portId)).map((row) => ({ row, status: 'INACTIVE' as const })),
        ];
        const all = await present(q, rows);
        return all.filter((b) => Object.entries(filters).every(([k, v]) => v === undefined || String(b[k as keyof PortBindingFilters]) === v));
      }),

    get: (ctx, portId, host) =>
      store.read(async (q) => {
        const port = await adminPort(q, ctx, portId, 'get');
        if (host !== '' && port.binding_host_id === host) return (await present(q, [{ row: activeOf(port), status: 'ACTIVE' }]))[0] as PortBinding;
        const row = (await inactiveBindings(q, portId)).find((r) => r.host === host);
        if (!row) throw new PortBindingNotFound(`Binding for port ${portId} for host ${host} could not be found.`);
        return (await present(q, [{ row, status: 'INACTIVE' }]))[0] as PortBinding;
      }),

    create: (ctx, portId, body) =>
      store.write(async (tx) => {
        const port = await adminPort(tx, ctx, portId, 'create');
        if (!port.device_owner.startsWith('compute:')) throw new BadRequest(`Invalid port ${portId}. Operation only valid on compute ports`);
        const inactive = await inactiveBindings(tx, portId);
        if (port.binding_host_id === body.host || inactive.some((r) => r.host === body.host)) {
          throw new PortBindingAlreadyExists(`Binding for port ${portId} on host ${body.host} already exists.`);
        }
        const row: BindingRow = {
          host: body.host,
          vnic_type: body.vnic_type ?? 'normal',
          profile: JSON.stringify(body.profile ?? {}),
          vif_type: await bind(tx, portId, body.host, body.vnic_type ?? 'normal'),
        };
        if (port.binding_host_id === '') {
          // A port without an active binding takes the new one as its active binding, as in Neutron.
          await setActive(tx, port, row);
          return (await present(tx, [{ row, status: 'ACTIVE' }]))[0] as PortBinding;
        }
        await tx.run('INSERT INTO port_bindings (port_id, host, vnic_type, profile, vif_type, prepared, created_at) VALUES (?, ?, ?, ?, ?, 1, ?)', [
          portId, row.host, row.vnic_type, row.profile, row.vif_type, timestamp(),
        ]);
        // The destination host programs the port ahead of activation.
        await appendChange(tx, 'port', portId, 'update');
        return (await present(tx, [{ row, status: 'INACTIVE' }]))[0] as PortBinding;
      }),

    activate: (ctx, portId, host) =>
      store.write(async (tx) => {
        const port = await adminPort(tx, ctx, portId, 'activate');
        if (port.binding_host_id === host) throw new PortBindingAlreadyActive(`Binding for port ${portId} for host ${host} is already active.`);
        const target = (await inactiveBindings(tx, portId)).find((r) => r.host === host);
        if (!target) throw new PortBindingNotFound(`Binding for port ${portId} for host ${host} could not be found.`);
        // The destination's agent may have gone since the binding was made: bind again, as Neutron does.
        const row = { ...target, vif_type: await bind(tx, portId, host, target.vnic_type) };
        await tx.run('DELETE FROM port_bindings WHERE port_id = ? AND host = ?', [portId, host]);
        if (port.binding_host_id !== '') {
          const old = activeOf(port);
          // The former binding stays until Nova deletes it, but is not programmed: its host no longer serves the port.
          await tx.run('INSERT INTO port_bindings (port_id, host, vnic_type, profile, vif_type, prepared, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)', [
            portId, old.host, old.vnic_type, old.profile, old.vif_type, timestamp(),
          ]);
        }
        await setActive(tx, port, row);
        return (await present(tx, [{ row, status: 'ACTIVE' }]))[0] as PortBinding;
      }),

    delete: (ctx, portId, host) =>
      store.write(async (tx) => {
        await adminPort(tx, ctx, portId, 'delete');
        // Only an inactive binding can be deleted; the active one goes with the port (or by unbinding it).
        const removed = await tx.run('DELETE FROM port_bindings WHERE port_id = ? AND host = ?', [portId, host]);
        if (removed === 0) throw new PortBindingNotFound(`Binding for port ${portId} for host ${host} could not be found.`);
        await appendChange(tx, 'port', portId, 'update');
      }),
  };
}

/** Makes `row` the port's active binding: the data plane moves the port there, DOWN until that host acks it. */
async function setActive(tx: Queryable, port: PortRow, row: BindingRow): Promise<void> {
  await tx.run(
    `UPDATE ports SET binding_host_id = ?, binding_vnic_type = ?, binding_profile = ?, binding_vif_type = ?, status = 'DOWN',
       revision_number = revision_number + 1, updated_at = ? WHERE id = ?`,
    [row.host, row.vnic_type, row.profile, row.vif_type, timestamp(), port.id],
  );
  if (row.host !== port.binding_host_id) await floatingIpsOfPortDown(tx, port.id);
  await appendChange(tx, 'port', port.id, 'update');
}
