/** `alcor bench replicas`: write throughput of 1, 2, 3 replicas on one PostgreSQL (see src/bench/replica-bench.ts). */
import type { Command } from 'commander';
import { runReplicaBench, type ReplicaBenchResult } from '../../bench/replica-bench.js';
import type { LatencySummary } from '../../bench/stats.js';
import { commandGroup, numberOption, type RegisterCommand } from '../command-group.js';

function report(r: ReplicaBenchResult): string {
  const pair = (l: LatencySummary | undefined) => (l ? `${l.p50Ms}/${l.p99Ms}` : '-');
  const rows = [
    ['engine', 'replicas', 'workload', 'creates/s', 'p50/p99 ms', 'server CPU ms/create', 'PG CPU ms/create', 'lock wait ms/create', 'rollbacks/create', 'POST→ACTIVE p50/p99', 'load'],
    ...r.configurations.flatMap((c) =>
      c.workloads.map((w) => [
        c.engine, String(c.replicas), w.workload, String(w.createsPerSecond), pair(w.createLatency), String(w.serverCpuMsPerCreate ?? '-'),
        String(w.postgresCpuMsPerCreate ?? '-'), String(w.lockWaitMsPerCreate ?? '-'), String(w.rollbacksPerCreate ?? '-'),
        w.workload === 'single-tenant' ? pair(c.programming?.active) : '-', w.loadAverage.join('→'),
      ]),
    ),
  ];
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((row) => (row[i] as string).length)));
  const lines = [
    `alcor bench replicas  ${r.startedAt}  ${r.cpus} CPUs  Node ${r.node}  ${r.creates} creates per workload at ${r.concurrency} in flight; many-tenant: ${r.projects} projects`,
    '',
    ...rows.map((row) => row.map((cell, i) => cell.padStart(widths[i] as number)).join('  ')),
    '',
    ...(r.roundTrips ? [`PostgreSQL round trips per port create: ${r.roundTrips.perCreate}; the statements of one (BEGIN with its locks before, COMMIT with the outbox after):`, ...r.roundTrips.statements.map((s) => `  ${s}`), ''] : []),
    ...r.scaling.map((s) => `PostgreSQL ${s.workload}: ${s.replicas} replicas / 1 replica = ${s.ratio}×`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Registers `alcor bench replicas`. */
export const registerBenchReplicas: RegisterCommand = (program: Command) => {
  commandGroup(program, 'bench', 'scalability benchmarks')
    .command('replicas')
    .description('port creates through 1, 2, 3 alcor-server replicas on one PostgreSQL (and one on SQLite), single- and many-tenant: creates/s, latency, CPU and lock wait per create')
    .option('--pg-url <url>', 'PostgreSQL server (a fresh schema per configuration)', process.env.ALCOR_TEST_PG_URL)
    .option('--replicas <list>', 'replica counts, comma separated', '1,2,3')
    .option('--concurrency <n>', 'creates in flight', numberOption('--concurrency'), 16)
    .option('--creates <n>', 'creates measured per workload and configuration (at most 3000: one /20 per network)', numberOption('--creates'), 1500)
    .option('--projects <n>', 'projects (one network each) of the many-tenant workload', numberOption('--projects'), 32)
    .option('--hosts <n>', 'simulated hosts for the POST → ACTIVE programming latency (0: skip)', numberOption('--hosts'), 0)
    .option('--samples <n>', 'programming samples', numberOption('--samples'), 100)
    .option('--json', 'print the result as JSON', false)
    .action(async (flags: { pgUrl: string | undefined; replicas: string; concurrency: number; creates: number; projects: number; hosts: number; samples: number; json: boolean }) => {
      const replicas = flags.replicas.split(',').map(Number);
      if (!replicas.every((n) => Number.isInteger(n) && n >= 1 && n <= 16)) throw new TypeError(`--replicas "${flags.replicas}" must list integers from 1 to 16`);
      if (flags.creates > 3000) throw new TypeError(`--creates ${flags.creates}: at most 3000 (one /20 per network)`);
      if (flags.projects < 1 || flags.projects > 256) throw new TypeError(`--projects ${flags.projects} must be from 1 to 256`);
      const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
      const result = await runReplicaBench({ ...flags, replicas, log });
      process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : report(result));
    });
};
