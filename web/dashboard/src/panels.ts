/** The panels beside the topology: controller status, hosts, networks of the project, latency, events. */
import type { Snapshot } from './api.js';
import { ago, el, fill, ms, table } from './dom.js';

/** Header line: version, store, outbox and host counts. */
export function renderStatus(s: Snapshot): void {
  const st = s.status;
  fill(
    'status',
    `Alcor ${st.version} · controller ${st.controller_id} · store ${st.store.engine} · outbox head ${st.outbox.head_revision} (compiled ${st.outbox.compiled_revision}) · hosts `,
    el('span', { class: 'ok' }, `${st.hosts.alive} alive`),
    ', ',
    el('span', { class: st.hosts.lost > 0 ? 'bad' : '' }, `${st.hosts.lost} lost`),
  );
}

/** Host health: alive or lost, lag, last ack. */
export function renderHosts(s: Snapshot): void {
  fill(
    'hosts',
    table(
      ['host', 'state', 'datapath', 'ports', 'applied', 'lag', 'last ack', 'heartbeat'],
      s.hosts,
      (h) => [
        h.host,
        el('span', { class: h.alive ? 'ok' : 'bad' }, h.alive ? 'alive' : 'lost'),
        h.datapath_ip,
        h.ports,
        h.applied_revision,
        h.live ? `${h.live.lag_revisions} rev` : '–',
        h.live ? ago(h.live.last_ack_at) : '–',
        ago(h.heartbeat_at),
      ],
      (h) => ({ 'data-host': h.host, 'data-state': h.alive ? 'alive' : 'lost' }),
    ),
  );
}

/** The project's networks with their subnets, ports and the hosts those sit on. */
export function renderNetworks(s: Snapshot, project: string): void {
  const nets = s.networks.filter((n) => n.project_id === project);
  fill(
    'networks',
    table(
      ['network', 'subnets', 'ports', 'hosts'],
      nets,
      (n) => {
        const ports = s.ports.filter((p) => p.network_id === n.id);
        const hosts = [...new Set(ports.map((p) => p['binding:host_id']).filter((h) => h !== ''))].sort();
        return [n.name || n.id, s.subnets.filter((x) => x.network_id === n.id).map((x) => x.cidr).join(', '), ports.length, hosts.join(', ')];
      },
      (n) => ({ 'data-network': n.id }),
    ),
  );
}

/** Programming latency (send → ACTIVE) of the last ports, with a bar per port. */
export function renderLatency(s: Snapshot): void {
  const p = s.programming;
  const last = p.recent.slice(-40);
  const top = Math.max(1, ...last.map((r) => r.ms));
  fill(
    'latency',
    el('p', {}, `${p.count} ports · p50 ${ms(p.p50_ms)} · p90 ${ms(p.p90_ms)} · p99 ${ms(p.p99_ms)} · max ${ms(p.max_ms)}`),
    el('div', { class: 'bars' }, ...last.map((r) => el('span', { style: `height:${Math.max(2, Math.round((48 * r.ms) / top))}px`, title: `${r.port} on ${r.host}: ${r.ms} ms` }))),
  );
}

/** The southbound's recent refusals and errors. */
export function renderEvents(s: Snapshot): void {
  fill(
    'events',
    s.events.length === 0
      ? el('p', {}, 'No warnings or errors.')
      : table(['when', 'level', 'host', 'what', 'details'], s.events, (e) => [ago(e.at), el('span', { class: e.level === 'error' ? 'bad' : 'warn' }, e.level), e.host, e.message, e.details]),
  );
}
