/**
 * Simulated hosts of one process share a NATS connection (as `alcor bench southbound` runs them). When
 * that process falls behind, the server buffers the hosts' copies of each VPC delta up to its
 * `max_pending` and then cuts the connection as a slow consumer: the deltas in its buffer are lost. The
 * hosts must notice, catch up and converge to the controller's latest state without any further change
 * arriving to reveal the gap.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnAgentWorker, stopAgentWorkers } from '../../../src/bench/agent-workers.js';
import { PrivateNats, requireNats, uniqueBus } from '../../harness/nats.js';
import { waitFor } from '../../harness/wait-for.js';
import { createNetwork, createPort, createSubnet, withSouthbound, workerHostsBehind } from './harness.js';

const HOSTS = 20;
/** Channel policy putting every VPC on the bus. */
const MQ_ONLY = { mode: 'mq', upperPorts: 1000, lowerPorts: 100 } as const;

function ip(i: number): string {
  return `10.9.${Math.floor(i / 250)}.${(i % 250) + 2}`;
}

test('southbound over NATS - hosts sharing a connection the server cut as a slow consumer notice it, catch up and converge with no further change', { timeout: 240_000 }, async (t) => {
  if (!(await requireNats(t))) return;
  const nats = await PrivateNats.start({ maxPendingBytes: 256 * 1024, writeDeadline: '2s' });
  const bus = uniqueBus(nats.url);
  try {
    await withSouthbound(async (f) => {
      const c = await f.controller({ nats: bus, channels: MQ_ONLY });
      const worker = spawnAgentWorker({ controller: c.address, prefix: 'slow', first: 0, count: HOSTS, stateRoot: f.dir('slow-agents'), bus });
      // SIGKILL ends a stopped process too, should the test fail while the worker is stopped.
      f.defer(() => worker.child.kill('SIGKILL'));
      await worker.ready;
      const hosts = Array.from({ length: HOSTS }, (_, i) => `slow-${i}`);
      const net = await createNetwork(c.api);
      const subnet = await createSubnet(c.api, net, '10.9.0.0/16');
      let made = 0;
      for (; made < HOSTS; made++) await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(made), host: hosts[made] as string });
      await c.southbound.notify();
      await waitFor(async () => (await workerHostsBehind(c, worker, hosts)).length === 0, 30_000, 'hosts hold the VPC');

      // The hosts' process stops reading; VPC deltas pile up in the server until it cuts the connection.
      worker.child.kill('SIGSTOP');
      const cut = async () => (await nats.closedConnections()).some((conn) => conn.name === 'alcor-sim-slow-0' && /slow consumer/i.test(conn.reason ?? ''));
      while (!(await cut())) {
        assert.ok(made < 20_000, 'the server cut the stopped hosts\' connection as a slow consumer');
        for (let i = 0; i < 50; i++, made++) await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(made), host: hosts[made % HOSTS] as string });
        await c.southbound.notify();
        await c.southbound.bus?.idle();
      }
      worker.child.kill('SIGCONT');

      // Nothing changes any more: the hosts must find out by themselves what they missed.
      await c.southbound.notify();
      await c.southbound.bus?.idle();
      await waitFor(async () => (await workerHostsBehind(c, worker, hosts)).length === 0, 60_000, 'every host converged after the cut');
      await stopAgentWorkers([worker]);
      assert.ok((worker.totals.disconnects ?? 0) >= 1, 'the hosts saw their connection cut');
    });
  } finally {
    await nats.stop();
  }
});
