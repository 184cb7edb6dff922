/**
 * `alcor bench api`: the northbound API benchmark. It speaks only the Neutron v2.0 API, so the same
 * run works against Alcor and against neutron-server (side by side):
 *
 *   setup     one network and one large subnet (default 10.0.0.0/12, so 100k+ ports fit)
 *   single    single-port creates at 0, 10k and 100k ports stored, twice: one at a time (latency: the
 *             service time of a request) and closed-loop with N in flight (throughput). By Little's law
 *             the latency with N in flight is N / throughput, so both are reported.
 *   bulk      one bulk create of 1,000 ports
 *   fill      bulk creates of 1,000 between the levels (or the caller's `fill`, e.g. SQL for neutron-server)
 *   list      `GET /v2.0/ports?network_id=X&limit=100`, walking the pages with `marker`
 *   networks  network creates, each followed by a subnet create on it (deleted afterwards)
 *   memory    the server's RSS after each phase, when the server runs on this machine (summed over the
 *             process and the workers it forked)
 *
 * Levels and sample counts shrink with `scale` for quick runs.
 */
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { runConcurrently } from './concurrency.js';
import { deleteNetworkAndPorts, liftPortQuota, measureNetworkCreates, type NetworkCreateResult } from './api-bench-setup.js';
import { NeutronClient, UnexpectedResponse } from './neutron-client.js';
import { readTreeCpuMs, readTreeMemory } from './process-tree.js';
import { round, summarize, type LatencySummary } from './stats.js';

/**
 * Stores `count` more ports on the benchmark network without the API (e.g. SQL for an endpoint whose
 * bulk create is too slow to fill with); they are named `bench-<firstIndex + i>` like the API's.
 */
export type PortFill = (networkId: string, firstIndex: number, count: number) => Promise<void>;

/** What a run does. Every field has a default; see `compileApiBenchOptions`. */
export interface ApiBenchOptions {
  /** Base URL of the Neutron endpoint. @default "http://127.0.0.1:9696" */
  url?: string;
  /** `X-Project-Id` of every request (noauth). @default undefined (the server's default project) */
  project?: string;
  /** `X-Auth-Token` of every request (Keystone). @default undefined */
  token?: string;
  /** Single creates in flight. @default 16 */
  concurrency?: number;
  /** Multiplies the stored-port levels and sample counts (1 = 0/10k/100k). @default 1 */
  scale?: number;
  /** Single creates measured at each level (before scaling). @default 2000 */
  samples?: number;
  /** Single creates measured one at a time at each level (before scaling). @default 500 */
  latencySamples?: number;
  /** Paged list requests measured (before scaling). @default 500 */
  listSamples?: number;
  /** Ports per bulk create, for the measured bulk and the fill. @default 1000 */
  bulkSize?: number;
  /** Stored-port levels to measure at, overriding the scaled 0 / 10k / 100k. @default undefined */
  levels?: number[];
  /** Fills between levels instead of bulk creates through the API. @default undefined (the API) */
  fill?: PortFill;
  /** Network creates (each with a subnet create) measured. @default 20 */
  networkSamples?: number;
  /** CIDR of the benchmark subnet. @default "10.0.0.0/12" */
  cidr?: string;
  /** Pid of the local server process, for RSS. @default undefined (RSS not reported) */
  serverPid?: number;
  /** Delete the benchmark network at the end. @default true */
  cleanup?: boolean;
  /** Per-request timeout; neutron-server needs minutes for a bulk create of 1,000. @default 600000 */
  timeoutMs?: number;
  /** Progress output. @default no output */
  log?: (line: string) => void;
}

/** Compiled options: every field set. */
export type CompiledApiBenchOptions = Required<Omit<ApiBenchOptions, 'project' | 'token' | 'serverPid' | 'fill'>> &
  Pick<ApiBenchOptions, 'project' | 'token' | 'serverPid' | 'fill'>;

/** Fills in defaults and validates; throws RangeError naming the bad option. */
export function compileApiBenchOptions(options: ApiBenchOptions): CompiledApiBenchOptions {
  const scale = options.scale ?? 1;
  if (!(scale > 0 && scale <= 10)) throw new RangeError(`--scale ${scale}: expected a number in (0, 10]`);
  const concurrency = options.concurrency ?? 16;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1024) throw new RangeError(`--concurrency ${concurrency}: expected 1..1024`);
  const bulkSize = options.bulkSize ?? 1000;
  if (!Number.isInteger(bulkSize) || bulkSize < 1) throw new RangeError(`--bulk-size ${bulkSize}: expected a positive integer`);
  const samples = Math.max(50, Math.round((options.samples ?? 2000) * Math.min(1, scale)));
  const latencySamples = Math.max(20, Math.round((options.latencySamples ?? 500) * Math.min(1, scale)));
  const listSamples = Math.max(20, Math.round((options.listSamples ?? 500) * Math.min(1, scale)));
  const levels = options.levels ?? [0, Math.round(10_000 * scale), Math.round(100_000 * scale)];
  if (levels.length === 0 || levels.some((l, i) => !Number.isInteger(l) || l < 0 || (i > 0 && l <= (levels[i - 1] ?? 0)))) {
    throw new RangeError(`levels ${levels.join(',')}: expected increasing non-negative integers`);
  }
  const networkSamples = options.networkSamples ?? 20;
  if (!Number.isInteger(networkSamples) || networkSamples < 0) throw new RangeError(`network samples ${networkSamples}: expected a non-negative integer`);
  return {
    url: (options.url ?? 'http://127.0.0.1:9696').replace(/\/+$/, ''),
    project: options.project,
    token: options.token,
    concurrency,
    scale,
    samples,
    latencySamples,
    listSamples,
    bulkSize,
    cidr: options.cidr ?? '10.0.0.0/12',
    serverPid: options.serverPid,
    cleanup: options.cleanup ?? true,
    timeoutMs: options.timeoutMs ?? 600_000,
    log: options.log ?? (() => undefined),
    levels,
    fill: options.fill,
    networkSamples,
  };
}

/** Single creates measured at one stored level. */
export interface SinglePhaseResult extends LatencySummary {
  /** The nominal stored level (0, 10k, 100k at scale 1) the phase belongs to. */
  level: number;
  /** Requests in flight during the phase. */
  concurrency: number;
  storedBefore: number;
  portsPerSecond: number;
  /** Server CPU time per request during the phase (local server only). */
  serverCpuMsPerRequest: number | null;
  /** This client's own CPU time per request (it shares the machine with a local server). */
  clientCpuMsPerRequest: number;
  rssMb: number | null;
}

/** One benchmark target and whether the run met it. */
export interface TargetResult {
  name: string;
  target: string;
  value: number | null;
  unit: string;
  pass: boolean | null;
}

/** The machine-readable result (`--json`). */
export interface ApiBenchResult {
  tool: 'alcor bench api';
  formatVersion: 1;
  startedAt: string;
  durationS: number;
  url: string;
  concurrency: number;
  scale: number;
  /** The machine the client ran on (the server too, when local), with its 1-minute load before and after. */
  environment: { cpus: number; memoryGb: number; node: string; loadAverageBefore: number; loadAverageAfter: number };
  single: SinglePhaseResult[];
  bulk: { size: number; storedBefore: number; ms: number; serverCpuMs: number | null; rssMb: number | null };
  /** How the levels were reached: bulk creates through the API, or the caller's `fill` ("external"). */
  fill: { method: 'api' | 'external'; bulks: number; ports: number; portsPerSecond: number; p50Ms: number; maxMs: number };
  list: LatencySummary & { stored: number; limit: number; serverCpuMsPerRequest: number | null; rssMb: number | null };
  networks: NetworkCreateResult;
  /** At the end, summed over the server process and its descendants (PSS counts shared pages once). */
  memory: { rssMb: number | null; peakRssMb: number | null; pssMb: number | null; processes: number | null };
  targets: TargetResult[];
}

interface RunState {
  client: NeutronClient;
  options: CompiledApiBenchOptions;
  networkId: string;
  stored: number;
  fillTimes: number[];
  fillPorts: number;
  fillWallMs: number;
}

export function serverCpu(options: CompiledApiBenchOptions): number | undefined {
  return options.serverPid === undefined ? undefined : readTreeCpuMs(options.serverPid);
}

/** Server CPU milliseconds per request since `before`, or null when unknown. */
export function cpuPerRequest(options: CompiledApiBenchOptions, before: number | undefined, requests: number): number | null {
  const after = serverCpu(options);
  return before === undefined || after === undefined || requests === 0 ? null : round((after - before) / requests, 3);
}

function clientCpuPerRequest(before: NodeJS.CpuUsage, requests: number): number {
  const used = process.cpuUsage(before);
  return round((used.user + used.system) / 1000 / requests, 3);
}

function rss(options: CompiledApiBenchOptions): number | null {
  return options.serverPid === undefined ? null : (readTreeMemory(options.serverPid)?.rssMb ?? null);
}

function portBody(state: RunState): { network_id: string; name: string } {
  return { network_id: state.networkId, name: `bench-${state.stored++}` };
}

async function bulkCreate(state: RunState, size: number): Promise<number> {
  const ports = Array.from({ length: size }, () => portBody(state));
  const res = await state.client.expectOk('POST', '/v2.0/ports', { ports });
  const created = (res.body as { ports?: unknown[] } | undefined)?.ports?.length;
  if (created !== size) throw new UnexpectedResponse('POST', '/v2.0/ports', res);
  return res.ms;
}

async function fillTo(state: RunState, level: number): Promise<void> {
  const { options } = state;
  if (state.stored >= level) return;
  if (options.fill) {
    options.log(`fill: storing ${level - state.stored} ports outside the API`);
    await options.fill(state.networkId, state.stored, level - state.stored);
    state.fillPorts += level - state.stored;
    state.stored = level;
    return;
  }
  const started = performance.now();
  let lastReport = 0;
  while (state.stored < level) {
    const size = Math.min(options.bulkSize, level - state.stored);
    state.fillTimes.push(await bulkCreate(state, size));
    state.fillPorts += size;
    if (performance.now() - lastReport > 5000) {
      lastReport = performance.now();
      options.log(`fill: ${state.stored}/${level} ports stored`);
    }
  }
  state.fillWallMs += performance.now() - started;
}

async function measureSingles(state: RunState, level: number, samples: number, concurrency: number): Promise<SinglePhaseResult> {
  const { options, client } = state;
  const storedBefore = state.stored;
  const latencies: number[] = [];
  const cpuBefore = serverCpu(options);
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  await runConcurrently(samples, concurrency, async () => {
    const res = await client.expectOk('POST', '/v2.0/ports', { port: portBody(state) });
    latencies.push(res.ms);
  });
  const wallS = (performance.now() - started) / 1000;
  const result = { level, storedBefore, concurrency, ...summarize(latencies), portsPerSecond: round(samples / wallS, samples / wallS < 100 ? 2 : 0), serverCpuMsPerRequest: cpuPerRequest(options, cpuBefore, samples), clientCpuMsPerRequest: clientCpuPerRequest(clientBefore, samples), rssMb: rss(options) };
  options.log(`single creates at ${storedBefore} stored, ${concurrency} in flight: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ${result.portsPerSecond} ports/s, server CPU ${result.serverCpuMsPerRequest ?? '-'} ms/port`);
  return result;
}

async function measureList(state: RunState, limit: number): Promise<LatencySummary> {
  const { options, client, networkId } = state;
  const latencies: number[] = [];
  let marker: string | undefined;
  for (let i = 0; i < options.listSamples; i++) {
    const path = `/v2.0/ports?network_id=${networkId}&limit=${limit}${marker ? `&marker=${marker}` : ''}`;
    const res = await client.expectOk('GET', path);
    latencies.push(res.ms);
    const ports = (res.body as { ports?: { id: string }[] }).ports ?? [];
    marker = ports.length === limit ? ports.at(-1)?.id : undefined;
  }
  return summarize(latencies);
}

function target(name: string, target: string, value: number | null, unit: string, ok: (v: number) => boolean): TargetResult {
  return { name, target, value, unit, pass: value === null || Number.isNaN(value) ? null : ok(value) };
}

/** Evaluates the issue's targets against a result (meaningful at scale 1). */
export function evaluateTargets(result: Omit<ApiBenchResult, 'targets'>): TargetResult[] {
  const topLevel = Math.max(...result.single.map((s) => s.level));
  const atTop = result.single.filter((s) => s.level === topLevel);
  const serial = atTop.find((s) => s.concurrency === 1);
  const loaded = atTop.find((s) => s.concurrency === result.concurrency) ?? atTop.at(-1);
  return [
    target(`single create p50, one at a time, at ${serial?.storedBefore ?? 0} stored`, '<= 5', serial?.p50Ms ?? null, 'ms', (v) => v <= 5),
    target(`single create p99, one at a time, at ${serial?.storedBefore ?? 0} stored`, '<= 20', serial?.p99Ms ?? null, 'ms', (v) => v <= 20),
    target(`sustained single creates, ${loaded?.concurrency ?? 0} in flight, at ${loaded?.storedBefore ?? 0} stored`, '>= 1000', loaded?.portsPerSecond ?? null, 'ports/s', (v) => v >= 1000),
    target(`bulk create of ${result.bulk.size}`, '<= 1000', result.bulk.ms, 'ms', (v) => v <= 1000),
    target(`paged list p50 at ${result.list.stored} stored`, '<= 20', result.list.p50Ms, 'ms', (v) => v <= 20),
    target('server RSS at the top level', '<= 300', result.memory.rssMb, 'MB', (v) => v <= 300),
  ];
}

/** Runs the whole benchmark against an endpoint. */
export async function runApiBench(input: ApiBenchOptions): Promise<ApiBenchResult> {
  const options = compileApiBenchOptions(input);
  const client = new NeutronClient({ url: options.url, project: options.project, token: options.token, maxSockets: options.concurrency + 2, timeoutMs: options.timeoutMs });
  const startedAt = new Date();
  const loadBefore = round(loadavg()[0] ?? 0);
  const t0 = performance.now();
  let networkId: string | undefined;
  let restoreQuota: (() => Promise<void>) | undefined;
  try {
    options.log(`setup: network and subnet ${options.cidr} at ${options.url}`);
    await client.expectOk('GET', '/v2.0/networks?limit=1');
    const net = await client.expectOk('POST', '/v2.0/networks', { network: { name: `alcor-bench-${startedAt.getTime()}` } });
    networkId = String(net.body.network.id);
    restoreQuota = await liftPortQuota(client, String(net.body.network.project_id ?? net.body.network.tenant_id), options.log);
    await client.expectOk('POST', '/v2.0/subnets', {
      subnet: { network_id: networkId, ip_version: 4, cidr: options.cidr, name: 'alcor-bench', enable_dhcp: false },
    });
    const state: RunState = { client, options, networkId, stored: 0, fillTimes: [], fillPorts: 0, fillWallMs: 0 };

    // Warm-up (JIT, statement caches, sockets); these ports count as stored but are not measured.
    options.log(`warm-up: ${Math.min(100, options.samples)} single creates, not measured`);
    await runConcurrently(Math.min(100, options.samples), options.concurrency, async () => {
      await client.expectOk('POST', '/v2.0/ports', { port: portBody(state) });
    });

    const single: SinglePhaseResult[] = [];
    let bulk: ApiBenchResult['bulk'] | undefined;
    for (const level of options.levels) {
      await fillTo(state, level);
      single.push(await measureSingles(state, level, options.latencySamples, 1));
      single.push(await measureSingles(state, level, options.samples, options.concurrency));
      if (!bulk) {
        const storedBefore = state.stored;
        const cpuBefore = serverCpu(options);
        const ms = round(await bulkCreate(state, options.bulkSize));
        bulk = { size: options.bulkSize, storedBefore, ms, serverCpuMs: cpuPerRequest(options, cpuBefore, 1), rssMb: rss(options) };
        options.log(`bulk create of ${options.bulkSize} at ${storedBefore} stored: ${bulk.ms} ms`);
      }
    }
    const limit = 100;
    const listCpuBefore = serverCpu(options);
    const listSummary = await measureList(state, limit);
    const list = { stored: state.stored, limit, ...listSummary, serverCpuMsPerRequest: cpuPerRequest(options, listCpuBefore, listSummary.count), rssMb: rss(options) };
    options.log(`list limit=${limit} at ${state.stored} stored: p50 ${list.p50Ms} ms, p99 ${list.p99Ms} ms`);
    const networks = await measureNetworkCreates(client, options.networkSamples, () => serverCpu(options), (before, requests) => cpuPerRequest(options, before, requests));
    if (options.networkSamples > 0) options.log(`network create p50 ${networks.network.p50Ms} ms, subnet create p50 ${networks.subnet.p50Ms} ms`);
    const memory = options.serverPid === undefined ? undefined : readTreeMemory(options.serverPid);
    const fillSummary = summarize(state.fillTimes);
    const partial = {
      tool: 'alcor bench api' as const,
      formatVersion: 1 as const,
      startedAt: startedAt.toISOString(),
      durationS: round((performance.now() - t0) / 1000, 1),
      url: options.url,
      concurrency: options.concurrency,
      scale: options.scale,
      environment: {
        cpus: availableParallelism(),
        memoryGb: round(totalmem() / 2 ** 30, 1),
        node: process.version,
        loadAverageBefore: loadBefore,
        loadAverageAfter: round(loadavg()[0] ?? 0),
      },
      single,
      bulk: bulk ?? { size: options.bulkSize, storedBefore: 0, ms: NaN, serverCpuMs: null, rssMb: null },
      fill: {
        method: options.fill ? ('external' as const) : ('api' as const),
        bulks: state.fillTimes.length,
        ports: state.fillPorts,
        portsPerSecond: state.fillWallMs > 0 ? round(state.fillPorts / (state.fillWallMs / 1000), 0) : 0,
        p50Ms: fillSummary.p50Ms,
        maxMs: fillSummary.maxMs,
      },
      list,
      networks,
      memory: { rssMb: memory?.rssMb ?? null, peakRssMb: memory?.peakRssMb ?? null, pssMb: memory?.pssMb ?? null, processes: memory?.processes ?? null },
    };
    return { ...partial, targets: evaluateTargets(partial) };
  } finally {
    if (networkId !== undefined && options.cleanup) {
      options.log('cleanup: deleting the benchmark network and its ports');
      await deleteNetworkAndPorts(client, networkId, options.concurrency).catch((err: unknown) => options.log(`cleanup failed: ${String(err)}`));
      await restoreQuota?.().catch((err: unknown) => options.log(`restoring the quota failed: ${String(err)}`));
    }
    client.close();
  }
}
