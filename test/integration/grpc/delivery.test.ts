/** gRPC fast path: ports reach exactly the right hosts, in order, and drive port status. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendChange } from '../../../src/store/outbox.js';
import { waitFor } from '../../harness/wait-for.js';
import {
  bindPort,
  createNetwork,
  createPort,
  createSubnet,
  currentRevision,
  deletePort,
  portStatus,
  setHostRoutes,
  type TestAgent,
  withSouthbound,
} from '../southbound/harness.js';

test('grpc - a bound port is programmed on its host and turns ACTIVE', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    const c = await f.controller();
    const h1 = await f.agent(c.address, 'h1');
    await waitFor(() => c.southbound.server.sessions.get('h1')?.state === 'live', 10_000, 'h1 live');
    const net = await createNetwork(c.api);
    const sub = await createSubnet(c.api, net, '10.0.0.0/24');
    const port = await createPort(c.api, { networkId: net, subnetId: sub, ip: '10.0.0.5', host: 'h1' });
    await waitFor(() => h1.agent.desired.view.port.has(port), 10_000, 'port on h1');
    assert.equal(h1.agent.desired.view.vpc.get(net)?.segmentationId !== undefined, true);
    assert.ok(h1.agent.desired.view.dhcp.has(port), 'DHCP entry for the port');
    assert.ok(h1.agent.desired.view.neighbor.has(port), 'the port is also a neighbor of its own VPC');
    assert.ok(h1.driver.stats().installedEntries > 0);
    await waitFor(async () => (await portStatus(c.store, port)) === 'ACTIVE', 10_000, 'port ACTIVE');
  }),
);

test('grpc - a new port reaches exactly the hosts of its VPC, once, and host routes only hosts of the subnet', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    const c = await f.controller();
    const agents = [];
    for (const [i, h] of ['h1', 'h2', 'h3', 'h4'].entries()) agents.push(await f.agent(c.address, h, { datapathIp: `192.0.2.${i + 1}` }));
    const [h1, h2, h3, h4] = agents as [TestAgent, TestAgent, TestAgent, TestAgent];
    await waitFor(() => c.southbound.server.sessions.size === 4 && [...c.southbound.server.sessions.values()].every((s) => s.state === 'live'), 10_000, 'all live');
    const a = await createNetwork(c.api);
    const a1 = await createSubnet(c.api, a, '10.1.0.0/24');
    const a2 = await createSubnet(c.api, a, '10.1.1.0/24');
    const b = await createNetwork(c.api);
    const b1 = await createSubnet(c.api, b, '10.2.0.0/24');
    const pa1 = await createPort(c.api, { networkId: a, subnetId: a1, ip: '10.1.0.10', host: 'h1' });
    const pa2 = await createPort(c.api, { networkId: a, subnetId: a2, ip: '10.1.1.10', host: 'h2' });
    const pb1 = await createPort(c.api, { networkId: b, subnetId: b1, ip: '10.2.0.10', host: 'h3' });
    await waitFor(() => h1.agent.desired.view.neighbor.has(pa2) && h2.agent.desired.view.neighbor.has(pa1), 10_000, 'VPC A set up');
    await waitFor(() => h3.agent.desired.view.port.has(pb1), 10_000, 'VPC B set up');
    await c.southbound.notify();
    const before = agents.map((h) => h.agent.counters.deltas);

    const p = await createPort(c.api, { networkId: a, subnetId: a1, ip: '10.1.0.11', host: 'h1' });
    const rev = await currentRevision(c.store);
    await waitFor(() => h2.agent.desired.view.neighbor.has(p), 10_000, 'neighbor on h2');
    await waitFor(() => h1.agent.revision >= rev, 10_000, 'h1 applied');
    await c.southbound.notify();
    assert.equal(h1.agent.counters.deltas - (before[0] ?? 0), 1, 'h1 got one delta');
    assert.equal(h2.agent.counters.deltas - (before[1] ?? 0), 1, 'h2 got one delta');
    assert.equal(h3.agent.counters.deltas, before[2], 'h3 (other VPC) got nothing');
    assert.equal(h4.agent.counters.deltas, before[3], 'h4 (no ports) got nothing');
    assert.ok(!h3.agent.desired.view.neighbor.has(p));

    // A host-route change of subnet a2 reaches h2 (port in a2) only, not h1 (same VPC, other subnet).
    const h1Deltas = h1.agent.counters.deltas;
    await setHostRoutes(c.api, a2, [{ destination: '172.16.0.0/16', nexthop: '10.1.1.1' }]);
    await waitFor(() => h2.agent.desired.view.subnet.get(a2)?.hostRoutes.length === 1, 10_000, 'route on h2');
    await c.southbound.notify();
    assert.equal(h1.agent.counters.deltas, h1Deltas, 'h1 has no port in a2');
    assert.equal(h3.agent.counters.deltas, before[2]);
  }),
);

test('grpc - written one stream per turn, a burst of batches reaches every host once each, in revision order', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    // A slice of one stream makes every batch span several event-loop turns, so batches published while
    // an earlier one is still being written must queue behind it.
    const c = await f.controller({ fanOutSlice: 1 });
    const agents: TestAgent[] = [];
    for (const [i, h] of ['h1', 'h2', 'h3'].entries()) agents.push(await f.agent(c.address, h, { datapathIp: `192.0.2.${i + 1}` }));
    await waitFor(() => [...c.southbound.server.sessions.values()].filter((s) => s.state === 'live').length === 3, 10_000, 'all live');
    const net = await createNetwork(c.api);
    const sub = await createSubnet(c.api, net, '10.5.0.0/24');
    for (const [i, h] of ['h1', 'h2', 'h3'].entries()) await createPort(c.api, { networkId: net, subnetId: sub, ip: `10.5.0.${10 + i}`, host: h });
    await c.southbound.notify();
    await waitFor(() => agents.every((a) => a.agent.desired.view.neighbor.size === 3), 10_000, 'VPC set up');
    const deltasBefore = agents.map((a) => a.agent.counters.deltas);
    const batchesBefore = c.southbound.manager.counters.batches;

    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => createPort(c.api, { networkId: net, subnetId: sub, ip: `10.5.0.${100 + i}`, host: 'h1' })));
    await c.southbound.notify();
    const revision = await currentRevision(c.store);
    await waitFor(() => agents.every((a) => a.agent.revision >= revision), 10_000, 'every host at the last revision');
    const batches = c.southbound.manager.counters.batches - batchesBefore;
    for (const [i, a] of agents.entries()) {
      // A delta overtaking an earlier one would make the host drop the earlier one (its revision is behind).
      for (const port of burst) assert.ok(a.agent.desired.view.neighbor.has(port), `host ${i + 1} has neighbor ${port}`);
      assert.equal(a.agent.counters.deltas - (deltasBefore[i] ?? 0), batches, `host ${i + 1} got each of the ${batches} batches once`);
      assert.equal(a.agent.counters.rejected, 0);
    }
  }),
);

test('grpc - binding, moving and unbinding a port programs, moves and removes it', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    const c = await f.controller();
    const h1 = await f.agent(c.address, 'h1', { datapathIp: '192.0.2.1' });
    const h2 = await f.agent(c.address, 'h2', { datapathIp: '192.0.2.2' });
    const net = await createNetwork(c.api);
    const sub = await createSubnet(c.api, net, '10.3.0.0/24');
    const anchor = await createPort(c.api, { networkId: net, subnetId: sub, ip: '10.3.0.2', host: 'h2' });
    const port = await createPort(c.api, { networkId: net, subnetId: sub, ip: '10.3.0.3', host: '' });
    await waitFor(() => h2.agent.desired.view.port.has(anchor), 10_000, 'anchor on h2');
    await c.southbound.notify();
    assert.ok(!h1.agent.desired.view.port.has(port) && !h2.agent.desired.view.neighbor.has(port), 'unbound port is not programmed');
    assert.equal(await portStatus(c.store, port), 'DOWN');

    await bindPort(c.api, port, 'h1');
    await waitFor(() => h1.agent.desired.view.port.has(port), 10_000, 'bound on h1');
    await waitFor(() => h2.agent.desired.view.neighbor.get(port)?.hostIp === '192.0.2.1', 10_000, 'h2 tunnels to h1');
    await waitFor(async () => (await portStatus(c.store, port)) === 'ACTIVE', 10_000, 'ACTIVE on h1');

    await bindPort(c.api, port, 'h2');
    await waitFor(() => h2.agent.desired.view.port.has(port), 10_000, 'moved to h2');
    await waitFor(() => !h1.agent.desired.view.port.has(port), 10_000, 'gone from h1');
    assert.ok(!h1.agent.desired.view.vpc.has(net), 'h1 left the VPC');
    assert.equal(h1.agent.desired.view.neighbor.size, 0, 'h1 dropped the VPC neighbors');
    await waitFor(async () => (await portStatus(c.store, port)) === 'ACTIVE', 10_000, 'ACTIVE on h2');

    await bindPort(c.api, port, '');
    await waitFor(() => !h2.agent.desired.view.port.has(port) && !h2.agent.desired.view.neighbor.has(port), 10_000, 'unbound');
    await waitFor(async () => (await portStatus(c.store, port)) === 'DOWN', 10_000, 'DOWN when unbound');

    await deletePort(c.api, anchor);
    await waitFor(() => h2.agent.desired.view.port.size === 0 && h2.agent.desired.view.vpc.size === 0, 10_000, 'h2 empty');
    assert.equal(h2.driver.stats().installedEntries, 0, 'no flows left');
  }),
);

test('grpc - a port whose VM interface is not plugged stays DOWN after the ack, and turns ACTIVE once it is', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    const c = await f.controller();
    const h1 = await f.agent(c.address, 'h1');
    const net = await createNetwork(c.api);
    const sub = await createSubnet(c.api, net, '10.6.0.0/24');
    const plugged = await createPort(c.api, { networkId: net, subnetId: sub, ip: '10.6.0.2', host: 'h1' });
    const waiting = await createPort(c.api, { networkId: net, subnetId: sub, ip: '10.6.0.3', host: 'h1', deviceId: 'sim-unplugged-1' });
    const revision = await currentRevision(c.api);
    await waitFor(() => (c.southbound.server.sessions.get('h1')?.ackedRevision ?? 0) >= revision, 10_000, 'h1 acked everything');
    await c.southbound.manager.portStatus.idle();
    assert.equal(await portStatus(c.store, plugged), 'ACTIVE');
    assert.equal(await portStatus(c.store, waiting), 'DOWN', 'acked, but listed as waiting for its interface');
    assert.ok(h1.agent.desired.view.port.has(waiting), 'the host holds the port all the same');

    // The interface appears (here: the port's device changes to one the sim driver treats as plugged).
    await c.api.write(async (tx) => {
      await tx.run("UPDATE ports SET device_id = 'vm-1' WHERE id = ?", [waiting]);
      await appendChange(tx, 'port', waiting, 'update');
    });
    await waitFor(async () => (await portStatus(c.store, waiting)) === 'ACTIVE', 10_000, 'ACTIVE once plugged');
  }),
);

test('grpc - a port the agent fails to apply goes ERROR; its host going away makes ports DOWN', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    const c = await f.controller();
    const h1 = await f.agent(c.address, 'h1');
    const net = await createNetwork(c.api);
    const sub = await createSubnet(c.api, net, '10.4.0.0/24');
    const good = await createPort(c.api, { networkId: net, subnetId: sub, ip: '10.4.0.2', host: 'h1' });
    const bad = await createPort(c.api, { networkId: net, subnetId: sub, ip: '10.4.0.3', host: 'h1', deviceId: 'sim-fail-1' });
    await waitFor(async () => (await portStatus(c.store, bad)) === 'ERROR', 10_000, 'ERROR');
    await waitFor(async () => (await portStatus(c.store, good)) === 'ACTIVE', 10_000, 'ACTIVE');
    await h1.agent.close();
    await waitFor(async () => (await portStatus(c.store, good)) === 'DOWN', 10_000, 'DOWN after host left');
    const agentsApi = await c.southbound.hosts.list({ projectId: 'admin', roles: ['admin'], isAdmin: true }, { filters: new Map(), sort: [], pageReverse: false });
    assert.equal(agentsApi.items[0]?.host, 'h1');
    await waitFor(async () => !(await c.southbound.hosts.list({ projectId: 'a', roles: ['admin'], isAdmin: true }, { filters: new Map(), sort: [], pageReverse: false })).items[0]?.alive, 5000, 'not alive');
  }),
);
