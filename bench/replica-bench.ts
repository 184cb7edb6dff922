/**
 * Replica benchmark: Neutron API throughput of 1, 2 and 3 `alcor-server` processes sharing one
 * PostgreSQL schema, against one server on the SQLite default. Each configuration gets a fresh
 * database, one network with a /16 subnet, a warm-up, then:
 *   creates  closed-loop `POST /v2.0/ports` with C in flight, spread round-robin over the replicas
 *   reads    closed-loop `GET /v2.0/ports?limit=50` the same way
 *   program  `hosts` simulated hosts (sim-driver agents on real gRPC streams, host i connected to replica
 *            i mod N), then `samples` port creates one at a time, each bound to the next host and sent
 *            through a replica other than that host's (when N > 1): POST → status ACTIVE, split into
 *            API call, commit announced (PostgreSQL NOTIFY, as the other replicas hear it), agent applied
 *            the revision, and ACTIVE readable in the database
 * PostgreSQL's own counters (commits, rollbacks) show how many write attempts were re-run; the servers'
 * CPU time per create comes from /proc.
 *
 *   node dist/bench/replica-bench.js --pg-url postgres://postgres@127.0.0.1:5432/test [--replicas 1,2,3]
 *        [--concurrency 16] [--creates 1500] [--reads 3000] [--hosts 3] [--samples 200]
 *        [--server a/alcor-server.js[,b/alcor-server.js]] [--rounds 1] [--json]
 * `--server` runs other builds' controllers (e.g. the previous commit's) under the same client; with
 * several, each configuration runs each build in turn, `--rounds` times, so a before/after comparison
 * shares one run and the machine's load drifts over both alike.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runConcurrently } from '../src/bench/concurrency.js';
import { NeutronClient } from '../src/bench/neutron-client.js';
import { readProcessCpuMs } from '../src/bench/server-process.js';
import { agentAppliedAt, spawnAgentWorker, stopAgentWorkers, type AgentWorker } from '../src/bench/agent-workers.js';
import { round, summarize, type LatencySummary } from '../src/bench/stats.js';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';

interface Options {
  pgUrl: string | undefined;
  replicas: number[];
  concurrency: number;
  creates: number;
  reads: number;
  /** Simulated hosts for the programming latency (0 skips that phase). */
  hosts: number;
  /** Port creates timed to ACTIVE, after one warm-up create per host. */
  samples: number;
  /** The controller entry points to compare (one build each). */
  servers: string[];
  /** Times each configuration runs each build, alternating. */
  rounds: number;
  json: boolean;
}

const SERVER = fileURLToPath(new URL('../src/cli/alcor-server.js', import.meta.url));

function parseArgs(argv: string[]): Options {
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    pgUrl: value('--pg-url') ?? process.env.ALCOR_TEST_PG_URL,
    replicas: (value('--replicas') ?? '1,2,3').split(',').map(Number),
    concurrency: Number(value('--concurrency') ?? 16),
    creates: Number(value('--creates') ?? 1500),
    reads: Number(value('--reads') ?? 3000),
    hosts: Number(value('--hosts') ?? 3),
    samples: Number(value('--samples') ?? 200),
    servers: (value('--server') ?? SERVER).split(','),
    rounds: Number(value('--rounds') ?? 1),
    json: argv.includes('--json'),
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** A controller replica: its API URL and its southbound address (host:port). */
interface Replica {
  url: string;
  southbound: string;
  child: ChildProcess;
}

async function startServer(server: string, databaseUrl: string): Promise<Replica> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const southbound = `127.0.0.1:${await freePort()}`;
  const child = spawn(process.execPath, [server], {
    env: {
      ...process.env,
      ALCOR_LISTEN: `127.0.0.1:${port}`,
      ALCOR_SOUTHBOUND_LISTEN: southbound,
      ALCOR_METRICS_LISTEN: '127.0.0.1:0',
      ALCOR_DATABASE_URL: databaseUrl,
      ALCOR_LOG_LEVEL: 'warn',
      ALCOR_QUOTA_DEFAULTS: 'network=-1,subnet=-1,port=-1',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`alcor-server exited with ${child.exitCode}`);
    if ((await fetch(`${url}/readyz`).catch(() => undefined))?.ok) return { url, southbound, child };
    if (Date.now() > deadline) throw new Error(`alcor-server at ${url} not ready in 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Result of one configuration. */
interface RunResult {
  /** The controller entry point run. */
  server: string;
  engine: 'sqlite' | 'postgres';
  replicas: number;
  concurrency: number;
  createsPerSecond: number;
  createLatency: LatencySummary;
  readsPerSecond: number;
  readLatency: LatencySummary;
  /** CPU time of all replicas per port created (closed-loop phase), from /proc. */
  serverCpuMsPerCreate: number | null;
  /** PostgreSQL transactions rolled back per port created (re-run write attempts, mostly). */
  rollbacksPerCreate?: number;
  programming?: ProgrammingResult;
  /** 1-minute load average at the start and end of the configuration. */
  loadAverage: [number, number];
}

/** New-port programming latency, each sample split at the moments observed. */
interface ProgrammingResult {
  hosts: number;
  /** Samples created through a replica other than the one their host's agent is connected to. */
  crossReplicaSamples: number;
  /** POST → 201 at the client. */
  api: LatencySummary;
  /** POST → the commit's NOTIFY heard by a listener like the replicas' own (PostgreSQL only). */
  commitHeard?: LatencySummary;
  /** NOTIFY heard → the agent applied the revision: wake-up, outbox read, compile, gRPC delivery, apply. */
  heardToApplied?: LatencySummary;
  /** POST → the agent applied the port's revision (before its ack is sent). */
  applied: LatencySummary;
  /** Applied → status ACTIVE readable: ack, the status write (a write transaction), and polling (1 ms). */
  appliedToActive: LatencySummary;
  /** POST → ACTIVE. */
  active: LatencySummary;
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

function serversCpuMs(servers: readonly Replica[]): number | undefined {
  let total = 0;
  for (const s of servers) {
    const ms = s.child.pid === undefined ? undefined : readProcessCpuMs(s.child.pid);
    if (ms === undefined) return undefined;
    total += ms;
  }
  return total;
}

async function waitForStatus(store: Store, portId: string, status: string, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await store.read((q) => q.get<{ status: string }>('SELECT status FROM ports WHERE id = ?', [portId]));
    if (row?.status === status) return now();
    if (Date.now() > deadline) throw new Error(`port ${portId} not ${status} within ${timeoutMs} ms (${row?.status})`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/**
 * Programming latency: hosts spread over the replicas, ports created one at a time through another
 * replica than their host's. `store` is the bench's own connection to the same database (outbox
 * revisions, status polls, and on PostgreSQL the commit notifications).
 */
async function measureProgramming(servers: readonly Replica[], clients: readonly NeutronClient[], store: Store, net: string, o: Options): Promise<ProgrammingResult> {
  const stateRoot = mkdtempSync(join(tmpdir(), 'alcor-replica-bench-agents-'));
  const workers: AgentWorker[] = [];
  const heard: number[] = [];
  const stopListening = 'onChanges' in store ? await (store as Store & { onChanges(l: () => void): Promise<() => void> }).onChanges(() => heard.push(now())) : undefined;
  try {
    for (let i = 0; i < o.hosts; i++) workers.push(spawnAgentWorker({ controller: (servers[i % servers.length] as Replica).southbound, prefix: 'sim', first: i, count: 1, stateRoot, recordApplied: true }));
    await Promise.all(workers.map((w) => w.ready));
    const samples = { api: [] as number[], commitHeard: [] as number[], heardToApplied: [] as number[], applied: [] as number[], appliedToActive: [] as number[], active: [] as number[] };
    let crossReplica = 0;
    let last: { id: string; client: NeutronClient } | undefined;
    // The first create per host brings it into the VPC (a full scope): warm-up, not a sample.
    for (let i = 0; i < o.hosts + o.samples; i++) {
      const hostIndex = i % o.hosts;
      const host = `sim-${hostIndex}`;
      const agentReplica = hostIndex % servers.length;
      const viaReplica = (agentReplica + 1) % servers.length;
      heard.length = 0;
      const t0 = now();
      const created = await (clients[viaReplica] as NeutronClient).expectOk('POST', '/v2.0/ports', {
        port: { network_id: net, 'binding:host_id': host, device_owner: 'compute:bench' },
      });
      const tApi = now();
      const id = created.body.port.id as string;
      const change = await store.read((q) =>
        q.get<{ r: number }>("SELECT revision AS r FROM changes WHERE resource_type = 'port' AND resource_id = ? AND operation = 'create'", [id]),
      );
      if (!change) throw new Error(`no outbox record for port ${id}`);
      const tApplied = await agentAppliedAt(workers[hostIndex] as AgentWorker, host, Number(change.r));
      const tActive = await waitForStatus(store, id, 'ACTIVE');
      last = { id, client: clients[agentReplica] as NeutronClient };
      if (i < o.hosts) continue;
      if (viaReplica !== agentReplica) crossReplica++;
      samples.api.push(tApi - t0);
      samples.applied.push(tApplied - t0);
      samples.appliedToActive.push(tActive - tApplied);
      samples.active.push(tActive - t0);
      const tHeard = heard.find((t) => t >= t0);
      if (tHeard !== undefined) {
        samples.commitHeard.push(tHeard - t0);
        samples.heardToApplied.push(tApplied - tHeard);
      }
    }
    // What the API shows, through the replica the agent is on: the status the database poll saw.
    if (last) {
      const status = (await last.client.expectOk('GET', `/v2.0/ports/${last.id}`)).body.port.status as string;
      if (status !== 'ACTIVE') throw new Error(`port ${last.id} is ${status} through the API`);
    }
    return {
      hosts: o.hosts,
      crossReplicaSamples: crossReplica,
      api: summarize(samples.api),
      ...(samples.commitHeard.length ? { commitHeard: summarize(samples.commitHeard), heardToApplied: summarize(samples.heardToApplied) } : {}),
      applied: summarize(samples.applied),
      appliedToActive: summarize(samples.appliedToActive),
      active: summarize(samples.active),
    };
  } finally {
    stopListening?.();
    await stopAgentWorkers(workers);
    rmSync(stateRoot, { recursive: true, force: true });
  }
}

async function closedLoop(clients: NeutronClient[], total: number, concurrency: number, call: (c: NeutronClient) => Promise<number>): Promise<{ perSecond: number; latency: LatencySummary }> {
  const samples: number[] = [];
  const started = performance.now();
  await runConcurrently(total, concurrency, async (i) => {
    samples.push(await call(clients[i % clients.length] as NeutronClient));
  });
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: round(total / seconds, 1), latency: summarize(samples) };
}

async function pgCounters(url: string): Promise<{ commits: number; rollbacks: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query('SELECT xact_commit::float8 AS c, xact_rollback::float8 AS r FROM pg_stat_database WHERE datname = current_database()');
    return { commits: r.rows[0].c, rollbacks: r.rows[0].r };
  } finally {
    await client.end();
  }
}

async function runConfiguration(engine: 'sqlite' | 'postgres', replicas: number, server: string, o: Options): Promise<RunResult> {
  const loadAtStart = loadavg()[0] ?? 0;
  let databaseUrl: string;
  let database: Parameters<typeof openStore>[0];
  let cleanup: () => Promise<void>;
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'alcor-replica-bench-'));
    databaseUrl = `sqlite:${join(dir, 'alcor.db')}`;
    database = { engine, path: join(dir, 'alcor.db') };
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const base = o.pgUrl as string;
    const schema = `bench_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    const url = new URL(base);
    url.searchParams.set('schema', schema);
    databaseUrl = url.toString();
    database = { engine, url: databaseUrl };
    cleanup = async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    };
  }
  const servers = await Promise.all(Array.from({ length: replicas }, () => startServer(server, databaseUrl)));
  let store: Store | undefined;
  try {
    const clients = servers.map((s) => new NeutronClient({ url: s.url, maxSockets: o.concurrency, timeoutMs: 120_000 }));
    const first = clients[0] as NeutronClient;
    const net = (await first.expectOk('POST', '/v2.0/networks', { network: { name: 'bench' } })).body.network.id as string;
    await first.expectOk('POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '10.128.0.0/16', ip_version: 4 } });
    const create = async (c: NeutronClient) => (await c.expectOk('POST', '/v2.0/ports', { port: { network_id: net } })).ms;
    await closedLoop(clients, 100, o.concurrency, create);
    const before = engine === 'postgres' ? await pgCounters(o.pgUrl as string) : undefined;
    const cpuBefore = serversCpuMs(servers);
    const creates = await closedLoop(clients, o.creates, o.concurrency, create);
    const cpuAfter = serversCpuMs(servers);
    const after = engine === 'postgres' ? await pgCounters(o.pgUrl as string) : undefined;
    const reads = await closedLoop(clients, o.reads, o.concurrency, async (c) => (await c.expectOk('GET', `/v2.0/ports?network_id=${net}&limit=50`)).ms);
    store = o.hosts > 0 ? await openStore(database) : undefined;
    const programming = store ? await measureProgramming(servers, clients, store, net, o) : undefined;
    return {
      server,
      engine,
      replicas,
      concurrency: o.concurrency,
      createsPerSecond: creates.perSecond,
      createLatency: creates.latency,
      readsPerSecond: reads.perSecond,
      readLatency: reads.latency,
      serverCpuMsPerCreate: cpuBefore !== undefined && cpuAfter !== undefined ? round((cpuAfter - cpuBefore) / o.creates) : null,
      ...(before && after ? { rollbacksPerCreate: round((after.rollbacks - before.rollbacks) / o.creates, 3) } : {}),
      ...(programming ? { programming } : {}),
      loadAverage: [round(loadAtStart), round(loadavg()[0] ?? 0)],
    };
  } finally {
    await store?.close();
    for (const s of servers) await stopServer(s.child);
    await cleanup();
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const configurations: ['sqlite' | 'postgres', number][] = [['sqlite', 1]];
  if (o.pgUrl) for (const n of o.replicas) configurations.push(['postgres', n]);
  else process.stderr.write('replica-bench: no --pg-url / ALCOR_TEST_PG_URL: PostgreSQL runs skipped\n');
  const results: RunResult[] = [];
  for (const [engine, replicas] of configurations) {
    for (let round = 0; round < o.rounds; round++) {
      for (const server of o.servers) results.push(await runConfiguration(engine, replicas, server, o));
    }
  }
  const report = { date: new Date().toISOString(), cpus: cpus().length, node: process.version, results };
  if (o.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  o.servers.forEach((server, i) => process.stdout.write(`build ${i + 1}: ${server}\n`));
  const pair = (l: LatencySummary | undefined) => (l ? `${l.p50Ms}/${l.p99Ms}` : '-');
  const rows = [
    ['build', 'engine', 'replicas', 'creates/s', 'create p50/p99', 'server CPU ms/create', 'lists/s', 'list p50/p99', 'rollbacks/create', 'POST→ACTIVE p50/p99', 'API call', 'POST→NOTIFY heard', 'heard→applied', 'POST→applied', 'applied→ACTIVE', 'load'],
    ...results.map((r) => [
      String(o.servers.indexOf(r.server) + 1), r.engine, String(r.replicas), String(r.createsPerSecond), pair(r.createLatency), String(r.serverCpuMsPerCreate ?? '-'), String(r.readsPerSecond),
      pair(r.readLatency), String(r.rollbacksPerCreate ?? '-'), pair(r.programming?.active), pair(r.programming?.api), pair(r.programming?.commitHeard),
      pair(r.programming?.heardToApplied), pair(r.programming?.applied), pair(r.programming?.appliedToActive), r.loadAverage.join('→'),
    ]),
  ];
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((row) => (row[i] as string).length)));
  for (const row of rows) process.stdout.write(`${row.map((cell, i) => cell.padStart(widths[i] as number)).join('  ')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`replica-bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
