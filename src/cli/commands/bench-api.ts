/** `alcor bench api`: the Neutron API benchmark (see src/bench/api-bench.ts for what it measures). */
import type { Command } from 'commander';
import { runApiBench, type ApiBenchResult } from '../../bench/api-bench.js';
import { formatApiBenchReport } from '../../bench/api-bench-report.js';
import { spawnServer, type SpawnedServer } from '../../bench/server-process.js';
import { commandGroup, numberOption, type RegisterCommand } from '../command-group.js';

interface BenchApiFlags {
  url: string;
  project?: string;
  token?: string;
  concurrency: number;
  scale: number;
  samples?: number;
  latencySamples?: number;
  listSamples?: number;
  cidr?: string;
  timeoutMs?: number;
  serverPid?: number;
  spawn: boolean;
  serverNodeArg: string[];
  cleanup: boolean;
  json: boolean;
  scrapeEvery?: number;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function benchApi(flags: BenchApiFlags): Promise<void> {
  const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  let server: SpawnedServer | undefined;
  let result: ApiBenchResult;
  let scraper: (() => void) | undefined;
  try {
    if (flags.spawn) {
      server = await spawnServer({ nodeArgs: flags.serverNodeArg, startTimeoutMs: 30_000, log });
      log(`spawned alcor-server pid ${server.pid} at ${server.url} (database ${server.databasePath})`);
    }
    if (flags.scrapeEvery !== undefined) {
      if (!server) throw new Error('--scrape-every needs --spawn (it scrapes the spawned server\'s metrics listener)');
      scraper = scrapeMetrics(server.metricsUrl, flags.scrapeEvery, log);
    }
    result = await runApiBench({
      url: server?.url ?? flags.url,
      project: flags.project,
      token: flags.token,
      concurrency: flags.concurrency,
      scale: flags.scale,
      samples: flags.samples,
      latencySamples: flags.latencySamples,
      listSamples: flags.listSamples,
      cidr: flags.cidr,
      timeoutMs: flags.timeoutMs,
      serverPid: server?.pid ?? flags.serverPid,
      // A spawned server's database is thrown away anyway; deleting 100k ports would only cost time.
      cleanup: flags.cleanup && !server,
      log,
    });
  } finally {
    scraper?.();
    await server?.stop();
  }
  process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : formatApiBenchReport(result));
}

/**
 * Scrapes `<base>/metrics` every `everyMs` during the run, as a Prometheus server would (to measure what
 * scraping costs the API); returns the function that stops it and logs how many scrapes were made.
 */
function scrapeMetrics(base: string, everyMs: number, log: (line: string) => void): () => void {
  const durations: number[] = [];
  let bytes = 0;
  let failures = 0;
  const timer = setInterval(() => {
    const started = performance.now();
    fetch(`${base}/metrics`).then(
      async (res) => {
        const text = await res.text();
        if (!res.ok) return void failures++;
        durations.push(performance.now() - started);
        bytes = text.length;
      },
      () => failures++,
    );
  }, everyMs);
  return () => {
    clearInterval(timer);
    const p50 = [...durations].sort((a, b) => a - b)[Math.floor(durations.length / 2)] ?? 0;
    log(`metrics: ${durations.length} scrapes of ${base}/metrics (p50 ${p50.toFixed(1)} ms, ${(bytes / 1024).toFixed(1)} KB), ${failures} failed`);
  };
}

/** Registers `alcor bench api`. */
export const registerBenchApi: RegisterCommand = (program: Command) => {
  commandGroup(program, 'bench', 'scalability benchmarks')
    .command('api')
    .description('benchmark port creates and paged lists over the Neutron v2.0 API (works against any Neutron endpoint)')
    .option('--url <url>', 'Neutron endpoint (without /v2.0)', 'http://127.0.0.1:9696')
    .option('--project <id>', 'X-Project-Id of every request (noauth)')
    .option('--token <token>', 'X-Auth-Token of every request (Keystone)')
    .option('--concurrency <n>', 'single creates in flight', numberOption('--concurrency'), 16)
    .option('--scale <factor>', 'multiplies stored-port levels (0/10k/100k) and sample counts', numberOption('--scale'), 1)
    .option('--samples <n>', 'single creates measured per level (default 2000, scaled)', numberOption('--samples'))
    .option('--latency-samples <n>', 'single creates measured one at a time per level (default 500, scaled)', numberOption('--latency-samples'))
    .option('--list-samples <n>', 'paged list requests measured (default 500, scaled)', numberOption('--list-samples'))
    .option('--cidr <cidr>', 'CIDR of the benchmark subnet (default 10.0.0.0/12)')
    .option('--timeout-ms <ms>', 'per-request timeout (default 600000: neutron-server takes minutes per bulk of 1,000)', numberOption('--timeout-ms'))
    .option('--server-pid <pid>', 'pid of the local server, to report its RSS', numberOption('--server-pid'))
    .option('--spawn', 'start alcor-server from this build on a free port with a temporary SQLite database', false)
    .option('--server-node-arg <arg>', 'extra node flag for the spawned server, e.g. --cpu-prof (repeatable)', collect, [])
    .option('--no-cleanup', 'keep the benchmark network and its ports')
    .option('--scrape-every <ms>', 'with --spawn: scrape the server\'s metrics listener every <ms> during the run', numberOption('--scrape-every'))
    .option('--json', 'print the result as JSON instead of a table', false)
    .action(benchApi);
};
