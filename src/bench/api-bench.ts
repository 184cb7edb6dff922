/**
 * `alcor bench api`: the northbound API benchmark. It speaks only the Neutron v2.0 API, so the same
 * run works against Alcor and against neutron-server (side by side):
 *
 *   setup     one network and one large subnet (default 10.0.0.0/12, so 100k+ ports fit)
 *   single    single-port creates at 0, 10k and 100k ports stored, twice: one at a time (latency: the
 *             service time of a request) and closed-loop with N in flight (throughput). By Little's law
 *             the latency with N in flight is N / throughput, so both are reported.
 *   bulk      one bulk create of 1,000 ports
 *   fill      bulk creates of 1,000 between the levels
 *   list      `GET /v2.0/ports?network_id=X&limit=100`, walking the pages with `marker`
 *   memory    the server's RSS after each phase, when the server runs on this machine
 *
 * Levels and sample counts shrink with `scale` for quick runs.
 */
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { runConcurrently } from './concurrency.js';
import { NeutronClient, UnexpectedResponse } from './neutron-client.js';
import { readProcessCpuMs, readProcessMemory } from './server-process.js';
import { round, summarize, type LatencySummary } from './stats.js';

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
export type CompiledApiBenchOptions = Required<Omit<ApiBenchOptions, 'project' | 'token' | 'serverPid'>> &
  Pick<ApiBenchOptions, 'project' | 'token' | 'serverPid'> & { levels: number[] };

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
    levels: [0, Math.round(10_000 * scale), Math.round(100_000 * scale)],
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
  fill: { bulks: number; ports: number; portsPerSecond: number; p50Ms: number; maxMs: number };
  list: LatencySummary & { stored: number; limit: number; serverCpuMsPerRequest: number | null; rssMb: number | null };
  memory: { rssMb: number | null; peakRssMb: number | null };
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

function serverCpu(options: CompiledApiBenchOptions): number | undefined {
  return options.serverPid === undefined ? undefined : readProcessCpuMs(options.serverPid);
}

/** Server CPU milliseconds per request since `before`, or null when unknown. */
function cpuPerRequest(options: CompiledApiBenchOptions, before: number | undefined, requests: number): number | null {
  const after = serverCpu(options);
  return before === undefined || after === undefined || requests === 0 ? null : round((after - before) / requests, 3);
}

function clientCpuPerRequest(before: NodeJS.CpuUsage, requests: number): number {
  const used = process.cpuUsage(before);
  return round((used.user + used.system) / 1000 / requests, 3);
}

function rss(options: CompiledApiBenchOptions): number | null {
  return options.serverPid === undefined ? null : (readProcessMemory(options.serverPid)?.rssMb ?? null);
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
  const result = { level, storedBefore, concurrency, ...summarize(latencies), portsPerSecond: round(samples / wallS, 0), serverCpuMsPerRequest: cpuPerRequest(options, cpuBefore, samples), clientCpuMsPerRequest: clientCpuPerRequest(clientBefore, samples), rssMb: rss(options) };
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

/**
 * Lifts the project's port quota (Neutron's default of 500 would stop the run) and returns how to put
 * the old limits back. Needs admin rights; without them the run goes on and may hit OverQuota.
 */
async function liftPortQuota(client: NeutronClient, project: string, log: (line: string) => void): Promise<(() => Promise<void>) | undefined> {
  const path = `/v2.0/quotas/${encodeURIComponent(project)}`;
  const before = await client.request('GET', path);
  const raised = await client.request('PUT', path, { quota: { port: -1 } });
  if (raised.status !== 200) {
    log(`could not lift the port quota of project ${project} (${raised.status}); the run may hit OverQuota`);
    return undefined;
  }
  const previous = (before.body as { quota?: { port?: number } } | undefined)?.quota?.port;
  return async () => {
    if (previous !== undefined) await client.request('PUT', path, { quota: { port: previous } });
  };
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
    const memory = options.serverPid === undefined ? undefined : readProcessMemory(options.serverPid);
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
        bulks: state.fillTimes.length,
        ports: state.fillPorts,
        portsPerSecond: state.fillWallMs > 0 ? round(state.fillPorts / (state.fillWallMs / 1000), 0) : 0,
        p50Ms: fillSummary.p50Ms,
        maxMs: fillSummary.maxMs,
      },
      list,
      memory: { rssMb: memory?.rssMb ?? null, peakRssMb: memory?.peakRssMb ?? null },
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

/** Deletes a network after its ports, a page at a time (a network with ports on it is in use, as in Neutron). */
async function deleteNetworkAndPorts(client: NeutronClient, networkId: string, concurrency: number): Promise<void> {
  for (;;) {
    const page = await client.expectOk('GET', `/v2.0/ports?network_id=${networkId}&fields=id&limit=1000`);
    const ids = ((page.body as { ports: { id: string }[] }).ports ?? []).map((p) => p.id);
    if (ids.length === 0) break;
    await runConcurrently(ids.length, concurrency, async (i) => {
      await client.expectOk('DELETE', `/v2.0/ports/${ids[i] ?? ''}`);
    });
  }
  await client.expectOk('DELETE', `/v2.0/networks/${networkId}`);
}
