/**
 * Worker of `alcor bench southbound`: runs many simulated hosts (sim-driver agents, each with its own
 * real gRPC stream and, with a bus, its own NATS subscriptions) in one process. The hosts' gRPC streams
 * share one HTTP/2 connection (grpc-js's default for channels to one address), and their subscriptions
 * one NATS connection, unless `connectionPerHost` gives each host its own connections. On a shared NATS
 * connection the server still delivers one copy of each VPC delta per host, and each host acks it.
 * Started by the benchmark with an IPC channel; it reports `ready` once every agent is connected, and
 * exits when told to (or when its parent goes away). With `recordApplied`, asked
 * `{ type: 'appliedAt', host, revision }`, it answers with the time (ms since the epoch, sub-ms,
 * comparable across processes of this machine) at which that host's agent first had applied at least
 * `revision`. Asked `{ type: 'states', host }`, it answers with `digest`, a SHA-256 of the host's desired
 * state (its raw resource states as sorted hex, comma-joined) and `count`, how many states that is, so
 * a test can compare what each host holds with what the controller would send it in a snapshot.
 *
 *   node southbound-agents.js '<WorkerOptions as JSON>'
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AgentRuntime } from '../agent/runtime.js';
import { SimDriver } from '../agent/drivers/sim.js';
import { connect } from '@nats-io/transport-node';
import type { BusLocation } from '../agent/bus-connection.js';
import { TlsFiles } from '../proto/tls-files.js';
import { hostTlsFiles, type BenchPki } from './southbound-tls.js';

/** What one worker runs. */
export interface WorkerOptions {
  /** The controller's `host:port`. */
  controller: string;
  /** Hosts are `<prefix>-<first>` … `<prefix>-<first + count - 1>`. */
  prefix: string;
  first: number;
  count: number;
  stateRoot: string;
  bus?: BusLocation;
  /** Each host dials its own gRPC and NATS connections. @default false */
  connectionPerHost?: boolean;
  /** Mutual TLS: each host presents `<dir>/<host>.crt`. @default plaintext */
  tls?: BenchPki['hosts'];
  /** Keep when each host applied each revision (for `appliedAt`). @default false */
  recordApplied?: boolean;
}

/** Revisions applied by one agent and when, newest last (bounded: the benchmark asks about recent ones). */
type AppliedLog = [revision: number, at: number][];

const APPLIED_LOG_LIMIT = 10_000;

function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Records every revision the agent applies, timed as soon as it is applied (before its ack is sent). */
async function recordApplied(agent: AgentRuntime, log: AppliedLog): Promise<void> {
  while (agent.state !== 'closed') {
    await agent.waitForRevision(agent.revision + 1);
    log.push([agent.revision, now()]);
    if (log.length > APPLIED_LOG_LIMIT) log.splice(0, log.length - APPLIED_LOG_LIMIT);
  }
}

async function appliedAt(agent: AgentRuntime, log: AppliedLog, revision: number): Promise<number> {
  await agent.waitForRevision(revision);
  // The recorder's callback was queued first, so the entry is in the log once this wait resumes.
  return log.find(([r]) => r >= revision)?.[1] ?? now();
}

/** Digest of what the agent holds (see the file comment). */
function statesDigest(states: Iterable<Uint8Array>): { digest: string; count: number } {
  const hex = [...states].map((b) => Buffer.from(b).toString('hex')).sort();
  return { digest: createHash('sha256').update(hex.join()).digest('hex'), count: hex.length };
}

async function main(): Promise<void> {
  const { controller, prefix, first, count, stateRoot, bus, tls, connectionPerHost = false, recordApplied: record = false } = JSON.parse(process.argv[2] ?? '{}') as WorkerOptions;
  const agents: AgentRuntime[] = [];
  const logs = new Map<string, { agent: AgentRuntime; log: AppliedLog }>();
  const sharedBus = bus && !connectionPerHost
    ? await connect({ servers: bus.url.split(',').map((s) => s.trim()), name: `alcor-sim-${prefix}-${first}`, maxReconnectAttempts: -1, reconnectTimeWait: 500 })
    : undefined;
  for (let i = first; i < first + count; i++) {
    const hostId = `${prefix}-${i}`;
    const stateDir = join(stateRoot, hostId);
    mkdirSync(stateDir, { recursive: true });
    // Unique underlay address per host: 10.255.x.y.
    const datapathIp = `10.${128 + ((i >> 16) & 127)}.${(i >> 8) & 255}.${i & 255}`;
    const driver = new SimDriver({ hostId, datapathIp, stateDir, options: {}, log: () => {} });
    const agent = await AgentRuntime.create({
      controller, hostId, datapathIp, driver, stateDir, heartbeatMs: 10_000, persistState: false, privateGrpcConnection: connectionPerHost,
      ...(tls ? { tls: new TlsFiles(hostTlsFiles(tls, hostId)) } : {}),
      ...(bus ? { nats: { ...bus, ...(sharedBus ? { connection: sharedBus } : {}) } } : {}),
    });
    agent.start();
    agents.push(agent);
    const log: AppliedLog = [];
    logs.set(hostId, { agent, log });
    // Off unless asked for: it costs every host a promise per revision.
    if (record) void recordApplied(agent, log);
  }
  const ready = setInterval(() => {
    if (agents.every((a) => a.state === 'ready')) {
      clearInterval(ready);
      process.send?.({ type: 'ready', count });
    }
  }, 50);
  const stop = async () => {
    clearInterval(ready);
    // What the hosts went through, summed: snapshots (including re-fetches after a bus gap) and bus consumer events.
    const totals: Record<string, number> = {};
    for (const a of agents) {
      for (const [k, v] of Object.entries({ snapshots: a.counters.snapshots, ...a.bus?.counters })) totals[k] = (totals[k] ?? 0) + v;
    }
    process.send?.({ type: 'counters', totals });
    await Promise.all(agents.map((a) => a.close().catch(() => {})));
    await sharedBus?.close().catch(() => {});
    process.exit(0);
  };
  process.on('message', (m: { type?: string; host?: string; revision?: number }) => {
    if (m?.type === 'stop') void stop();
    if (m?.type === 'states') {
      const agent = logs.get(m.host ?? '')?.agent;
      process.send?.({ type: 'states', host: m.host, ...(agent ? statesDigest(agent.desired.rawStates()) : { digest: '', count: 0 }) });
    }
    const entry = m?.type === 'appliedAt' ? logs.get(m.host ?? '') : undefined;
    if (entry) {
      const revision = m.revision ?? 0;
      void appliedAt(entry.agent, entry.log, revision).then((at) => process.send?.({ type: 'appliedAt', host: m.host, revision, at }));
    }
  });
  process.on('disconnect', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`southbound-agents: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
