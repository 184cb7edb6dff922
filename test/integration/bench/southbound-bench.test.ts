import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { runSouthboundBench, type SouthboundBenchOptions, type SouthboundBenchResult } from '../../../src/bench/southbound-bench.js';
import { requireNats, TEST_NATS_URL } from '../../harness/nats.js';

// `alcor bench southbound` at a tiny scale: worker processes of simulated hosts on real gRPC connections
// (shared per worker, or one per host) and NATS connections; what it reports must add up.
const HOSTS = 6;

function run(overrides: Partial<SouthboundBenchOptions>): Promise<SouthboundBenchResult> {
  return runSouthboundBench({
    hosts: HOSTS, processes: 2, vpcPorts: 12, samples: 4, bigNeighbors: 100, snapshotStates: 200, transport: 'grpc',
    natsUrl: TEST_NATS_URL, fanOutSlice: 64, connectionPerHost: false, hostsNice: 10, tls: false, log: () => {}, progress: () => {}, ...overrides,
  });
}

function checkCommon(result: SouthboundBenchResult): void {
  // The VPC spans every simulated host, plus the one that joins at the end.
  assert.equal(result.newPort.hostsPerChange, HOSTS + 1);
  assert.equal(result.newPort.count, 4);
  assert.equal(result.newPort.samplesMs.length, 4);
  assert.ok(result.newPort.samplesMs.every((ms) => ms > 0));
  assert.ok(result.newPort.p50Ms <= result.newPort.p99Ms);
  assert.ok(result.controller.cpuMsPerChange > 0);
  // /proc counts in 10 ms ticks, which four tiny changes may not reach: read it must be, not above zero.
  assert.ok(Number.isFinite(result.agents.cpuMsPerChange) && result.agents.cpuMsPerChange >= 0, 'worker CPU read from /proc');
  // Counted over the measured creates only (the joining host's port after them is not one of them).
  assert.equal(result.perChange.neighborCompiles, 1, 'one neighbor compile per new port');
  assert.equal(result.join.neighbors, 12 + 4 + 1);
  assert.equal(result.agent.snapshotStates, 200);
  assert.equal(result.targets.length, result.transport === 'nats' ? 7 : 6);
  assert.ok(result.controller.eventLoopDelay.maxMs > 0 && result.controller.eventLoopDelay.p99Ms <= result.controller.eventLoopDelay.maxMs, 'event-loop delay measured');
  assert.equal(result.populate.bulksWithHostsBehind, 0);
}

test('bench southbound - gRPC, hosts sharing their worker\'s connection and with one each', { timeout: 180_000 }, async () => {
  for (const connectionPerHost of [false, true]) {
    const result = await run({ connectionPerHost });
    checkCommon(result);
    assert.equal(result.connectionPerHost, connectionPerHost);
    // Every host of the VPC gets the delta on its stream (its own host also its port).
    assert.ok(result.perChange.messages >= HOSTS && result.perChange.messages <= HOSTS + 2, `messages per change ${result.perChange.messages}`);
    assert.equal(result.perChange.busPublishes, 0);
    assert.equal(result.hostTotals.snapshots, HOSTS + 1, 'one snapshot per host, when it connected');
  }
});

test('bench southbound - NATS: one publish per new port, applied by every host once', { timeout: 180_000 }, async (t: TestContext) => {
  if (!(await requireNats(t))) return;
  for (const connectionPerHost of [false, true]) {
    const result = await run({ transport: 'nats', connectionPerHost });
    checkCommon(result);
    assert.equal(result.perChange.busPublishes, 1);
    assert.equal(result.hostTotals.duplicates ?? 0, 0);
    assert.equal(result.hostTotals.gaps ?? 0, 0);
    assert.equal(result.hostTotals.rejected ?? 0, 0);
    assert.ok((result.hostTotals.applied ?? 0) >= 4 * HOSTS, `bus deltas applied ${result.hostTotals.applied}`);
  }
});

test('bench southbound - mutual TLS: every host connects with its own certificate and the report says so', { timeout: 180_000 }, async () => {
  const result = await run({ tls: true, connectionPerHost: true });
  checkCommon(result);
  assert.equal(result.tls, true);
  assert.ok(result.connect.seconds > 0 && result.connect.controllerCpuMsPerHost > 0, 'connection set-up measured');
});
