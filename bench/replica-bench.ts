/**
 * Replica benchmark: Neutron API throughput of 1, 2 and 3 `alcor-server` processes sharing one
 * PostgreSQL schema, against one server on the SQLite default. Each configuration gets a fresh
 * database, one network with a /16 subnet, a warm-up, then:
 *   creates  closed-loop `POST /v2.0/ports` with C in flight, spread round-robin over the replicas
 *   reads    closed-loop `GET /v2.0/ports?limit=50` the same way
 * PostgreSQL's own counters (commits, rollbacks) show how many write attempts were re-run.
 *
 *   node dist/bench/replica-bench.js --pg-url postgres://postgres@127.0.0.1:5432/test [--replicas 1,2,3]
 *        [--concurrency 16] [--creates 1500] [--reads 3000] [--json]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runConcurrently } from '../src/bench/concurrency.js';
import { NeutronClient } from '../src/bench/neutron-client.js';
import { round, summarize, type LatencySummary } from '../src/bench/stats.js';

interface Options {
  pgUrl: string | undefined;
  replicas: number[];
  concurrency: number;
  creates: number;
  reads: number;
  json: boolean;
}

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
    json: argv.includes('--json'),
  };
}

const SERVER = fileURLToPath(new URL('../src/cli/alcor-server.js', import.meta.url));

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

async function startServer(databaseUrl: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [SERVER], {
    env: {
      ...process.env,
      ALCOR_LISTEN: `127.0.0.1:${port}`,
      ALCOR_SOUTHBOUND_LISTEN: '127.0.0.1:0',
      ALCOR_DATABASE_URL: databaseUrl,
      ALCOR_LOG_LEVEL: 'warn',
      ALCOR_QUOTA_DEFAULTS: 'network=-1,subnet=-1,port=-1',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`alcor-server exited with ${child.exitCode}`);
    if ((await fetch(`${url}/readyz`).catch(() => undefined))?.ok) return { url, child };
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
  engine: 'sqlite' | 'postgres';
  replicas: number;
  concurrency: number;
  createsPerSecond: number;
  createLatency: LatencySummary;
  readsPerSecond: number;
  readLatency: LatencySummary;
  /** PostgreSQL transactions rolled back per port created (re-run write attempts, mostly). */
  rollbacksPerCreate?: number;
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

async function runConfiguration(engine: 'sqlite' | 'postgres', replicas: number, o: Options): Promise<RunResult> {
  let databaseUrl: string;
  let cleanup: () => Promise<void>;
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'alcor-replica-bench-'));
    databaseUrl = `sqlite:${join(dir, 'alcor.db')}`;
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
    cleanup = async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    };
  }
  const servers = await Promise.all(Array.from({ length: replicas }, () => startServer(databaseUrl)));
  try {
    const clients = servers.map((s) => new NeutronClient({ url: s.url, maxSockets: o.concurrency, timeoutMs: 120_000 }));
    const first = clients[0] as NeutronClient;
    const net = (await first.expectOk('POST', '/v2.0/networks', { network: { name: 'bench' } })).body.network.id as string;
    await first.expectOk('POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '10.128.0.0/16', ip_version: 4 } });
    const create = async (c: NeutronClient) => (await c.expectOk('POST', '/v2.0/ports', { port: { network_id: net } })).ms;
    await closedLoop(clients, 100, o.concurrency, create);
    const before = engine === 'postgres' ? await pgCounters(o.pgUrl as string) : undefined;
    const creates = await closedLoop(clients, o.creates, o.concurrency, create);
    const after = engine === 'postgres' ? await pgCounters(o.pgUrl as string) : undefined;
    const reads = await closedLoop(clients, o.reads, o.concurrency, async (c) => (await c.expectOk('GET', `/v2.0/ports?network_id=${net}&limit=50`)).ms);
    return {
      engine,
      replicas,
      concurrency: o.concurrency,
      createsPerSecond: creates.perSecond,
      createLatency: creates.latency,
      readsPerSecond: reads.perSecond,
      readLatency: reads.latency,
      ...(before && after ? { rollbacksPerCreate: round((after.rollbacks - before.rollbacks) / o.creates, 3) } : {}),
    };
  } finally {
    for (const s of servers) await stopServer(s.child);
    await cleanup();
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const results: RunResult[] = [await runConfiguration('sqlite', 1, o)];
  if (o.pgUrl) for (const n of o.replicas) results.push(await runConfiguration('postgres', n, o));
  else process.stderr.write('replica-bench: no --pg-url / ALCOR_TEST_PG_URL: PostgreSQL runs skipped\n');
  const report = { date: new Date().toISOString(), cpus: cpus().length, node: process.version, results };
  if (o.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  process.stdout.write('engine    replicas  creates/s  create p50/p99 ms  reads/s  read p50/p99 ms  rollbacks/create\n');
  for (const r of results) {
    process.stdout.write(
      `${r.engine.padEnd(9)} ${String(r.replicas).padStart(8)} ${String(r.createsPerSecond).padStart(10)} ${`${r.createLatency.p50Ms}/${r.createLatency.p99Ms}`.padStart(18)} ${String(r.readsPerSecond).padStart(8)} ${`${r.readLatency.p50Ms}/${r.readLatency.p99Ms}`.padStart(16)} ${String(r.rollbacksPerCreate ?? '-').padStart(17)}\n`,
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`replica-bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
