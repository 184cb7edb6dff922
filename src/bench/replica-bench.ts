/**
 * `alcor bench replicas`: Neutron API write throughput of 1, 2, 3 `alcor-server` processes sharing one
 * PostgreSQL schema (and one server on the SQLite default for reference), in one run so the ratios share
 * the machine's load. Each configuration gets a fresh database and runs two workloads:
 *   single-tenant  every create in one network of one project (one write scope: creates queue on it)
 *   many-tenant    creates spread over `projects` projects with one network each (disjoint scopes)
 * Each workload: a warm-up, then closed-loop `POST /v2.0/ports` with C in flight, round-robin over the
 * replicas. Measured: creates/s, latency p50/p99, CPU per create of the replicas and of PostgreSQL (all
 * `postgres` processes, from /proc), time backends spent waiting for locks per create (pg_stat_activity
 * sampled), and transactions rolled back per create. With `hosts` > 0 the single-tenant configuration also
 * measures new-port programming across replicas (replica-programming.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { runConcurrently } from './concurrency.js';
import { NeutronClient } from './neutron-client.js';
import { measureProgramming, type ProgrammingResult } from './replica-programming.js';
import { countPortCreateRoundTrips, type RoundTripCount } from './replica-round-trips.js';
import { freePort, readProcessCpuMs } from './server-process.js';
import { round, summarize, type LatencySummary } from './stats.js';

/** Options of `runReplicaBench`. */
export interface ReplicaBenchOptions {
  /** PostgreSQL server (a fresh schema per configuration); undefined runs SQLite only. */
  pgUrl: string | undefined;
  replicas: number[];
  concurrency: number;
  /** Creates measured per workload and configuration. */
  creates: number;
  /** Projects (one network each) of the many-tenant workload. */
  projects: number;
  /** Simulated hosts for the programming latency (0 skips that phase). */
  hosts: number;
  samples: number;
  log: (line: string) => void;
}

/** One workload on one configuration. */
export interface WorkloadResult {
  workload: 'single-tenant' | 'many-tenant';
  createsPerSecond: number;
  createLatency: LatencySummary;
  /** CPU time of all replicas per port created. */
  serverCpuMsPerCreate: number | null;
  /** CPU time of all PostgreSQL processes per port created. */
  postgresCpuMsPerCreate?: number;
  /** Time PostgreSQL backends spent waiting for a lock (row or advisory) per port created, sampled. */
  lockWaitMsPerCreate?: number;
  /** Transactions rolled back per port created (write attempts run again, mostly). */
  rollbacksPerCreate?: number;
  /** 1-minute load average at the start and end. */
  loadAverage: [number, number];
}

/** One configuration: an engine and a replica count. */
export interface ReplicaConfigurationResult {
  engine: 'sqlite' | 'postgres';
  replicas: number;
  workloads: WorkloadResult[];
  programming?: ProgrammingResult;
}

/** The whole run. */
export interface ReplicaBenchResult {
  startedAt: string;
  cpus: number;
  node: string;
  concurrency: number;
  creates: number;
  projects: number;
  configurations: ReplicaConfigurationResult[];
  /** Round trips of one port create on PostgreSQL, and its statements. */
  roundTrips?: RoundTripCount;
  /** Creates/s of N replicas over one replica, per workload (PostgreSQL). */
  scaling: { workload: string; replicas: number; ratio: number }[];
}

const SERVER = fileURLToPath(new URL('../cli/alcor-server.js', import.meta.url));

/** A controller replica: its API URL and its southbound address (host:port). */
interface Replica {
  url: string;
  southbound: string;
  child: ChildProcess;
}

async function startServer(databaseUrl: string): Promise<Replica> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const southbound = `127.0.0.1:${await freePort()}`;
  const child = spawn(process.execPath, [SERVER], {
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

function cpuMsOf(pids: readonly (number | undefined)[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    const ms = pid === undefined ? undefined : readProcessCpuMs(pid);
    if (ms === undefined) return undefined;
    total += ms;
  }
  return total;
}

/** CPU time of every process named `postgres` on this machine (the server under test runs here). */
function postgresCpuMs(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
    } catch {
      continue; // exited meanwhile
    }
    total += readProcessCpuMs(Number(entry)) ?? 0;
  }
  return total;
}

/** Samples how many backends of this database wait for a lock, every `intervalMs`, until stopped. */
function sampleLockWaits(url: string, intervalMs = 10): { stop(): Promise<number> } {
  const client = new pg.Client({ connectionString: url });
  let running = true;
  let waitMs = 0;
  const loop = (async () => {
    await client.connect();
    while (running) {
      const started = performance.now();
      const r = await client.query("SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
      waitMs += (r.rows[0] as { n: number }).n * (performance.now() - started);
    }
    await client.end();
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return waitMs;
    },
  };
}

async function rollbacks(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query('SELECT xact_rollback::float8 AS r FROM pg_stat_database WHERE datname = current_database()')).rows[0].r as number;
  } finally {
    await client.end();
  }
}

async function closedLoop(total: number, concurrency: number, call: (i: number) => Promise<number>): Promise<{ perSecond: number; latency: LatencySummary }> {
  const samples: number[] = [];
  const started = performance.now();
  await runConcurrently(total, concurrency, async (i) => {
    samples.push(await call(i));
  });
  return { perSecond: round(total / ((performance.now() - started) / 1000), 1), latency: summarize(samples) };
}

/** Networks (one per project) with a /20 each, created through the first replica. */
async function makeNetworks(replicas: readonly Replica[], projects: readonly string[], o: ReplicaBenchOptions): Promise<{ client: NeutronClient[]; network: string }[]> {
  return Promise.all(
    projects.map(async (project, i) => {
      const clients = replicas.map((r) => new NeutronClient({ url: r.url, project, maxSockets: o.concurrency, timeoutMs: 120_000 }));
      const first = clients[0] as NeutronClient;
      const network = (await first.expectOk('POST', '/v2.0/networks', { network: { name: `bench-${i}` } })).body.network.id as string;
      await first.expectOk('POST', '/v2.0/subnets', { subnet: { network_id: network, cidr: `10.${64 + Math.floor(i / 16)}.${(i % 16) * 16}.0/20`, ip_version: 4 } });
      return { client: clients, network };
    }),
  );
}

async function runWorkload(workload: WorkloadResult['workload'], replicas: readonly Replica[], targets: { client: NeutronClient[]; network: string }[], o: ReplicaBenchOptions): Promise<WorkloadResult> {
  const loadAtStart = loadavg()[0] ?? 0;
  const create = async (i: number) => {
    const target = targets[i % targets.length] as { client: NeutronClient[]; network: string };
    const client = target.client[Math.floor(i / targets.length) % replicas.length] as NeutronClient;
    return (await client.expectOk('POST', '/v2.0/ports', { port: { network_id: target.network } })).ms;
  };
  await closedLoop(Math.min(200, o.creates), o.concurrency, create);
  const pgUrl = o.pgUrl;
  const rollbacksBefore = pgUrl ? await rollbacks(pgUrl) : 0;
  const pgCpuBefore = pgUrl ? postgresCpuMs() : 0;
  const cpuBefore = cpuMsOf(replicas.map((r) => r.child.pid));
  const sampler = pgUrl ? sampleLockWaits(pgUrl) : undefined;
  const creates = await closedLoop(o.creates, o.concurrency, create);
  const lockWaitMs = await sampler?.stop();
  const cpuAfter = cpuMsOf(replicas.map((r) => r.child.pid));
  const perCreate = (v: number) => round(v / o.creates, 3);
  return {
    workload,
    createsPerSecond: creates.perSecond,
    createLatency: creates.latency,
    serverCpuMsPerCreate: cpuBefore !== undefined && cpuAfter !== undefined ? perCreate(cpuAfter - cpuBefore) : null,
    ...(pgUrl
      ? { postgresCpuMsPerCreate: perCreate(postgresCpuMs() - pgCpuBefore), lockWaitMsPerCreate: perCreate(lockWaitMs ?? 0), rollbacksPerCreate: perCreate((await rollbacks(pgUrl)) - rollbacksBefore) }
      : {}),
    loadAverage: [round(loadAtStart), round(loadavg()[0] ?? 0)],
  };
}

async function withDatabase<T>(engine: 'sqlite' | 'postgres', o: ReplicaBenchOptions, body: (databaseUrl: string, database: Parameters<typeof openStore>[0]) => Promise<T>): Promise<T> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'alcor-replica-bench-'));
    try {
      return await body(`sqlite:${join(dir, 'alcor.db')}`, { engine, path: join(dir, 'alcor.db') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const base = o.pgUrl as string;
  const schema = `bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
    const url = new URL(base);
    url.searchParams.set('schema', schema);
    return await body(url.toString(), { engine, url: url.toString() });
  } finally {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

async function runConfiguration(engine: 'sqlite' | 'postgres', count: number, o: ReplicaBenchOptions): Promise<ReplicaConfigurationResult> {
  return withDatabase(engine, o, async (databaseUrl, database) => {
    const replicas = await Promise.all(Array.from({ length: count }, () => startServer(databaseUrl)));
    let store: Store | undefined;
    try {
      const single = await makeNetworks(replicas, ['bench-single'], o);
      const many = await makeNetworks(replicas, Array.from({ length: o.projects }, (_, i) => `bench-tenant-${i}`), o);
      const workloads = [await runWorkload('single-tenant', replicas, single, o), await runWorkload('many-tenant', replicas, many, o)];
      o.log(`${engine} × ${count}: ${workloads.map((w) => `${w.workload} ${w.createsPerSecond}/s`).join(', ')}`);
      let programming: ProgrammingResult | undefined;
      if (o.hosts > 0) {
        store = await openStore(database);
        const target = single[0] as { client: NeutronClient[]; network: string };
        programming = await measureProgramming(replicas.map((r) => r.southbound), target.client, store, target.network, o);
      }
      return { engine, replicas: count, workloads, ...(programming ? { programming } : {}) };
    } finally {
      await store?.close();
      for (const r of replicas) await stopServer(r.child);
    }
  });
}

/** Runs SQLite × 1, then PostgreSQL × each replica count. */
export async function runReplicaBench(o: ReplicaBenchOptions): Promise<ReplicaBenchResult> {
  const startedAt = new Date().toISOString();
  const configurations: ReplicaConfigurationResult[] = [await runConfiguration('sqlite', 1, o)];
  if (o.pgUrl) for (const n of o.replicas) configurations.push(await runConfiguration('postgres', n, o));
  else o.log('no --pg-url / ALCOR_TEST_PG_URL: PostgreSQL configurations skipped');
  const roundTrips = o.pgUrl ? await withDatabase('postgres', o, (url) => countPortCreateRoundTrips(url)) : undefined;
  const postgres = configurations.filter((c) => c.engine === 'postgres');
  const one = postgres.find((c) => c.replicas === 1);
  const scaling = one
    ? postgres.filter((c) => c !== one).flatMap((c) =>
        c.workloads.map((w) => ({ workload: w.workload, replicas: c.replicas, ratio: round(w.createsPerSecond / (one.workloads.find((x) => x.workload === w.workload)?.createsPerSecond ?? NaN)) })),
      )
    : [];
  return { startedAt, cpus: cpus().length, node: process.version, concurrency: o.concurrency, creates: o.creates, projects: o.projects, configurations, ...(roundTrips ? { roundTrips } : {}), scaling };
}
