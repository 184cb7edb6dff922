/**
 * Fault: a host's agent process is SIGSTOPped in the middle of a burst of changes to its VPC (creates,
 * rebinds, deletes), stays stopped after it, then gets SIGCONT. Over gRPC (its stream's buffer fills up:
 * the controller drops deltas and sends a snapshot) and over NATS (the server cuts its connection as a
 * slow consumer or the deltas wait in its buffer), every host must hold exactly the controller's latest
 * state within the stated time, and the store must hold exactly the ports the workload left.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { spawnAgentWorker, type AgentWorker } from '../../src/bench/agent-workers.js';
import { deleteStream, requireNats, uniqueBus } from '../harness/nats.js';
import { waitFor } from '../harness/wait-for.js';
import { bindPort, createNetwork, createPort, createSubnet, deletePort, withSouthbound, workerHostsBehind, type SouthboundFixture, type TestController } from '../integration/southbound/harness.js';
import { HEAVY, spreadOver, whileStopped } from './harness.js';

const SIZE = HEAVY ? { changes: 5000, burstMs: 50_000, stallMs: 60_000, hosts: 10 } : { changes: 600, burstMs: 8000, stallMs: 12_000, hosts: 6 };
/** Every host holds the controller's latest state this long after SIGCONT at the latest. */
const CONVERGE_MS = HEAVY ? 120_000 : 30_000;

function ip(i: number): string {
  return `10.9.${Math.floor(i / 250)}.${(i % 250) + 2}`;
}

/** Simulated hosts in two processes: `stall-0` alone in the one the test stops, the rest in another. */
async function startHosts(f: SouthboundFixture, c: TestController, bus: ReturnType<typeof uniqueBus> | undefined): Promise<{ stalled: AgentWorker; healthy: AgentWorker; all: string[] }> {
  const common = { controller: c.address, stateRoot: f.dir('fault-agents'), ...(bus ? { bus } : {}) };
  const stalled = spawnAgentWorker({ ...common, prefix: 'stall', first: 0, count: 1 });
  const healthy = spawnAgentWorker({ ...common, prefix: 'ok', first: 0, count: SIZE.hosts - 1 });
  // SIGKILL ends a stopped process too, should the test fail while it is stopped.
  for (const w of [stalled, healthy]) f.defer(() => w.child.kill('SIGKILL'));
  await Promise.all([stalled.ready, healthy.ready]);
  return { stalled, healthy, all: ['stall-0', ...Array.from({ length: SIZE.hosts - 1 }, (_, i) => `ok-${i}`)] };
}

async function agentStallFault(t: TestContext, transport: 'grpc' | 'nats'): Promise<void> {
  const url = transport === 'nats' ? await requireNats(t) : undefined;
  if (transport === 'nats' && !url) return;
  const bus = url ? uniqueBus(url) : undefined;
  try {
    await withSouthbound(async (f) => {
      const c = await f.controller(bus ? { nats: bus, channels: { mode: 'mq', upperPorts: 1000, lowerPorts: 100 } } : {});
      const { stalled, healthy, all } = await startHosts(f, c, bus);
      const behind = async () => [...(await workerHostsBehind(c, stalled, ['stall-0'])), ...(await workerHostsBehind(c, healthy, all.slice(1)))];
      const net = await createNetwork(c.api);
      const subnet = await createSubnet(c.api, net, '10.9.0.0/16');
      /** Port id → host: what the store must hold at the end. */
      const ports = new Map<string, string>();
      let made = 0;
      const create = async (host: string) => ports.set(await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(made++), host }), host);
      for (const host of all) await create(host);
      await c.southbound.notify();
      await waitFor(async () => (await behind()).length === 0, 30_000, 'hosts hold the VPC');

      // The burst: creates on every host (the stopped one too), every 4th change a delete, every 7th a rebind.
      await whileStopped(stalled.child, SIZE.stallMs, () =>
        spreadOver(SIZE.changes, SIZE.burstMs, async (i) => {
          const ids = [...ports.keys()];
          const victim = ids[(i * 7919) % ids.length] as string;
          if (i % 4 === 3) {
            await deletePort(c.api, victim);
            ports.delete(victim);
          } else if (i % 7 === 6) {
            const host = all[i % all.length] as string;
            await bindPort(c.api, victim, host);
            ports.set(victim, host);
          } else await create(all[i % all.length] as string);
          if (i % 10 === 9) await c.southbound.notify();
        }),
      );
      const resumed = Date.now();
      await c.southbound.notify();
      await waitFor(async () => (await behind()).length === 0, CONVERGE_MS, `every host converged within ${CONVERGE_MS} ms of SIGCONT`);
      t.diagnostic(`${transport}: ${SIZE.changes} changes, stopped ${SIZE.stallMs} ms, converged ${Date.now() - resumed} ms after SIGCONT`);

      const stored = await c.store.read((q) => q.all<{ id: string; binding_host_id: string }>('SELECT id, binding_host_id FROM ports WHERE network_id = ?', [net]));
      assert.equal(stored.length, ports.size, 'no port lost or duplicated in the store');
      for (const p of stored) assert.equal(ports.get(p.id), p.binding_host_id, `port ${p.id} where the workload left it`);
      // Converged means each host holds exactly its snapshot: every port and neighbor once, nothing else.
    });
  } finally {
    if (bus) await deleteStream(bus.url, bus.stream);
  }
}

test(`fault - an agent SIGSTOPped during a burst of ${SIZE.changes} changes to its VPC converges after SIGCONT, nothing lost (gRPC)`, { timeout: 300_000 }, (t) => agentStallFault(t, 'grpc'));

test(`fault - an agent SIGSTOPped during a burst of ${SIZE.changes} changes to its VPC converges after SIGCONT, nothing lost (NATS)`, { timeout: 300_000 }, (t) => agentStallFault(t, 'nats'));
