/**
 * `alcor bench nova`: how long Nova waits for `network-vif-plugged` after it binds a port, the wait
 * every libvirt boot has. A spawned `alcor-server` (SQLite) sends its events to the Nova stand-in;
 * simulated hosts (sim driver, real gRPC streams) run in this process. Each sample plays Nova's boot:
 * create the port for a new instance, then bind it to a host as compute:nova; the latency runs from the
 * binding request to the event's arrival at the stand-in.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentRuntime } from '../agent/runtime.js';
import { SimDriver } from '../agent/drivers/sim.js';
import { NovaStandIn } from './nova-stand-in.js';
import { freePort, spawnServer } from './server-process.js';
import { round, summarize, type LatencySummary } from './stats.js';

/** Options of the benchmark. */
export interface NovaBenchOptions {
  /** Boots measured. */
  samples: number;
  /** Simulated hosts the boots are spread over. */
  hosts: number;
  /** ALCOR_NOVA_EVENT_INTERVAL_MS of the controller. */
  intervalMs: number;
  log: (line: string) => void;
}

/** The result, as `--json` prints it. */
export interface NovaBenchResult {
  startedAt: string;
  samples: number;
  hosts: number;
  intervalMs: number;
  /** Binding request sent → network-vif-plugged received by the stand-in. */
  bindToPlugged: LatencySummary;
  /** The binding request alone (Nova's PUT /v2.0/ports/{id}). */
  bindCall: LatencySummary;
  targets: { name: string; value: number; unit: string; target: number; pass: boolean }[];
}

/** p50 of bind → vif-plugged the boot path needs (Neutron batches its events every 2 s). */
export const BIND_TO_PLUGGED_P50_TARGET_MS = 200;

async function json(url: string, method: string, body: unknown): Promise<Record<string, Record<string, string>>> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = (await res.json()) as Record<string, Record<string, string>>;
  if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

/** Runs the benchmark. */
export async function runNovaBench(options: NovaBenchOptions): Promise<NovaBenchResult> {
  const startedAt = new Date().toISOString();
  const nova = new NovaStandIn();
  await nova.start();
  const southbound = `127.0.0.1:${await freePort()}`;
  const server = await spawnServer({
    nodeArgs: [],
    startTimeoutMs: 30_000,
    log: options.log,
    env: { ALCOR_NOVA_URL: nova.url, ALCOR_NOVA_EVENT_INTERVAL_MS: String(options.intervalMs), ALCOR_SOUTHBOUND_LISTEN: southbound },
  });
  const stateDir = mkdtempSync(join(tmpdir(), 'alcor-bench-nova-'));
  const agents: AgentRuntime[] = [];
  try {
    for (let i = 0; i < options.hosts; i++) {
      const hostId = `bench-host-${i}`;
      const datapathIp = `198.18.0.${i + 1}`;
      const dir = join(stateDir, hostId);
      const driver = new SimDriver({ hostId, datapathIp, stateDir: dir, options: {}, log: () => {} });
      const agent = await AgentRuntime.create({ controller: southbound, hostId, datapathIp, driver, stateDir: dir, persistState: false });
      agent.start();
      agents.push(agent);
    }
    const api = `${server.url}/v2.0`;
    await waitForAgents(api, options.hosts);
    const net = (await json(`${api}/networks`, 'POST', { network: { name: 'bench-nova' } })).network?.id ?? '';
    await json(`${api}/subnets`, 'POST', { subnet: { network_id: net, cidr: '10.99.0.0/16', ip_version: 4 } });
    const plugged: number[] = [];
    const bindCalls: number[] = [];
    for (let i = 0; i < options.samples; i++) {
      const instance = randomUUID();
      const host = `bench-host-${i % options.hosts}`;
      nova.servers.set(instance, host);
      const port = (await json(`${api}/ports`, 'POST', { port: { device_id: instance, network_id: net, admin_state_up: true } })).port?.id ?? '';
      const event = nova.nextEvent('network-vif-plugged', port);
      const t0 = Date.now();
      await json(`${api}/ports/${port}`, 'PUT', { port: { device_id: instance, device_owner: 'compute:nova', 'binding:host_id': host } });
      bindCalls.push(Date.now() - t0);
      const arrived = await withTimeout(event, 30_000, `network-vif-plugged of port ${port}`);
      plugged.push(arrived.at - t0);
      if ((i + 1) % 20 === 0) options.log(`${i + 1}/${options.samples} boots`);
    }
    const bindToPlugged = summarize(plugged);
    return {
      startedAt,
      samples: options.samples,
      hosts: options.hosts,
      intervalMs: options.intervalMs,
      bindToPlugged,
      bindCall: summarize(bindCalls),
      targets: [
        { name: 'bind → network-vif-plugged p50', value: round(bindToPlugged.p50Ms), unit: 'ms', target: BIND_TO_PLUGGED_P50_TARGET_MS, pass: bindToPlugged.p50Ms <= BIND_TO_PLUGGED_P50_TARGET_MS },
      ],
    };
  } finally {
    for (const agent of agents) await agent.close().catch(() => undefined);
    await server.stop();
    await nova.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function waitForAgents(api: string, hosts: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(`${api}/agents`);
    const body = (await res.json()) as { agents?: { alive: boolean }[] };
    if ((body.agents ?? []).filter((a) => a.alive).length >= hosts) return;
    if (Date.now() > deadline) throw new Error(`only ${(body.agents ?? []).length} of ${hosts} simulated hosts registered within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not arrive within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
