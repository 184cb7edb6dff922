/**
 * Outbox across replicas: a change committed through replica A reaches an agent connected to replica B
 * (both data-plane managers tail the one PostgreSQL outbox; LISTEN/NOTIFY wakes B at A's commit), and
 * B's port-status write (ACTIVE) is visible through A. With a NATS bus, both replicas publish every VPC
 * delta with the same message id: the stream keeps one copy and agents on both replicas apply each once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { PostgresStore } from '../../../src/store/postgres.js';
import type { Store } from '../../../src/store/store.js';
import { notifyingStore, startSouthbound, type Southbound, type SouthboundOptions } from '../../../src/southbound/southbound.js';
import { deleteStream, requireNats, uniqueBus } from '../../harness/nats.js';
import { waitFor } from '../../harness/wait-for.js';
import { cleanup, createNetwork, createPort, createSubnet, portStatus, startAgent, type TestAgent } from '../southbound/harness.js';
import { POSTGRES, withStores } from '../store/engines.js';

/** Controller replicas over `stores`: a southbound each, woken by any replica's commit (NOTIFY) and not by polling. */
async function startReplicas(stores: readonly Store[], options: SouthboundOptions = {}) {
  const southbounds: Southbound[] = [];
  const closers: (() => void)[] = [];
  for (const store of stores) {
    const sb = await startSouthbound(store, { listen: '127.0.0.1:0', pollIntervalMs: 60_000, ...options });
    southbounds.push(sb);
    closers.push(await (store as PostgresStore).onChanges(() => void sb.notify()));
  }
  return {
    southbounds,
    /** The stores the "API" of each replica writes through. */
    apis: stores.map((store, i) => notifyingStore(store, () => void southbounds[i]?.notify())),
    async stop() {
      for (const close of closers) close();
      for (const sb of southbounds) await sb.close();
    },
  };
}

test('postgres - a port created through one replica is programmed on an agent of another and turns ACTIVE', { timeout: 120_000 }, async (t) => {
  await withStores(POSTGRES, t, 2, async ([storeA, storeB]) => {
    assert.ok(storeA && storeB);
    const replicas = await startReplicas([storeA, storeB]);
    const agents: TestAgent[] = [];
    try {
      const [, b] = replicas.southbounds as [Southbound, Southbound];
      const apiA = replicas.apis[0]!;
      const h1 = await startAgent(`127.0.0.1:${b.port}`, 'h1');
      agents.push(h1);
      await waitFor(() => b.server.sessions.get('h1')?.state === 'live', 20_000, 'h1 live on replica B');
      const net = await createNetwork(apiA);
      const sub = await createSubnet(apiA, net, '10.0.0.0/24');
      const port = await createPort(apiA, { networkId: net, subnetId: sub, ip: '10.0.0.5', host: 'h1' });
      // The poll interval is a minute: only the notification can make this fast.
      await waitFor(() => h1.agent.desired.view.port.has(port), 20_000, 'port from replica A on the agent of replica B');
      await waitFor(async () => (await portStatus(storeA, port)) === 'ACTIVE', 20_000, 'ACTIVE seen through replica A');
    } finally {
      await cleanup({ agents });
      await replicas.stop();
    }
  });
});

test('postgres + nats - two replicas publish every VPC delta, the stream keeps one copy, agents on both replicas get each once', { timeout: 120_000 }, async (t) => {
  const url = await requireNats(t);
  if (!url) return;
  const bus = uniqueBus(url);
  await withStores(POSTGRES, t, 2, async ([storeA, storeB]) => {
    assert.ok(storeA && storeB);
    const replicas = await startReplicas([storeA, storeB], { nats: bus, channels: { mode: 'mq', upperPorts: 1000, lowerPorts: 100 } });
    const { southbounds, apis } = replicas;
    const agents: TestAgent[] = [];
    try {
      const [a, b] = southbounds as [Southbound, Southbound];
      const onA = await startAgent(`127.0.0.1:${a.port}`, 'ra-1', { nats: bus });
      const onB = await startAgent(`127.0.0.1:${b.port}`, 'rb-1', { nats: bus });
      agents.push(onA, onB);
      await waitFor(() => a.server.sessions.get('ra-1')?.state === 'live' && b.server.sessions.get('rb-1')?.state === 'live', 20_000, 'one agent live on each replica');

      const net = await createNetwork(apis[0]!);
      const sub = await createSubnet(apis[0]!, net, '10.8.0.0/24');
      // Each host holds a port of the VPC, so both are members and the other ports reach them as bus deltas.
      const first = [
        await createPort(apis[0]!, { networkId: net, subnetId: sub, ip: '10.8.0.2', host: 'ra-1' }),
        await createPort(apis[1]!, { networkId: net, subnetId: sub, ip: '10.8.0.3', host: 'rb-1' }),
      ];
      await waitFor(() => onA.agent.desired.view.vpc.get(net)?.channel === 'mq' && onB.agent.desired.view.vpc.get(net)?.channel === 'mq', 20_000, 'the VPC is on the bus');
      // The second port reaches ra-1 as a bus delta, which may still be on its way: counting starts after it.
      await waitFor(() => first.every((p) => onA.agent.desired.view.neighbor.has(p) && onB.agent.desired.view.neighbor.has(p)), 20_000, 'both hosts hold the first two neighbors');
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
      await cleanup({ agents });
      await replicas.stop();
      await deleteStream(url, bus.stream);
    }
  });
});
