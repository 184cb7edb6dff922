/**
 * The southbound's instruments: goal-state traffic by transport, bus publish failures, and, read from the
 * live sessions at scrape time, connected hosts and each host's acked revision and lag.
 */
import { Counter, Gauge } from 'prom-client';
import { LiveSet, metricsRegistry } from '../metrics/registry.js';
import type { SouthboundServer } from './grpc-server.js';

const sentBytes = new Counter({
  name: 'alcor_goal_state_sent_bytes_total',
  help: 'Encoded goal-state messages (deltas and snapshot chunks) sent to agents, by transport (grpc stream or nats bus)',
  labelNames: ['transport'] as const,
  registers: [metricsRegistry],
});

const sentMessages = new Counter({
  name: 'alcor_goal_state_sent_messages_total',
  help: 'Goal-state messages sent to agents, by transport (a bus message reaches every host of its VPC)',
  labelNames: ['transport'] as const,
  registers: [metricsRegistry],
});

const grpcBytes = sentBytes.labels('grpc');
const grpcMessages = sentMessages.labels('grpc');
const natsBytes = sentBytes.labels('nats');
const natsMessages = sentMessages.labels('nats');

/** Counts one message written to an agent's Watch stream. */
export function sentOnStream(bytes: number): void {
  grpcBytes.inc(bytes);
  grpcMessages.inc();
}

/** Counts one message the bus stored. */
export function sentOnBus(bytes: number): void {
  natsBytes.inc(bytes);
  natsMessages.inc();
}

/** Counts one failed bus publish (it is retried). */
export const natsPublishFailures = new Counter({
  name: 'alcor_nats_publish_failures_total',
  help: 'Goal-state publishes to NATS JetStream that failed (each is retried with the same message id)',
  registers: [metricsRegistry],
});

/** What a scrape reads of a running southbound. */
interface WatchedSouthbound {
  server: SouthboundServer;
  /** A bus is configured: hosts with the mq capability take VPC scopes on the mq channel from it. */
  hasBus: boolean;
}

const running = new LiveSet<WatchedSouthbound>();

/** Starts reporting a southbound's sessions; returns the function that stops it (on close). */
export function watchSouthbound(server: SouthboundServer, hasBus: boolean): () => void {
  return running.add({ server, hasBus });
}

function* liveSessions() {
  for (const { server, hasBus } of running.values()) for (const session of server.sessions.values()) yield { session, hasBus };
}

new Gauge({
  name: 'alcor_hosts_connected',
  help: 'Agents with a live Watch stream to this controller, by transport: grpc counts every stream, nats those that also consume VPC scopes from the bus',
  labelNames: ['transport'] as const,
  registers: [metricsRegistry],
  collect() {
    let grpc = 0;
    let nats = 0;
    for (const { session, hasBus } of liveSessions()) {
      if (session.state === 'hello-wait' || session.state === 'closed') continue;
      grpc++;
      if (hasBus && session.mq) nats++;
    }
    this.set({ transport: 'grpc' }, grpc);
    this.set({ transport: 'nats' }, nats);
  },
});

new Gauge({
  name: 'alcor_host_acked_revision',
  help: 'Newest goal-state revision each connected host acknowledged on its Watch stream',
  labelNames: ['host'] as const,
  registers: [metricsRegistry],
  collect() {
    // Hosts that went away leave no stale series behind.
    this.reset();
    for (const { session } of liveSessions()) if (session.host) this.set({ host: session.host }, session.ackedRevision);
  },
});

new Gauge({
  name: 'alcor_host_lag_revisions',
  help: 'Revisions sent to each connected host and not yet acknowledged (0: the host has applied everything it was sent)',
  labelNames: ['host'] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const { session } of liveSessions()) if (session.host) this.set({ host: session.host }, Math.max(0, session.sentRevision - session.ackedRevision));
  },
});
