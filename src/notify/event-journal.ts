/**
 * The durable side of events to Nova: turning committed port changes into queued events in one
 * transaction with the change itself (port status writes) or with the advance of a cursor over the
 * outbox (API writes). `nova_ports` holds what Nova was last told about each instance port, so deriving
 * is idempotent: running it twice for the same port, on any replica, queues nothing the second time.
 */
import type { Queryable, Store } from '../store/store.js';
import { addressSignature, isInstancePort, portEvents, type SeenPort } from './nova-event.js';

/** Ids per IN list: far below every engine's bound-parameter limit. */
const CHUNK = 500;

function* chunks<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += CHUNK) yield items.slice(i, i + CHUNK);
}

const marks = (n: number) => Array.from({ length: n }, () => '?').join(',');

interface PortRow {
  id: string;
  device_id: string;
  device_owner: string;
  binding_host_id: string;
  status: string;
  binding_vif_type: string;
}

interface SeenRow {
  port_id: string;
  server_uuid: string;
  host: string;
  status: string;
  vif_type: string;
  addresses: string;
}

/** The ports as Nova would see them now: undefined = deleted, null = not an instance port. */
async function currentPorts(q: Queryable, ids: readonly string[]): Promise<Map<string, SeenPort | null>> {
  const out = new Map<string, SeenPort | null>();
  for (const chunk of chunks(ids)) {
    const rows = await q.all<PortRow>(
      `SELECT id, device_id, device_owner, binding_host_id, status, binding_vif_type FROM ports WHERE id IN (${marks(chunk.length)})`,
      chunk,
    );
    const instancePorts = rows.filter((r) => isInstancePort(r.device_owner, r.device_id));
    const fixed = new Map<string, string[]>();
    const floating = new Map<string, string[]>();
    if (instancePorts.length > 0) {
      const ins = instancePorts.map((r) => r.id);
      for (const a of await q.all<{ port_id: string; ip_address: string; subnet_id: string }>(
        `SELECT port_id, ip_address, subnet_id FROM ip_allocations WHERE port_id IN (${marks(ins.length)})`,
        ins,
      )) {
        fixed.set(a.port_id, [...(fixed.get(a.port_id) ?? []), `${a.subnet_id} ${a.ip_address}`]);
      }
      for (const f of await q.all<{ port_id: string; id: string; floating_ip_address: string }>(
        `SELECT port_id, id, floating_ip_address FROM floatingips WHERE port_id IN (${marks(ins.length)})`,
        ins,
      )) {
        floating.set(f.port_id, [...(floating.get(f.port_id) ?? []), `${f.id} ${f.floating_ip_address}`]);
      }
    }
    for (const r of rows) {
      out.set(
        r.id,
        isInstancePort(r.device_owner, r.device_id)
          ? {
              serverUuid: r.device_id,
              host: r.binding_host_id,
              status: r.status,
              vifType: r.binding_vif_type,
              addresses: addressSignature(fixed.get(r.id) ?? [], floating.get(r.id) ?? []),
            }
          : null,
      );
    }
  }
  return out;
}

async function seenPorts(q: Queryable, ids: readonly string[]): Promise<Map<string, SeenPort>> {
  const out = new Map<string, SeenPort>();
  for (const chunk of chunks(ids)) {
    for (const r of await q.all<SeenRow>(`SELECT * FROM nova_ports WHERE port_id IN (${marks(chunk.length)})`, chunk)) {
      out.set(r.port_id, { serverUuid: r.server_uuid, host: r.host, status: r.status, vifType: r.vif_type, addresses: r.addresses });
    }
  }
  return out;
}

function sameSeen(a: SeenPort | undefined, b: SeenPort | undefined): boolean {
  return a?.serverUuid === b?.serverUuid && a?.host === b?.host && a?.status === b?.status && a?.vifType === b?.vifType && a?.addresses === b?.addresses;
}

async function remember(tx: Queryable, portId: string, now: SeenPort | undefined): Promise<void> {
  await tx.run('DELETE FROM nova_ports WHERE port_id = ?', [portId]);
  if (!now) return;
  await tx.run('INSERT INTO nova_ports (port_id, server_uuid, host, status, vif_type, addresses) VALUES (?, ?, ?, ?, ?, ?)', [
    portId,
    now.serverUuid,
    now.host,
    now.status,
    now.vifType,
    now.addresses,
  ]);
}

/**
 * Queues the events of `portIds`' changes since Nova was last told, in the caller's transaction, and
 * records what Nova is now told. With `quiet` nothing is queued (the baseline). Returns the events queued.
 */
export async function recordPortEvents(tx: Queryable, portIds: Iterable<string>, quiet = false): Promise<number> {
  const ids = [...new Set(portIds)];
  if (ids.length === 0) return 0;
  const current = await currentPorts(tx, ids);
  const seen = await seenPorts(tx, ids);
  const createdAt = new Date().toISOString();
  let queued = 0;
  for (const id of ids) {
    const now = current.get(id) ?? undefined;
    const before = seen.get(id);
    if (sameSeen(before, now)) continue;
    if (!quiet) {
      for (const e of portEvents(id, before, now, !current.has(id))) {
        await tx.run('INSERT INTO nova_events (name, server_uuid, tag, status, created_at) VALUES (?, ?, ?, ?, ?)', [
          e.name,
          e.server_uuid,
          e.tag,
          e.status ?? '',
          createdAt,
        ]);
        queued++;
      }
    }
    await remember(tx, id, now);
  }
  return queued;
}

/** Every port Nova may need to hear about: instance-owned ports and those it was told of. */
export async function trackedPortIds(q: Queryable): Promise<string[]> {
  const rows = await q.all<{ id: string }>(
    "SELECT id FROM ports WHERE device_owner LIKE 'compute:%' UNION SELECT port_id AS id FROM nova_ports",
  );
  return rows.map((r) => r.id);
}

/**
 * First start with events enabled: Nova is taken to know the present (no events for what happened
 * before), and the outbox cursor starts at the newest revision. Returns false when it was done before.
 */
export async function takeBaseline(store: Store): Promise<boolean> {
  return store.write(async (tx) => {
    if (await tx.get('SELECT revision FROM nova_cursor WHERE id = 1')) return false;
    const max = await tx.get<{ r: number | null }>('SELECT MAX(revision) AS r FROM changes');
    await tx.run('INSERT INTO nova_cursor (id, revision) VALUES (1, ?)', [Number(max?.r ?? 0)]);
    await recordPortEvents(tx, await trackedPortIds(tx), true);
    return true;
  });
}

interface ChangeRow {
  revision: number;
  resource_type: string;
  resource_id: string;
}

/** Ports a floating IP is or was associated with (Nova was told its address on them). */
async function floatingIpPorts(q: Queryable, fipId: string): Promise<string[]> {
  const now = await q.get<{ port_id: string | null }>('SELECT port_id FROM floatingips WHERE id = ?', [fipId]);
  const before = await q.all<{ port_id: string }>("SELECT port_id FROM nova_ports WHERE addresses LIKE ? ESCAPE '\\'", [`%${fipId.replace(/[\\%_]/g, '\\$&')}%`]);
  return [...(now?.port_id ? [now.port_id] : []), ...before.map((r) => r.port_id)];
}

/** Outcome of one pass over the outbox. */
export interface OutboxPass {
  /** Revision the pass read up to (this replica need not read below it again). */
  scanned: number;
  queued: number;
  /** More change records may follow. */
  more: boolean;
}

/**
 * Turns port and floating-IP change records after the cursor (and after `scanned`, what this replica
 * already found irrelevant) into events. Reads first; writes only when a record concerns ports.
 */
export async function tailOutbox(store: Store, scanned: number, limit: number): Promise<OutboxPass> {
  const select = `SELECT revision, resource_type, resource_id FROM changes WHERE revision > ? ORDER BY revision LIMIT ${limit}`;
  const relevant = (rows: ChangeRow[]) => rows.filter((r) => r.resource_type === 'port' || r.resource_type === 'floatingip');
  const peek = await store.read(async (q) => {
    const cursor = Number((await q.get<{ revision: number }>('SELECT revision FROM nova_cursor WHERE id = 1'))?.revision ?? 0);
    return q.all<ChangeRow>(select, [Math.max(cursor, scanned)]);
  });
  const last = Number(peek.at(-1)?.revision ?? scanned);
  if (relevant(peek).length === 0) return { scanned: last, queued: 0, more: peek.length === limit };
  return store.write(async (tx) => {
    // Another replica may have moved the cursor since the peek: read again under the write.
    const cursor = Number((await tx.get<{ revision: number }>('SELECT revision FROM nova_cursor WHERE id = 1'))?.revision ?? 0);
    const rows = await tx.all<ChangeRow>(select, [cursor]);
    const ports = new Set<string>();
    for (const r of relevant(rows)) {
      if (r.resource_type === 'port') ports.add(r.resource_id);
      else for (const p of await floatingIpPorts(tx, r.resource_id)) ports.add(p);
    }
    const queued = await recordPortEvents(tx, ports);
    const upTo = Number(rows.at(-1)?.revision ?? cursor);
    await tx.run('UPDATE nova_cursor SET revision = ? WHERE id = 1 AND revision < ?', [upTo, upTo]);
    return { scanned: upTo, queued, more: rows.length === limit };
  });
}
