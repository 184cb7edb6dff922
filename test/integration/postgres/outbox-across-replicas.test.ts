/**
 * Outbox across replicas: a change committed through replica A reaches an agent connected to replica B
 * (both data-plane managers tail the one PostgreSQL outbox; LISTEN/NOTIFY wakes B at A's commit), and
 * B's port-status write (ACTIVE) is visible through A.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PostgresStore } from '../../../src/store/postgres.js';
import { notifyingStore, startSouthbound, type Southbound } from '../../../src/southbound/southbound.js';
import { waitFor } from '../../harness/wait-for.js';
import { cleanup, createNetwork, createPort, createSubnet, portStatus, startAgent, type TestAgent } from '../southbound/harness.js';
import { POSTGRES, withStores } from '../store/engines.js';

test('postgres - a port created through one replica is programmed on an agent of another and turns ACTIVE', { timeout: 120_000 }, async (t) => {
  await withStores(POSTGRES, t, 2, async ([storeA, storeB]) => {
    assert.ok(storeA && storeB);
    const southbounds: Southbound[] = [];
    const agents: TestAgent[] = [];
    const closers: (() => void)[] = [];
    try {
      for (const store of [storeA, storeB]) {
        const sb = await startSouthbound(store, { listen: '127.0.0.1:0', pollIntervalMs: 60_000 });
        southbounds.push(sb);
        closers.push(await (store as PostgresStore).onChanges(() => void sb.notify()));
      }
      const [a, b] = southbounds as [Southbound, Southbound];
      const apiA = notifyingStore(storeA, () => void a.notify());
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
      await cleanup({ agents, closers });
      for (const sb of southbounds) await sb.close();
    }
  });
});
