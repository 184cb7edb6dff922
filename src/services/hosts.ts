/**
 * Host registry: every agent registers its host (and its availability zone) when it opens a southbound
 * stream. Exposed as Neutron's `GET /v2.0/agents` to admins, as Neutron's default policy does: members list
 * none and may not show one. A host row is the binding target of ports (`binding:host_id` = `host`);
 * registering a host or changing its datapath IP appends a `host` outbox record so the data-plane manager
 * reprograms that host and its ports' neighbors.
 */
import type { RequestContext } from '../domain/context.js';
import { AgentNotFound, PolicyNotAuthorized } from '../domain/errors.js';
import type { ListPage, ListQuery } from '../domain/list-query.js';
import { appendChange } from '../store/outbox.js';
import type { Store } from '../store/store.js';
import { scheduleGateways } from './gateway-scheduler.js';
import { newId, timestamp } from './standard-attributes.js';
import { getVisibleRow, listRows, sameNameColumns, type TableSpec } from './table-list.js';

/** A row of the hosts table. */
export interface HostRow {
  id: string;
  host: string;
  datapath_ip: string;
  capabilities: string;
  agent_version: string;
  availability_zone: string;
  datapath_type: string;
  bridge_mappings: string;
  connected: number;
  controller_id: string;
  applied_revision: number;
  heartbeat_at: string;
  started_at: string;
  created_at: string;
}

/** A host as Neutron's agent resource. */
export interface Agent {
  id: string;
  agent_type: string;
  binary: string;
  host: string;
  topic: string;
  alive: boolean;
  admin_state_up: boolean;
  availability_zone: string | null;
  description: string;
  heartbeat_timestamp: string;
  started_at: string;
  created_at: string;
  configurations: Record<string, unknown>;
}

/** What an agent tells the controller about itself on connect. */
export interface HostRegistration {
  host: string;
  datapathIp: string;
  capabilities: readonly string[];
  agentVersion: string;
  /** The zone the host is in ('' = Neutron's default zone, `nova`). */
  availabilityZone: string;
  /** Datapath type of the host's integration bridge ('' when the agent does not report it). */
  datapathType?: string;
  /** Bridge mappings `physnet:bridge` (Neutron's bridge_mappings); malformed items are ignored. */
  bridgeMappings?: readonly string[];
  controllerId: string;
}

/** The zone of hosts that name none, as Neutron's default. */
export const DEFAULT_AVAILABILITY_ZONE = 'nova';

const HOST_TABLE: TableSpec = {
  table: 'hosts',
  columns: {
    ...sameNameColumns('string', 'id', 'host', 'availability_zone', 'created_at'),
    alive: { column: 'connected', kind: 'bool' },
    heartbeat_timestamp: { column: 'heartbeat_at', kind: 'string' },
  },
  virtualFilters: {
    agent_type: (values) => ({ sql: values.includes(AGENT_TYPE) ? '1 = 1' : '1 = 0', params: [] }),
    binary: (values) => ({ sql: values.includes('alcor-agent') ? '1 = 1' : '1 = 0', params: [] }),
  },
  // Neutron's policy filters lists: a non-admin lists no agents (and may not show one).
  visibility: (ctx) => (ctx.isAdmin ? undefined : { sql: '1 = 0', params: [] }),
  notFound: (id) => new AgentNotFound(`Agent ${id} could not be found.`),
};

const AGENT_TYPE = 'Alcor agent';

/** Per-host facts only this replica's memory holds (e.g. VPC revisions acked on the bus). */
export type LiveConfiguration = (host: string) => Record<string, unknown> | undefined;

function toAgent(row: HostRow, live: LiveConfiguration | undefined): Agent {
  let capabilities: unknown = [];
  try {
    capabilities = JSON.parse(row.capabilities);
  } catch {
    capabilities = [];
  }
  return {
    id: row.id,
    agent_type: AGENT_TYPE,
    binary: 'alcor-agent',
    host: row.host,
    topic: 'alcor.gs',
    alive: row.connected === 1,
    admin_state_up: true,
    availability_zone: row.availability_zone,
    description: '',
    heartbeat_timestamp: row.heartbeat_at,
    started_at: row.started_at,
    created_at: row.created_at,
    configurations: {
      datapath_ip: row.datapath_ip,
      capabilities,
      agent_version: row.agent_version,
      datapath_type: row.datapath_type,
      bridge_mappings: parseObject(row.bridge_mappings),
      applied_revision: Number(row.applied_revision),
      controller_id: row.controller_id,
      ...live?.(row.host),
    },
  };
}

function parseObject(text: string): Record<string, string> {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** `physnet:bridge` items as the stored JSON object (the first bridge of a physnet wins). */
function mappingsJson(items: readonly string[] | undefined): string {
  const out: Record<string, string> = {};
  for (const item of items ?? []) {
    const m = /^([\w.-]{1,64}):([\w.-]{1,15})$/.exec(item);
    if (m && !(m[1]! in out)) out[m[1]!] = m[2]!;
  }
  return JSON.stringify(out);
}

function assertAdmin(ctx: RequestContext): void {
  if (!ctx.isAdmin) throw new PolicyNotAuthorized('rule:get_agent is disallowed by policy');
}

/** Host registry operations for the API and the southbound. */
export interface HostService {
  /** Neutron agent list (empty for non-admins). */
  list(ctx: RequestContext, query: ListQuery): Promise<ListPage<Agent>>;
  /** One agent by its agent id (admin only). */
  get(ctx: RequestContext, id: string): Promise<Agent>;
  /** Records a connecting agent; returns true when the data plane must reprogram the host. */
  register(registration: HostRegistration): Promise<boolean>;
  /** Another host registered with this datapath address, if any (a host may not take over another's tunnel endpoint). */
  datapathHolder(datapathIp: string, host: string): Promise<string | undefined>;
  /** Marks a host's stream closed (only if this controller still holds it). */
  disconnect(host: string, controllerId: string): Promise<void>;
  /** Stores heartbeats and applied revisions of connected hosts in one transaction. */
  recordHeartbeats(beats: ReadonlyMap<string, number>, controllerId: string): Promise<void>;
  /** Marks hosts whose last heartbeat is older than `cutoff` as disconnected (start-up, failed replicas). */
  disconnectStale(cutoff: Date): Promise<void>;
  /** Adds live facts to every agent's `configurations` (the southbound registers its bus acks). */
  setLiveConfiguration(live: LiveConfiguration): void;
}

/** Builds the host registry over a store. */
export function createHostService(store: Store): HostService {
  let live: LiveConfiguration | undefined;
  return {
    async list(ctx, query) {
      const { rows, hasMore } = await store.read((q) => listRows<HostRow>(q, HOST_TABLE, ctx, query));
      return { items: rows.map((r) => toAgent(r, live)), hasMore };
    },
    async get(ctx, id) {
      assertAdmin(ctx);
      return toAgent(await store.read((q) => getVisibleRow<HostRow>(q, HOST_TABLE, ctx, id)), live);
    },
    register(r) {
      return store.write(async (tx) => {
        const now = timestamp();
        const existing = await tx.get<HostRow>('SELECT * FROM hosts WHERE host = ?', [r.host]);
        const capabilities = JSON.stringify([...r.capabilities]);
        const zone = r.availabilityZone === '' ? DEFAULT_AVAILABILITY_ZONE : r.availabilityZone;
        const mappings = mappingsJson(r.bridgeMappings);
        if (!existing) {
          await tx.run(
            `INSERT INTO hosts (id, host, datapath_ip, capabilities, agent_version, availability_zone, datapath_type, bridge_mappings, connected,
              controller_id, applied_revision, heartbeat_at, started_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, 0, ?, ?, ?)`,
            [newId(), r.host, r.datapathIp, capabilities, r.agentVersion, zone, r.datapathType ?? '', mappings, r.controllerId, now, now, now],
          );
          await appendChange(tx, 'host', r.host, 'create');
          await scheduleGateways(tx);
          return true;
        }
        await tx.run(
          `UPDATE hosts SET datapath_ip = ?, capabilities = ?, agent_version = ?, availability_zone = ?, datapath_type = ?, bridge_mappings = ?,
            connected = 1, controller_id = ?, heartbeat_at = ?, started_at = ? WHERE host = ?`,
          [r.datapathIp, capabilities, r.agentVersion, zone, r.datapathType ?? '', mappings, r.controllerId, now, now, r.host],
        );
        const moved = await scheduleGateways(tx);
        if (existing.datapath_ip === r.datapathIp && existing.bridge_mappings === mappings) return moved > 0;
        await appendChange(tx, 'host', r.host, 'update');
        return true;
      });
    },
    async datapathHolder(datapathIp, host) {
      const row = await store.read((q) => q.get<{ host: string }>('SELECT host FROM hosts WHERE datapath_ip = ? AND host <> ?', [datapathIp, host]));
      return row?.host;
    },
    async disconnect(host, controllerId) {
      await store.write(async (tx) => {
        await tx.run('UPDATE hosts SET connected = 0 WHERE host = ? AND controller_id = ?', [host, controllerId]);
        // A lost gateway host hands its router gateways to another candidate (failover).
        await scheduleGateways(tx);
      });
    },
    async recordHeartbeats(beats, controllerId) {
      if (beats.size === 0) return;
      const now = timestamp();
      await store.write(async (tx) => {
        for (const [host, revision] of beats) {
          await tx.run('UPDATE hosts SET heartbeat_at = ?, applied_revision = ? WHERE host = ? AND controller_id = ?', [
            now,
            revision,
            host,
            controllerId,
          ]);
        }
      });
    },
    setLiveConfiguration(fn) {
      live = fn;
    },
    async disconnectStale(cutoff) {
      await store.write(async (tx) => {
        await tx.run('UPDATE hosts SET connected = 0 WHERE heartbeat_at < ?', [timestamp(cutoff)]);
        await scheduleGateways(tx);
      });
    },
  };
}
