/**
 * The operator view of a running controller replica (see src/domain/operator.ts): the host registry
 * from the store, joined with what this replica holds in memory: its Watch sessions, the acks they
 * sent, where the data-plane manager programmed each port, and the compiled goal states the logical
 * trace reads.
 */
import { isIP } from 'node:net';
import { AgentNotFound, InvalidInput, PortNotFound } from '../domain/errors.js';
import type { HostView, OperatorStatus, OperatorView, PortProgrammingView, TraceRequest, TraceResult } from '../domain/operator.js';
import type { HostRow } from '../services/hosts.js';
import type { Queryable, Store } from '../store/store.js';
import { hostPacketAddresses, traceHostGoalStates } from '../dataplane/trace-source.js';
import type { Southbound } from './southbound.js';

/** Hosts listed as the slowest in `status`. */
const SLOWEST = 5;

interface PortRow {
  id: string;
  network_id: string;
  status: string;
  admin_state_up: number;
  binding_host_id: string;
  device_owner: string;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** Builds the operator view of `southbound` over `store`; `version` is the controller's release. */
export function createOperatorView(store: Store, southbound: Southbound, version: string): OperatorView {
  const { server, manager } = southbound;
  const lastAck = new Map<string, number>();
  server.ackListeners.add((host) => lastAck.set(host, Date.now()));

  const live = (host: string): HostView['live'] => {
    const session = server.sessions.get(host);
    if (!session || session.state === 'hello-wait' || session.state === 'closed') return null;
    return {
      transport: session.mq && southbound.bus ? 'grpc+nats' : 'grpc',
      sent_revision: session.sentRevision,
      acked_revision: session.ackedRevision,
      lag_revisions: Math.max(0, session.sentRevision - session.ackedRevision),
      last_ack_at: iso(lastAck.get(host)),
    };
  };

  const hostView = (row: HostRow, ports: number): HostView => ({
    host: row.host,
    alive: row.connected === 1,
    datapath_ip: row.datapath_ip,
    agent_version: row.agent_version,
    capabilities: parseList(row.capabilities),
    controller_id: row.controller_id,
    applied_revision: Number(row.applied_revision),
    heartbeat_at: row.heartbeat_at,
    started_at: row.started_at,
    ports,
    live: live(row.host),
  });

  const readHosts = (q: Queryable, host?: string) =>
    Promise.all([
      q.all<HostRow>(`SELECT * FROM hosts${host === undefined ? '' : ' WHERE host = ?'} ORDER BY host`, host === undefined ? [] : [host]),
      q.all<{ host: string; n: number }>(
        `SELECT binding_host_id AS host, COUNT(*) AS n FROM ports WHERE binding_host_id ${host === undefined ? "<> ''" : '= ?'} GROUP BY binding_host_id`,
        host === undefined ? [] : [host],
      ),
    ]).then(([rows, counts]) => {
      const bound = new Map(counts.map((c) => [c.host, Number(c.n)]));
      return rows.map((r) => hostView(r, bound.get(r.host) ?? 0));
    });

  return {
    async status(): Promise<OperatorStatus> {
      const { hosts, head } = await store.read(async (q) => ({
        hosts: await readHosts(q),
        head: Number((await q.get<{ r: number | null }>('SELECT MAX(revision) AS r FROM changes'))?.r ?? 0),
      }));
      const replicas = new Map<string, number>([[server.controllerId, 0]]);
      for (const h of hosts) if (h.alive) replicas.set(h.controller_id, (replicas.get(h.controller_id) ?? 0) + 1);
      const slowest = hosts
        .filter((h) => h.live !== null)
        .sort((a, b) => (b.live?.lag_revisions ?? 0) - (a.live?.lag_revisions ?? 0) || (a.live?.last_ack_at ?? '').localeCompare(b.live?.last_ack_at ?? ''))
        .slice(0, SLOWEST);
      const alive = hosts.filter((h) => h.alive).length;
      return {
        version,
        controller_id: server.controllerId,
        store: { engine: store.engine },
        outbox: { head_revision: head, compiled_revision: manager.revision },
        replicas: [...replicas].map(([id, n]) => ({ controller_id: id, hosts: n, this: id === server.controllerId })),
        hosts: { total: hosts.length, alive, lost: hosts.length - alive },
        slowest_hosts: slowest,
      };
    },

    hosts: () => store.read((q) => readHosts(q)),

    async host(name) {
      const [view] = await store.read((q) => readHosts(q, name));
      if (!view) throw new AgentNotFound(`Host ${name} could not be found.`);
      return view;
    },

    async port(id) {
      const { row, host, committedAt } = await store.read(async (q) => {
        const row = await q.get<PortRow>('SELECT id, network_id, status, admin_state_up, binding_host_id, device_owner FROM ports WHERE id = ?', [id]);
        const host = row?.binding_host_id ? await q.get<HostRow>('SELECT * FROM hosts WHERE host = ?', [row.binding_host_id]) : undefined;
        const revision = manager.portStatus.describe(id)?.programmedRevision;
        const change = revision === undefined ? undefined : await q.get<{ created_at: string }>('SELECT created_at FROM changes WHERE revision = ?', [revision]);
        return { row, host, committedAt: change?.created_at };
      });
      if (!row) throw new PortNotFound(`Port ${id} could not be found.`);
      const p = manager.portStatus.describe(id);
      const committedMs = committedAt === undefined ? undefined : Date.parse(committedAt);
      const view: PortProgrammingView = {
        id: row.id,
        network_id: row.network_id,
        status: row.status,
        admin_state_up: row.admin_state_up === 1,
        binding_host_id: row.binding_host_id,
        device_owner: row.device_owner,
        programmed: p
          ? {
              host: p.host,
              revision: p.programmedRevision,
              committed_at: committedAt ?? null,
              host_acked_revision: p.hostAckedRevision ?? null,
              sent_at: iso(p.sentAt),
              active_at: iso(p.activeAt),
              commit_to_active_ms: p.activeAt !== undefined && committedMs !== undefined ? Math.max(0, p.activeAt - committedMs) : null,
              waiting_for_interface: p.waiting,
              failed: p.failed,
            }
          : null,
        reason: null,
      };
      view.reason = row.status === 'ACTIVE' ? null : whyNotActive(view, host, server.controllerId, manager.revision);
      return view;
    },

    async trace(request: TraceRequest): Promise<TraceResult> {
      if (isIP(request.to) === 0) throw new InvalidInput(`"${request.to}" is not an IP address.`);
      if (request.proto !== 'icmp' && request.dport === undefined) throw new InvalidInput(`A ${request.proto} trace needs a destination port (dport).`);
      const row = await store.read((q) => q.get<{ binding_host_id: string }>('SELECT binding_host_id FROM ports WHERE id = ?', [request.from_port]));
      if (!row) throw new PortNotFound(`Port ${request.from_port} could not be found.`);
      if (!row.binding_host_id) throw new InvalidInput(`Port ${request.from_port} is not bound to a host (binding:host_id is empty): it is programmed nowhere, so there is no goal state to trace.`);
      const result = traceHostGoalStates(manager, row.binding_host_id, request);
      if (!request.on_host) return result;
      const packet = hostPacketAddresses(manager, row.binding_host_id, request);
      const onHost = await server.traces.request(row.binding_host_id, { ...packet, portId: request.from_port, protocol: request.proto, destinationPort: request.dport ?? 0 });
      return { ...result, on_host: onHost };
    },

    async events(limit) {
      return southbound.events.entries
        .slice(-limit)
        .reverse()
        .map((e) => ({ at: new Date(e.at).toISOString(), level: e.level, message: e.message, host: e.host, details: e.details }));
    },

    async programming() {
      const recent = manager.portStatus.recent;
      const sorted = recent.map((r) => r.ms).sort((a, b) => a - b);
      // Nearest rank: the smallest sample with at least q of the samples at or below it.
      const at = (q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? null;
      return {
        count: sorted.length,
        p50_ms: at(0.5),
        p90_ms: at(0.9),
        p99_ms: at(0.99),
        max_ms: sorted.at(-1) ?? null,
        recent: recent.map((r) => ({ port: r.port, host: r.host, at: new Date(r.at).toISOString(), ms: r.ms })),
      };
    },
  };
}

/** The first reason, in pipeline order, that keeps a port from ACTIVE. */
function whyNotActive(view: PortProgrammingView, host: HostRow | undefined, controllerId: string, compiled: number): string {
  if (!view.binding_host_id) return 'not bound to a host (binding:host_id is empty): ports are programmed only on their host';
  if (!host) return `bound to host ${view.binding_host_id}, where no agent has ever connected`;
  if (host.connected !== 1) return `the agent of host ${host.host} is not connected (last heartbeat ${host.heartbeat_at})`;
  if (host.controller_id !== controllerId) return `host ${host.host} is connected to controller replica ${host.controller_id}: ask that replica for its acks`;
  const p = view.programmed;
  if (!p) return `not compiled yet: this replica has compiled up to revision ${compiled}`;
  if (p.failed) return `the agent of host ${p.host} reported that it could not apply the port's state of revision ${p.revision}`;
  if (p.host_acked_revision === null || p.host_acked_revision < p.revision) {
    return `waiting for host ${p.host} to ack revision ${p.revision} (acked ${p.host_acked_revision ?? 'nothing yet'})`;
  }
  if (p.waiting_for_interface) return `host ${p.host} holds the port but its VM interface is not plugged (no interface with external_ids:iface-id=${view.id})`;
  if (!view.admin_state_up) return 'administratively down (admin_state_up is false)';
  return `acked by host ${p.host}; the status write is pending`;
}

function parseList(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.map(String) : [];
  } catch {
    return [];
  }
}
