/**
 * Two controller replicas on one PostgreSQL database, both publishing to one NATS JetStream bus: each
 * replica compiles every committed change and publishes the VPC delta with the same message id, so the
 * stream stores it once, and agents on either replica get every change over the bus, once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { PostgresStore } from '../../../src/store/postgres.js';
import { notifyingStore, startSouthbound, type Southbound } from '../../../src/southbound/southbound.js';
import { deleteStream, requireNats, uniqueBus } from '../../harness/nats.js';
import { waitFor } from '../../harness/wait-for.js';
import { cleanup, createNetwork, createPort, createSubnet, startAgent, type TestAgent } from '../southbound/harness.js';
import { POSTGRES, withStores } from '../store/engines.js';

test('postgres + nats - two replicas publish every VPC delta, the stream keeps one copy, agents on both replicas get each once', { timeout: 120_000 }, async (t) => {
  const url = await requireNats(t);
  if (!url) return;
  const bus = uniqueBus(url);
  await withStores(POSTGRES, t, 2, async ([storeA, storeB]) => {
    assert.ok(storeA && storeB);
    const southbounds: Southbound[] = [];
    const agents: TestAgent[] = [];
    const closers: (() => void)[] = [];
    try {
      for (const store of [storeA, storeB]) {
        const sb = await startSouthbound(store, { listen: '127.0.0.1:0', pollIntervalMs: 60_000, nats: bus, channels: { mode: 'mq', upperPorts: 1000, lowerPorts: 100 } });
        southbounds.push(sb);
        closers.push(await (store as PostgresStore).onChanges(() => void sb.notify()));
      }
      const [a, b] = southbounds as [Southbound, Southbound];
      const apis = [notifyingStore(storeA, () => void a.notify()), notifyingStore(storeB, () => void b.notify())];
      const onA = await startAgent(`127.0.0.1:${a.port}`, 'ra-1', { nats: bus });
      const onB = await startAgent(`127.0.0.1:${b.port}`, 'rb-1', { nats: bus });
      agents.push(onA, onB);
      await waitFor(() => a.server.sessions.get('ra-1')?.state === 'live' && b.server.sessions.get('rb-1')?.state === 'live', 20_000, 'one agent live on each replica');

      const net = await createNetwork(apis[0]!);
      const sub = await createSubnet(apis[0]!, net, '10.8.0.0/24');
      // Each host holds a port of the VPC, so both are members and the other ports reach them as bus deltas.
      await createPort(apis[0]!, { networkId: net, subnetId: sub, ip: '10.8.0.2', host: 'ra-1' });
      await createPort(apis[1]!, { networkId: net, subnetId: sub, ip: '10.8.0.3', host: 'rb-1' });
      await waitFor(() => onA.agent.desired.view.vpc.get(net)?.channel === 'mq' && onB.agent.desired.view.vpc.get(net)?.channel === 'mq', 20_000, 'the VPC is on the bus');
      const appliedBefore = [onA, onB].map((x) => x.agent.bus?.counters.applied ?? 0);

      const ports: string[] = [];
      for (let i = 0; i < 6; i++) {
        // Alternately through replica A and replica B, bound alternately to each replica's host.
        const port = await createPort(apis[i % 2]!, { networkId: net, subnetId: sub, ip: `10.8.0.${10 + i}`, host: i % 2 ? 'rb-1' : 'ra-1' });
        ports.push(port);
        await waitFor(() => onA.agent.desired.view.neighbor.has(port) && onB.agent.desired.view.neighbor.has(port), 20_000, `neighbor ${i} on both hosts`);
      }
      await Promise.all(southbounds.map((sb) => sb.bus?.idle()));
      const published = southbounds.map((sb) => sb.bus?.counters.published ?? 0);
      assert.ok(published.every((n) => n >= ports.length), `each replica published every delta (${published.join(', ')})`);

      const nc = await connect({ servers: url });
      try {
        const info = await (await jetstreamManager(nc)).streams.info(bus.stream);
        // Replicas that compiled the same batch published the same message id: stored once. (A replica that
        // coalesced two changes into one batch publishes one id the other does not, so allow one extra.)
        const stored = info.state.messages;
        assert.ok(stored >= ports.length + 2 && stored <= Math.max(...published) + 1, `${stored} stored of ${published.join(' + ')} published`);
      } finally {
        await nc.close();
      }
      // Each host applied each neighbor delta once, whichever replica it is connected to.
      for (const [i, x] of [onA, onB].entries()) {
        assert.equal((x.agent.bus?.counters.applied ?? 0) - (appliedBefore[i] ?? 0), ports.length, 'every bus delta applied once');
        assert.equal(x.agent.bus?.counters.gaps, 0);
      }
    } finally {
      await cleanup({ agents, closers });
      for (const sb of southbounds) await sb.close();
      await deleteStream(url, bus.stream);
    }
  });
});
