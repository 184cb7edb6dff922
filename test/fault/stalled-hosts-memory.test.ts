/**
 * Pressure: 10 % of the simulated hosts stall (their process is SIGSTOPped) while the VPC they share with
 * the others changes in bulk. The controller keeps at most its per-stream buffer limit for each stalled
 * host (further deltas are dropped, not queued) and sends a snapshot once it drains (or the host comes
 * back on a new stream after the idle timeout closed its old one), so its memory
 * stays about where it is when no host stalls. RSS of both runs is reported as a diagnostic (and bounded
 * in the heavy variant, ALCOR_FAULT_HEAVY=1: 100 of 1,000 hosts stalled).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnAgentWorker, type AgentWorker } from '../../src/bench/agent-workers.js';
import { waitFor } from '../harness/wait-for.js';
import { createNetwork, createPort, createSubnet, withSouthbound, workerHostsBehind } from '../integration/southbound/harness.js';
import { HEAVY, spreadOver, whileStopped } from './harness.js';

const SIZE = HEAVY ? { healthy: 900, stalled: 100, bulks: 100, bulkPorts: 100, burstMs: 30_000 } : { healthy: 18, stalled: 2, bulks: 20, bulkPorts: 100, burstMs: 8000 };
/** Unflushed bytes per agent stream before the controller coalesces it to a snapshot. */
const MAX_PENDING_BYTES = 256 << 10;

function ip(i: number): string {
  return `10.${16 + Math.floor(i / 62_500)}.${Math.floor(i / 250) % 250}.${(i % 250) + 2}`;
}

test(`fault - ${SIZE.stalled} of ${SIZE.healthy + SIZE.stalled} hosts stall during bulk changes: the controller buffers at most its limit per stalled stream, sends them snapshots, and its memory stays bounded`, { timeout: 600_000 }, async (t) => {
  await withSouthbound(async (f) => {
    const c = await f.controller({ maxPendingBytes: MAX_PENDING_BYTES });
    const common = { controller: c.address, stateRoot: f.dir('fault-memory') };
    const healthy = spawnAgentWorker({ ...common, prefix: 'ok', first: 0, count: SIZE.healthy });
    const stalled = spawnAgentWorker({ ...common, prefix: 'stall', first: 0, count: SIZE.stalled });
    for (const w of [stalled, healthy]) f.defer(() => w.child.kill('SIGKILL'));
    await Promise.all([stalled.ready, healthy.ready]);
    const groups: [AgentWorker, string[]][] = [
      [healthy, Array.from({ length: SIZE.healthy }, (_, i) => `ok-${i}`)],
      [stalled, Array.from({ length: SIZE.stalled }, (_, i) => `stall-${i}`)],
    ];
    const hosts = groups.flatMap(([, h]) => h);
    const everyHostConverged = async (what: string) => {
      await c.southbound.notify();
      await waitFor(async () => {
        for (const [worker, group] of groups) if ((await workerHostsBehind(c, worker, group)).length > 0) return false;
        return true;
      }, 120_000, what);
    };
    const net = await createNetwork(c.api);
    const subnet = await createSubnet(c.api, net, '10.16.0.0/12');
    let made = 0;
    for (const host of hosts) await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(made++), host });
    await everyHostConverged('hosts hold the VPC');

    /** Bulk creates spread over the burst time; returns the highest RSS seen meanwhile, in MiB. */
    const burst = async (): Promise<number> => {
      let peak = process.memoryUsage().rss;
      await spreadOver(SIZE.bulks, SIZE.burstMs, async () => {
        for (let i = 0; i < SIZE.bulkPorts; i++) await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(made++), host: hosts[made % hosts.length] as string });
        await c.southbound.notify();
        peak = Math.max(peak, process.memoryUsage().rss);
      });
      return peak / 2 ** 20;
    };

    const withoutStall = await burst();
    await everyHostConverged('hosts converged after the burst without a stall');
    const stalledHosts = groups[1]?.[1] ?? [];
    let withStall = 0;
    await whileStopped(stalled.child, SIZE.burstMs, async () => {
      withStall = await burst();
      // Each stalled stream hit its buffer limit: further deltas are dropped, a snapshot follows once it drains.
      await waitFor(() => stalledHosts.every((h) => c.southbound.server.sessions.get(h)?.state === 'lagging'), 60_000, 'stalled streams coalesced');
      const coalesced = stalledHosts.map((h) => c.southbound.server.sessions.get(h)?.counters.coalesced ?? 0);
      assert.ok(coalesced.every((n) => n >= 1), `deltas dropped for stalled streams (${coalesced.join(', ')})`);
    });
    const resumed = Date.now();
    await everyHostConverged('every host converged after SIGCONT');
    t.diagnostic(`stalled hosts converged ${Date.now() - resumed} ms after SIGCONT`);

    t.diagnostic(`controller RSS peak: ${withoutStall.toFixed(1)} MiB without a stall, ${withStall.toFixed(1)} MiB with ${SIZE.stalled} of ${hosts.length} hosts stalled (${SIZE.bulks} bulks of ${SIZE.bulkPorts} ports each)`);
    // Bounded by the per-stream limit (with room for allocator and collector noise), not by the changes
    // missed. Only the heavy variant misses enough for an unbounded backlog to stand out from that noise.
    if (!HEAVY) return;
    const bound = withoutStall + (2 * SIZE.stalled * MAX_PENDING_BYTES) / 2 ** 20 + 64;
    assert.ok(withStall <= bound, `RSS with stalled hosts ${withStall.toFixed(1)} MiB within ${bound.toFixed(1)} MiB`);
  });
});
