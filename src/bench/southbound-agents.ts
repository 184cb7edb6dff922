/**
 * Worker of `alcor bench southbound`: runs many simulated hosts (sim-driver agents, each with its own
 * real gRPC stream) in one process. Started by the benchmark with an IPC channel; it reports `ready`
 * once every agent is connected, and exits when told to (or when its parent goes away).
 *
 *   node southbound-agents.js <controller> <hostPrefix> <first> <count> <stateRoot> [<bus location JSON>]
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AgentRuntime } from '../agent/runtime.js';
import { SimDriver } from '../agent/drivers/sim.js';
import type { BusLocation } from '../agent/nats-consumer.js';

async function main(): Promise<void> {
  const [controller = '127.0.0.1:9016', prefix = 'sim', firstText = '0', countText = '1', stateRoot = '.tmp/bench-agents', busText] = process.argv.slice(2);
  const nats = busText ? (JSON.parse(busText) as BusLocation) : undefined;
  const first = Number(firstText);
  const count = Number(countText);
  const agents: AgentRuntime[] = [];
  for (let i = first; i < first + count; i++) {
    const hostId = `${prefix}-${i}`;
    const stateDir = join(stateRoot, hostId);
    mkdirSync(stateDir, { recursive: true });
    // Unique underlay address per host: 10.255.x.y.
    const datapathIp = `10.${128 + ((i >> 16) & 127)}.${(i >> 8) & 255}.${i & 255}`;
    const driver = new SimDriver({ hostId, datapathIp, stateDir, options: {}, log: () => {} });
    const agent = await AgentRuntime.create({ controller, hostId, datapathIp, driver, stateDir, heartbeatMs: 10_000, persistState: false, ...(nats ? { nats } : {}) });
    agent.start();
    agents.push(agent);
  }
  const ready = setInterval(() => {
    if (agents.every((a) => a.state === 'ready')) {
      clearInterval(ready);
      process.send?.({ type: 'ready', count });
    }
  }, 50);
  const stop = async () => {
    clearInterval(ready);
    // What the hosts went through, summed: snapshots (including re-fetches after a bus gap) and bus consumer events.
    const totals: Record<string, number> = {};
    for (const a of agents) {
      for (const [k, v] of Object.entries({ snapshots: a.counters.snapshots, ...a.bus?.counters })) totals[k] = (totals[k] ?? 0) + v;
    }
    process.send?.({ type: 'counters', totals });
    await Promise.all(agents.map((a) => a.close().catch(() => {})));
    process.exit(0);
  };
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'stop') void stop();
  });
  process.on('disconnect', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`southbound-agents: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
