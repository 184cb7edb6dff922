/**
 * `alcor bench southbound`: the scalability test framework for the southbound. It runs a controller
 * (Neutron API + data-plane manager + gRPC server, one SQLite store) in this process, spawns worker
 * processes with many simulated hosts each (sim-driver agents on real gRPC streams), then:
 *
 *   populate   bulk-creates a VPC of `vpcPorts` ports bound round-robin to the hosts, waits for all acks
 *   latency    `samples` single-port creates: API call → every host of the VPC acked that revision
 *   join       binds a port to one more host: API call → that host acked (a full VPC scope)
 *   agent      in-process sim-driver costs: one neighbor applied with 100 vs `bigNeighbors` installed,
 *              and a snapshot of `snapshotStates` neighbors decoded and applied, in process and
 *              end to end over a gRPC stream to an agent runtime
 *
 * and reports latency percentiles, messages/bytes/compiles per change, controller CPU and RSS.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildApiServer } from '../api/server.js';
import { compileServerOptions } from '../config.js';
import { createServices } from '../services/services.js';
import { openStore } from '../store/open-store.js';
import { notifyingStore, startSouthbound, type Southbound } from '../southbound/southbound.js';
import type { BusLocation } from '../agent/bus-connection.js';
import { spawnAgentWorker, stopAgentWorkers, type AgentWorker } from './agent-workers.js';
import { deleteStream } from '../southbound/nats-bus.js';
import { measureAgentCosts, type AgentCosts } from './southbound-agent-costs.js';
import { readProcessCpuMs } from './server-process.js';
import { round, summarize, type LatencySummary } from './stats.js';
import { makeBenchPki } from './southbound-tls.js';

/** What a run does. */
export interface SouthboundBenchOptions {
  /** Simulated hosts. @default 100 */
  hosts: number;
  /** Worker processes the hosts are spread over. @default 2 */
  processes: number;
  /** Ports in the VPC, bound round-robin to the hosts. @default 1000 */
  vpcPorts: number;
  /** Single-port creates measured. @default 50 */
  samples: number;
  /** Neighbors installed for the "apply one neighbor" measurement. @default 100000 */
  bigNeighbors: number;
  /** Neighbor states in the snapshot measurement. @default 1000000 */
  snapshotStates: number;
  /** `grpc`: every VPC delta on each host's stream; `nats`: the VPC on the mq channel, its deltas published once. @default grpc */
  transport: 'grpc' | 'nats';
  /** Agent streams the controller writes per event-loop turn (see southbound/fanout.ts). @default 64 */
  fanOutSlice: number;
  /**
   * Each simulated host dials its own gRPC and NATS connections, as hosts on separate machines do; by
   * default the hosts of a worker process share one of each (grpc-js's default for channels to one
   * address), each host keeping its own stream and subscriptions. @default false
   */
  connectionPerHost: boolean;
  /**
   * Scheduling priority (nice) of the simulated hosts' processes. The hosts stand in for a thousand other
   * machines: at a positive nice they take the CPU the controller (and the NATS server) leave, instead
   * of delaying the controller's fan-out and ack handling by contending for the same two cores. @default 10
   */
  hostsNice: number;
  /** Mutual TLS between the controller and every simulated host (certificates made with openssl first). @default false */
  tls: boolean;
  /** NATS server of the `nats` transport. @default ALCOR_NATS_URL or nats://127.0.0.1:4222 */
  natsUrl: string;
  log: (line: string) => void;
  progress: (label: string, done: number, total: number) => void;
}

/** Everything measured. */
export interface SouthboundBenchResult {
  startedAt: string;
  durationS: number;
  transport: 'grpc' | 'nats';
  hosts: number;
  processes: number;
  vpcPorts: number;
  fanOutSlice: number;
  connectionPerHost: boolean;
  hostsNice: number;
  tls: boolean;
  /** Hosts dialling, handshaking and syncing their (empty) state: wall time for all, controller CPU per host. */
  connect: { seconds: number; controllerCpuMsPerHost: number };
  /** `bulksWithHostsBehind`: bulks after which some host had not caught up within the pacing wait. */
  populate: { seconds: number; portsPerSecond: number; bulksWithHostsBehind: number };
  newPort: LatencySummary & { hostsPerChange: number; samplesMs: number[] };
  /** Of which the API call itself (commit included), before delivery starts. */
  apiCall: LatencySummary;
  /** 1-minute load average at the start and end (the machine is shared). */
  loadAverage: [number, number];
  /** gRPC messages and bytes to agents, bus publishes and their bytes (stored once, read by each consumer). */
  perChange: { messages: number; bytes: number; busPublishes: number; busBytes: number; neighborCompiles: number; scopeFields: number };
  join: { ms: number; neighbors: number };
  /** `eventLoopDelay`: how late the controller's event loop ran timers (monitorEventLoopDelay) from populate to the join. */
  controller: { cpuMsPerChange: number; cpuPercentDuringLatency: number; rssMb: number; heapMb: number; eventLoopDelay: { p99Ms: number; maxMs: number } };
  /** CPU of the simulated hosts' worker processes during the latency phase, summed over the workers. */
  agents: { cpuMsPerChange: number };
  agent: AgentCosts;
  /** Summed over the simulated hosts at the end: snapshots, and with the bus applied/duplicates/gaps/rejected/restarts. */
  hostTotals: Record<string, number>;
  targets: { name: string; value: number | null; target: number; unit: string; pass: boolean | null }[];
}

async function json(url: string, method: string, body?: unknown): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

/** How long to wait for hosts: at most `ms`, then fail, or (`goOn`) resolve with the number of hosts not there yet. */
interface Patience {
  ms: number;
  goOn: boolean;
}

const FAIL_AFTER_10_MIN: Patience = { ms: 600_000, goOn: false };
/**
 * Populating waits for every host after each bulk, but a host that falls behind (starved of CPU, cut
 * off by the bus) must catch up by itself and must not hold the others up for longer than this.
 */
const POPULATE_PACE: Patience = { ms: 30_000, goOn: true };

/**
 * Waits until `reached(host)` holds for every host, re-checking a host whenever it acks on the stream or
 * the bus; resolves with the number of hosts that did not get there (0 unless `patience.goOn`).
 */
function allReached(southbound: Southbound, hosts: ReadonlySet<string>, reached: (host: string) => boolean, what: string, patience = FAIL_AFTER_10_MIN): Promise<number> {
  const pending = new Set([...hosts].filter((h) => !reached(h)));
  if (pending.size === 0) return Promise.resolve(0);
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      southbound.server.ackListeners.delete(listener);
      southbound.bus?.ackListeners.delete(listener);
    };
    const timer = setTimeout(() => {
      done();
      if (patience.goOn) resolve(pending.size);
      else reject(new Error(`${pending.size} hosts did not reach ${what} within ${patience.ms} ms`));
    }, patience.ms);
    const listener = (host: string) => {
      if (pending.has(host) && reached(host) && pending.delete(host) && pending.size === 0) {
        done();
        resolve(0);
      }
    };
    southbound.server.ackListeners.add(listener);
    southbound.bus?.ackListeners.add(listener);
  });
}

/** Waits until every host in `hosts` acked at least `revision` on its gRPC stream. */
function allAcked(southbound: Southbound, hosts: ReadonlySet<string>, revision: number, patience = FAIL_AFTER_10_MIN): Promise<number> {
  return allReached(southbound, hosts, (h) => (southbound.server.sessions.get(h)?.ackedRevision ?? 0) >= revision, `stream revision ${revision}`, patience);
}

/**
 * Waits until every host holds VPC `vpc` at `revision` or later: acked on the bus, or (`orStream`: a host
 * that got the VPC whole over gRPC, e.g. joining in the last batch) on its stream.
 */
function allHaveVpc(southbound: Southbound, hosts: ReadonlySet<string>, vpc: string, revision: number, orStream: boolean, patience = FAIL_AFTER_10_MIN): Promise<number> {
  const bus = southbound.bus;
  if (!bus) return allAcked(southbound, hosts, revision, patience);
  const reached = (h: string) =>
    (bus.applied.get(h)?.get(vpc) ?? 0) >= revision || (orStream && (southbound.server.sessions.get(h)?.ackedRevision ?? 0) >= revision);
  return allReached(southbound, hosts, reached, `VPC revision ${revision}`, patience);
}

function sessionTotals(southbound: Southbound): { messages: number; bytes: number } {
  let messages = 0;
  let bytes = 0;
  for (const s of southbound.server.sessions.values()) {
    messages += s.counters.messages;
    bytes += s.counters.bytes;
  }
  return { messages, bytes };
}

/** Runs the benchmark. */
export async function runSouthboundBench(options: SouthboundBenchOptions): Promise<SouthboundBenchResult> {
  const started = Date.now();
  const loadAtStart = loadavg()[0] ?? 0;
  const dir = mkdtempSync(join(tmpdir(), 'alcor-bench-sb-'));
  const store = await openStore({ engine: 'sqlite', path: join(dir, 'alcor.db') });
  const tag = randomBytes(4).toString('hex');
  const bus: BusLocation | undefined = options.transport === 'nats' ? { url: options.natsUrl, stream: `ALCOR_BENCH_${tag}`, prefix: `bench${tag}` } : undefined;
  const pki = options.tls ? makeBenchPki(join(dir, 'pki'), 'sim', options.hosts + 1) : undefined;
  const southbound = await startSouthbound(store, {
    listen: '127.0.0.1:0',
    ...(pki ? { tls: pki.controller } : {}),
    fanOutSlice: options.fanOutSlice,
    ...(bus ? { nats: { ...bus, url: bus.url }, channels: { mode: 'mq', upperPorts: 1000, lowerPorts: 100 } } : {}),
  });
  const config = compileServerOptions({ listen: '127.0.0.1:0', databaseUrl: 'sqlite::memory:', logLevel: 'silent', maxBodyBytes: 64 << 20 });
  const app = await buildApiServer({ config, services: createServices(notifyingStore(store, () => void southbound.notify()), config), logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const api = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v2.0`;
  const workers: AgentWorker[] = [];
  let result: SouthboundBenchResult | undefined;
  const currentRevision = async () =>
    Number((await store.read((q) => q.get<{ r: number | null }>('SELECT MAX(revision) AS r FROM changes')))?.r ?? 0);
  try {
    const perWorker = Math.ceil(options.hosts / options.processes);
    const hostsOn = { controller: `127.0.0.1:${southbound.port}`, prefix: 'sim', stateRoot: join(dir, 'agents'), connectionPerHost: options.connectionPerHost, ...(bus ? { bus } : {}), ...(pki ? { tls: pki.hosts } : {}) };
    const connectCpu = process.cpuUsage();
    const connectStart = Date.now();
    for (let first = 0; first < options.hosts; first += perWorker) {
      workers.push(spawnAgentWorker({ ...hostsOn, first, count: Math.min(perWorker, options.hosts - first) }, options.hostsNice));
    }
    options.log(`spawned ${workers.length} worker processes with ${options.hosts} simulated hosts`);
    await Promise.all(workers.map((w) => w.ready));
    const connectCpuMs = (process.cpuUsage(connectCpu).user + process.cpuUsage(connectCpu).system) / 1000;
    const connect = { seconds: round((Date.now() - connectStart) / 1000), controllerCpuMsPerHost: round(connectCpuMs / options.hosts) };
    const hosts = Array.from({ length: options.hosts }, (_, i) => `sim-${i}`);
    options.log('all hosts connected');

    // The benchmark's VPC is far larger than the default port quota.
    await json(`${api}/quotas/${config.noauthProject}`, 'PUT', { quota: { port: -1 } });
    const network = (await json(`${api}/networks`, 'POST', { network: { name: 'bench-sb' } })).network;
    await json(`${api}/subnets`, 'POST', { subnet: { network_id: network.id, cidr: '10.0.0.0/12', ip_version: 4 } });
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const populateStart = Date.now();
    let bulksWithHostsBehind = 0;
    const bulk = 500;
    for (let made = 0; made < options.vpcPorts; made += bulk) {
      const n = Math.min(bulk, options.vpcPorts - made);
      const ports = Array.from({ length: n }, (_, i) => ({ network_id: network.id, 'binding:host_id': hosts[(made + i) % hosts.length], device_owner: 'compute:bench' }));
      await json(`${api}/ports`, 'POST', { ports });
      // Each bulk reaches every host before the next (hosts sharing a NATS connection receive a copy per
      // host of its 500-neighbor delta, and a backlog of those trips the server's slow-consumer limit),
      // unless a host is too slow to: then the others go on and it catches up.
      await southbound.notify();
      const behind = await allHaveVpc(southbound, new Set(southbound.manager.hostsOfVpc(network.id)), network.id, await currentRevision(), true, POPULATE_PACE);
      if (behind > 0) {
        bulksWithHostsBehind++;
        options.log(`${behind} hosts behind after ${made + n} ports; going on`);
      }
      options.progress('populate', made + n, options.vpcPorts);
    }
    // Every host has the whole VPC before anything is measured.
    await allHaveVpc(southbound, new Set(southbound.manager.hostsOfVpc(network.id)), network.id, await currentRevision(), true);
    const vpcHosts = new Set(southbound.manager.hostsOfVpc(network.id));
    const populateS = (Date.now() - populateStart) / 1000;
    options.log(`populated ${options.vpcPorts} ports over ${vpcHosts.size} hosts in ${round(populateS)} s`);

    const latencies: number[] = [];
    const apiCalls: number[] = [];
    const before = sessionTotals(southbound);
    const busBefore = { ...southbound.bus?.counters };
    const compilesBefore = { ...southbound.manager.counters };
    const workersCpu = () => workers.reduce((sum, w) => sum + (readProcessCpuMs(w.child.pid ?? 0) ?? NaN), 0);
    const workersCpuBefore = workersCpu();
    const cpuBefore = process.cpuUsage();
    const wallBefore = Date.now();
    let fields = 0;
    const countFields = southbound.manager.subscribe((batch) => (fields += batch.fields.size));
    for (let i = 0; i < options.samples; i++) {
      const t0 = performance.now();
      const host = hosts[i % hosts.length] as string;
      await json(`${api}/ports`, 'POST', { port: { network_id: network.id, 'binding:host_id': host, device_owner: 'compute:bench' } });
      apiCalls.push(performance.now() - t0);
      const revision = await currentRevision();
      // Every host of the VPC has the new neighbor, and the port's own host has programmed the port.
      // (A host that found a gap and re-fetched a snapshot at or after the revision acks it on its stream.)
      await Promise.all([allHaveVpc(southbound, new Set(southbound.manager.hostsOfVpc(network.id)), network.id, revision, true), allAcked(southbound, new Set([host]), revision)]);
      latencies.push(performance.now() - t0);
      options.progress('latency', i + 1, options.samples);
    }
    countFields();
    const cpu = process.cpuUsage(cpuBefore);
    const workersCpuMs = workersCpu() - workersCpuBefore;
    const wall = Date.now() - wallBefore;
    const after = sessionTotals(southbound);
    const compilesAfter = { ...southbound.manager.counters };
    const busAfter = { ...southbound.bus?.counters };
    const cpuMs = (cpu.user + cpu.system) / 1000;

    // One more host joins the VPC: it receives the whole VPC scope.
    const joiner = spawnAgentWorker({ ...hostsOn, first: options.hosts, count: 1 }, options.hostsNice);
    workers.push(joiner);
    await joiner.ready;
    const joinHost = `sim-${options.hosts}`;
    const joinStart = performance.now();
    await json(`${api}/ports`, 'POST', { port: { network_id: network.id, 'binding:host_id': joinHost, device_owner: 'compute:bench' } });
    await allAcked(southbound, new Set([joinHost]), await currentRevision());
    const joinMs = performance.now() - joinStart;
    const neighbors = southbound.manager.scopes.get(`vpc/${network.id}`)?.entries.size ?? 0;
    options.log(`a new host got ${neighbors} neighbors in ${round(joinMs)} ms`);

    loopDelay.disable();
    const memory = process.memoryUsage();
    const agent = await measureAgentCosts(options.bigNeighbors, options.snapshotStates, options.log);
    const newPort = { ...summarize(latencies), hostsPerChange: southbound.manager.hostsOfVpc(network.id).size, samplesMs: latencies.map((l) => round(l)) };
    const samples = Math.max(1, options.samples);
    const perChange = {
      messages: round((after.messages - before.messages) / samples),
      bytes: round((after.bytes - before.bytes) / samples),
      busPublishes: round(((busAfter.published ?? 0) - (busBefore.published ?? 0)) / samples),
      busBytes: round(((busAfter.publishedBytes ?? 0) - (busBefore.publishedBytes ?? 0)) / samples),
      neighborCompiles: round((compilesAfter.neighborCompiles - compilesBefore.neighborCompiles) / samples),
      scopeFields: round(fields / samples),
    };
    const target = (name: string, value: number | null, limit: number, unit: string) => ({ name, value, target: limit, unit, pass: value === null ? null : value <= limit });
    result = {
      startedAt: new Date(started).toISOString(),
      durationS: round((Date.now() - started) / 1000),
      transport: options.transport,
      hosts: options.hosts,
      processes: options.processes,
      vpcPorts: options.vpcPorts,
      fanOutSlice: options.fanOutSlice,
      connectionPerHost: options.connectionPerHost,
      hostsNice: options.hostsNice,
      tls: options.tls,
      connect,
      populate: { seconds: round(populateS), portsPerSecond: round(options.vpcPorts / Math.max(populateS, 0.001)), bulksWithHostsBehind },
      newPort,
      apiCall: summarize(apiCalls),
      loadAverage: [round(loadAtStart), round(loadavg()[0] ?? 0)],
      perChange,
      join: { ms: round(joinMs), neighbors },
      controller: {
        cpuMsPerChange: round(cpuMs / samples), cpuPercentDuringLatency: round((100 * cpuMs) / Math.max(wall, 1)), rssMb: round(memory.rss / 2 ** 20), heapMb: round(memory.heapUsed / 2 ** 20),
        eventLoopDelay: { p99Ms: round(loopDelay.percentile(99) / 1e6), maxMs: round(loopDelay.max / 1e6) },
      },
      agents: { cpuMsPerChange: round(workersCpuMs / samples) },
      agent,
      hostTotals: {},
      targets: [
        target(`new-port latency p50 (${options.transport})`, newPort.p50Ms, 50, 'ms'),
        target(`new-port latency p99 (${options.transport})`, newPort.p99Ms, 200, 'ms'),
        ...(bus ? [target('bus publishes per new port', perChange.busPublishes, 1, 'publishes')] : []),
        target('neighbor compiles per new port', perChange.neighborCompiles, 1, 'compiles'),
        target('controller event-loop delay, max (populate, latency, join)', round(loopDelay.max / 1e6), 100, 'ms'),
        target('sim apply of one neighbor with many installed', agent.oneNeighborBigMs, 1, 'ms'),
        target(`snapshot of ${options.snapshotStates} neighbors sent over gRPC and applied`, agent.grpcSnapshotS, 10, 's'),
      ],
    };
    return result;
  } finally {
    await stopAgentWorkers(workers);
    // Workers report their hosts' counters as they stop; the returned result object gets them here.
    for (const w of workers) for (const [k, v] of Object.entries(w.totals)) if (result) result.hostTotals[k] = (result.hostTotals[k] ?? 0) + v;
    await app.close();
    await southbound.close();
    await store.close();
    if (bus) await deleteStream(bus);
    rmSync(dir, { recursive: true, force: true });
  }
}
