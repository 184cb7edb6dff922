/** `alcor bench compare`: Neutron against Alcor in one run (see src/bench/compare.ts for what it does). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { runCompare, sampleCounts } from '../../bench/compare.js';
import { parsePostgresServer } from '../../bench/compare-host.js';
import { renderComparePlot } from '../../bench/compare-plot.js';
import { formatCompareMarkdown } from '../../bench/compare-report.js';
import { alcorTarget, neutronTarget, runningTarget, type CompareTarget } from '../../bench/compare-targets.js';
import { commandGroup, numberOption, type RegisterCommand } from '../command-group.js';

interface BenchCompareFlags {
  out?: string;
  stored: number;
  concurrency: number;
  bulkSize: number;
  timeoutMs: number;
  samples: number;
  neutronSamples: number;
  engines: string;
  postgres: string;
  apiWorkers: number;
  neutronUrl?: string;
  neutronPid?: number;
  json: boolean;
}

/** Progress on stderr, with a "still running" line when a phase (Neutron's bulk create) is silent for long. */
function progressLog(): { log: (line: string) => void; stop: () => void } {
  let last = { line: '', at: Date.now() };
  const write = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const timer = setInterval(() => {
    const silentS = Math.round((Date.now() - last.at) / 1000);
    if (silentS >= 30) write(`  … working; ${silentS} s since: ${last.line}`);
  }, 30_000);
  timer.unref();
  return {
    log: (line) => {
      last = { line, at: Date.now() };
      write(line);
    },
    stop: () => clearInterval(timer),
  };
}

function targetsOf(flags: BenchCompareFlags): CompareTarget[] {
  const postgres = parsePostgresServer(flags.postgres);
  const engines = flags.engines.split(',').map((e) => e.trim());
  for (const engine of engines) if (engine !== 'sqlite' && engine !== 'postgres') throw new Error(`--engines: "${engine}" is neither sqlite nor postgres`);
  let neutron: CompareTarget;
  if (flags.neutronUrl !== undefined) {
    neutron = runningTarget('neutron', `Neutron at ${flags.neutronUrl}`, 'baseline', flags.neutronUrl, flags.neutronPid);
  } else {
    if (process.getuid?.() !== 0) throw new Error('alcor bench compare installs and starts neutron-server: run it as root (or give --neutron-url)');
    neutron = neutronTarget(postgres, flags.apiWorkers);
  }
  return [neutron, ...engines.map((engine) => alcorTarget(engine as 'sqlite' | 'postgres', postgres))];
}

async function benchCompare(flags: BenchCompareFlags): Promise<void> {
  const targets = targetsOf(flags);
  const progress = progressLog();
  const abort = new AbortController();
  const onSignal = () => {
    progress.log('interrupted: stopping what this run started');
    abort.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const result = await runCompare({
      targets,
      stored: flags.stored,
      concurrency: flags.concurrency,
      bulkSize: flags.bulkSize,
      timeoutMs: flags.timeoutMs,
      baselineSamples: sampleCounts(flags.neutronSamples),
      contenderSamples: sampleCounts(flags.samples),
      command: ['alcor', ...process.argv.slice(2)].join(' '),
      signal: abort.signal,
      log: progress.log,
    });
    const out = flags.out ?? `bench-compare-${result.startedAt.slice(0, 16).replace(/[-:]/g, '').replace('T', '-')}`;
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'compare.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(out, 'compare.svg'), await renderComparePlot(result));
    const markdown = formatCompareMarkdown(result, 'compare.svg');
    writeFileSync(join(out, 'compare.md'), markdown);
    progress.log(`wrote ${join(out, 'compare.json')}, compare.md and compare.svg`);
    process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : markdown);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress.stop();
  }
}

/** Registers `alcor bench compare`. */
export const registerBenchCompare: RegisterCommand = (program: Command) => {
  commandGroup(program, 'bench', 'scalability benchmarks')
    .command('compare')
    .description('install and start neutron-server (as root), then run the `bench api` workload against it and against Alcor on SQLite and PostgreSQL; writes JSON, a Markdown table of ratios and an SVG plot')
    .option('--out <dir>', 'directory for compare.json, compare.md and compare.svg (default bench-compare-<date>-<time>)')
    .option('--stored <n>', 'ports stored for the second level and the paged list', numberOption('--stored'), 10_000)
    .option('--concurrency <n>', 'single creates in flight for the throughput phases', numberOption('--concurrency'), 16)
    .option('--bulk-size <n>', 'ports in the measured bulk create', numberOption('--bulk-size'), 1000)
    .option('--timeout-ms <ms>', 'per-request timeout (Neutron\'s bulk create of 1,000 takes minutes)', numberOption('--timeout-ms'), 1_800_000)
    .option('--samples <n>', 'Alcor: single creates per level with c in flight (a quarter of it one at a time and for the list)', numberOption('--samples'), 2000)
    .option('--neutron-samples <n>', 'Neutron: the same, smaller (it serves ~4 ports/s)', numberOption('--neutron-samples'), 200)
    .option('--engines <list>', 'Alcor database engines to measure', 'sqlite,postgres')
    .option('--postgres <url>', 'PostgreSQL server for the scratch databases (trust authentication)', 'postgres://postgres@127.0.0.1:5432')
    .option('--api-workers <n>', 'neutron-server API worker processes', numberOption('--api-workers'), 2)
    .option('--neutron-url <url>', 'measure a Neutron endpoint that already runs instead of installing one (its ports are stored through the API)')
    .option('--neutron-pid <pid>', 'with --neutron-url: its server process, for CPU and memory', numberOption('--neutron-pid'))
    .option('--json', 'print the JSON result instead of the Markdown table', false)
    .action(benchCompare);
};
