/**
 * Host registry: every agent registers its host when it opens a southbound stream. Exposed as Neutron's
 * `GET /v2.0/agents` (admin only, like Neutron's default policy). A host row is the binding target of
 * ports (`binding:host_id` = `host`); registering a host or changing its datapath IP appends a `host`
 * outbox record so the data-plane manager reprograms that host and its ports' neighbors.
 */
import type { RequestContext } from '../domain/context.js';
import { AgentNotFound, PolicyNotAuthorized } from '../domain/errors.js';
import type { ListPage, ListQuery } from '../domain/list-query.js';
import { appendChange } from '../store/outbox.js';
import type { Store } from '../store/store.js';
import { newId, timestamp } from './standard-attributes.js';
import { getVisibleRow, listRows, type TableSpec } from './table-list.js';

/** A row of the hosts table. */
export interface HostRow {
  id: string;
  host: string;
  datapath_ip: string;
  capabilities: string;
  agent_version: string;
  datapath_type: string;
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
  /** Datapath type of the host's integration bridge ('' when the agent does not report it). */
  datapathType?: string;
  controllerId: string;
}

const HOST_TABLE: TableSpec = {
  table: 'hosts',
  columns: {
    id: { column: 'id', kind: 'string' },
    host: { column: 'host', kind: 'string' },
    alive: { column: 'connected', kind: 'bool' },
    heartbeat_timestamp: { column: 'heartbeat_at', kind: 'string' },
    created_at: { column: 'created_at', kind: 'string' },
  },
  virtualFilters: {
    agent_type: (values) => ({ sql: values.includes(AGENT_TYPE) ? '1 = 1' : '1 = 0', params: [] }),
    binary: (values) => ({ sql: values.includes('alcor-agent') ? '1 = 1' : '1 = 0', params: [] }),
  },
  visibility: () => undefined,
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
    availability_zone: null,
    description: '',
    heartbeat_timestamp: row.heartbeat_at,
    started_at: row.started_at,
    created_at: row.created_at,
    configurations: {
      datapath_ip: row.datapath_ip,
      capabilities,
      agent_version: row.agent_version,
      datapath_type: row.datapath_type,
      applied_revision: Number(row.applied_revision),
      controller_id: row.controller_id,
      ...live?.(row.host),
    },
  };
}

function assertAdmin(ctx: RequestContext): void {
  if (!ctx.isAdmin) throw new PolicyNotAuthorized('rule:get_agent is disallowed by policy');
}

/** Host registry operations for the API and the southbound. */
export interface HostService {
  /** Neutron agent list (admin only). */
  list(ctx: RequestContext, query: ListQuery): Promise<ListPage<Agent>>;
  /** One agent by its agent id (admin only). */
  get(ctx: RequestContext, id: string): Promise<Agent>;
  /** Records a connecting agent; returns true when the data plane must reprogram the host. */
  register(registration: HostRegistration): Promise<boolean>;
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
      assertAdmin(ctx);
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
        if (!existing) {
          await tx.run(
            `INSERT INTO hosts (id, host, datapath_ip, capabilities, agent_version, datapath_type, connected, controller_id, applied_revision,
              heartbeat_at, started_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, 0, ?, ?, ?)`,
            [newId(), r.host, r.datapathIp, capabilities, r.agentVersion, r.datapathType ?? '', r.controllerId, now, now, now],
          );
          await appendChange(tx, 'host', r.host, 'create');
          return true;
        }
        await tx.run(
          `UPDATE hosts SET datapath_ip = ?, capabilities = ?, agent_version = ?, datapath_type = ?, connected = 1, controller_id = ?,
            heartbeat_at = ?, started_at = ? WHERE host = ?`,
          [r.datapathIp, capabilities, r.agentVersion, r.datapathType ?? '', r.controllerId, now, now, r.host],
        );
        if (existing.datapath_ip === r.datapathIp) return false;
        await appendChange(tx, 'host', r.host, 'update');
        return true;
      });
    },
    async disconnect(host, controllerId) {
      await store.write((tx) =>
        tx.run('UPDATE hosts SET connected = 0 WHERE host = ? AND controller_id = ?', [host, controllerId]),
      );
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
      await store.write((tx) => tx.run('UPDATE hosts SET connected = 0 WHERE heartbeat_at < ?', [timestamp(cutoff)]));
    },
  };
}
