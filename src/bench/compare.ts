/**
 * `alcor bench compare`: the same `alcor bench api` workload against Neutron and against Alcor, one
 * server after the other in one run, so that the ratios come from one machine, one client and one day.
 *
 * Each target gets levels 0 and `stored` ports: warm-up, single creates (c = 1 and c = 16), one bulk create
 * of 1,000, the fill to `stored` (SQL for neutron-server, bulk creates through the API for Alcor), single
 * creates again, the paged list, network and subnet creates; CPU and memory of its process tree. Neutron
 * gets fewer samples than Alcor (it is ~300× slower per request); the result records every count (`alcor
 * bench api` measures at least 50 creates with c in flight and 20 of the other kinds).
 */
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { runApiBench, type ApiBenchResult } from './api-bench.js';
import type { CompareTarget } from './compare-targets.js';
import { round } from './stats.js';

/** Requests measured per phase for one kind of target. */
export interface SampleCounts {
  /** Single creates with `concurrency` in flight, per level; the other counts derive from it. */
  throughput: number;
  latency: number;
  list: number;
  networks: number;
}

/** Sample counts from the single-create count: a quarter of it one at a time and for the list. */
export function sampleCounts(throughput: number): SampleCounts {
  if (!Number.isInteger(throughput) || throughput < 20) throw new RangeError(`samples ${throughput}: expected an integer >= 20`);
  return { throughput, latency: Math.round(throughput / 4), list: Math.round(throughput / 4), networks: Math.max(10, Math.round(throughput / 40)) };
}

/** What a comparison does. */
export interface CompareOptions {
  /** Neutron first (the baseline), then the contenders. */
  targets: CompareTarget[];
  /** Ports stored for the second level and the paged list. @default 10000 */
  stored?: number;
  /** Single creates in flight. @default 16 */
  concurrency?: number;
  /** Ports in the measured bulk create (and in each bulk of an API fill). @default 1000 */
  bulkSize?: number;
  /** Per-request timeout: neutron-server's bulk create of 1,000 takes minutes, more on a busy machine. @default 1800000 */
  timeoutMs?: number;
  /** Sample counts for the baseline. @default sampleCounts(200) */
  baselineSamples?: SampleCounts;
  /** Sample counts for the contenders. @default sampleCounts(2000) */
  contenderSamples?: SampleCounts;
  /** The command line, recorded in the result. @default "alcor bench compare" */
  command?: string;
  /** Stops the target that runs and ends the comparison. */
  signal?: AbortSignal;
  /** Progress lines. @default no output */
  log?: (line: string) => void;
}

/** One target's run. */
export interface CompareRun {
  name: string;
  label: string;
  role: CompareTarget['role'];
  loadAverageBefore: number;
  loadAverageAfter: number;
  result: ApiBenchResult;
}

/** The machine-readable result of `alcor bench compare`. */
export interface CompareResult {
  tool: 'alcor bench compare';
  formatVersion: 1;
  command: string;
  startedAt: string;
  durationS: number;
  stored: number;
  concurrency: number;
  bulkSize: number;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string };
  runs: CompareRun[];
}

/** Runs the workload against each target in turn; every target is stopped whatever happens. */
export async function runCompare(options: CompareOptions): Promise<CompareResult> {
  const stored = options.stored ?? 10_000;
  const concurrency = options.concurrency ?? 16;
  const bulkSize = options.bulkSize ?? 1000;
  const log = options.log ?? (() => undefined);
  const startedAt = new Date();
  const t0 = performance.now();
  const runs: CompareRun[] = [];
  for (const target of options.targets) {
    options.signal?.throwIfAborted();
    const samples = target.role === 'baseline' ? (options.baselineSamples ?? sampleCounts(200)) : (options.contenderSamples ?? sampleCounts(2000));
    const prefixed = (line: string) => log(`[${target.name}] ${line}`);
    prefixed(`starting ${target.label}`);
    const started = await target.start(prefixed);
    const abort = () => void started.stop();
    options.signal?.addEventListener('abort', abort);
    try {
      const loadAverageBefore = round(loadavg()[0] ?? 0);
      const result = await runApiBench({
        url: started.url,
        serverPid: started.pid,
        fill: started.fill,
        levels: [0, stored],
        concurrency,
        bulkSize,
        timeoutMs: options.timeoutMs ?? 1_800_000,
        samples: samples.throughput,
        latencySamples: samples.latency,
        listSamples: samples.list,
        networkSamples: samples.networks,
        // A started server's data goes with it; on a running endpoint the run deletes what it created.
        cleanup: !started.throwaway,
        log: prefixed,
      });
      runs.push({ name: target.name, label: target.label, role: target.role, loadAverageBefore, loadAverageAfter: round(loadavg()[0] ?? 0), result });
    } finally {
      options.signal?.removeEventListener('abort', abort);
      prefixed('stopping');
      await started.stop();
    }
  }
  return {
    tool: 'alcor bench compare',
    formatVersion: 1,
    command: options.command ?? 'alcor bench compare',
    startedAt: startedAt.toISOString(),
    durationS: round((performance.now() - t0) / 1000, 1),
    stored,
    concurrency,
    bulkSize,
    machine: { cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown', memoryGb: round(totalmem() / 2 ** 30, 1), node: process.version },
    runs,
  };
}
