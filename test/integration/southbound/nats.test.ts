/**
 * The NATS JetStream southbound path against a real server: VPC scopes on the mq channel are published
 * once per batch and consumed by exactly the member hosts; channel switches under continuous writes lose
 * and duplicate nothing; forged messages are rejected without stopping the consumer; agents and the
 * controller restart; a bus outage is repaired once the server is back.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { create, toBinary } from '@bufbuild/protobuf';
import { NeighborStateSchema, Operation, ResourceStateSchema, ResourceType } from '../../../src/proto/alcor/v1/goal_state_pb.js';
import { goalStateDelta, scopeDeltaField } from '../../../src/dataplane/wire.js';
import { appendChange } from '../../../src/store/outbox.js';
import { encodeBusAck } from '../../../src/proto/bus-ack.js';
import { DataPlaneManager } from '../../../src/dataplane/manager.js';
import type { Store } from '../../../src/store/store.js';
import type { ResourceChange } from '../../../src/agent/driver.js';
import { deleteStream, PrivateNats, requireNats, uniqueBus } from '../../harness/nats.js';
import { waitFor } from '../../harness/wait-for.js';
import { converged, createNetwork, createPort, createSubnet, deletePort, heldStates, withSouthbound, type TestAgent } from './harness.js';

type Bus = ReturnType<typeof uniqueBus>;

/** Channel policy putting every VPC on the bus. */
const MQ_ONLY = { mode: 'mq', upperPorts: 1000, lowerPorts: 100 } as const;

async function setChannel(store: Store, networkId: string, mode: '' | 'grpc' | 'mq' | 'auto'): Promise<void> {
  await store.write(async (tx) => {
    await tx.run('UPDATE networks SET southbound_channel = ? WHERE id = ?', [mode, networkId]);
    await appendChange(tx, 'network', networkId, 'update');
  });
}

/** Counts, per neighbor id, how many times the driver was asked to install it. */
function countNeighborApplies(agent: TestAgent): Map<string, number> {
  const counts = new Map<string, number>();
  const driver = agent.driver;
  const apply = driver.apply.bind(driver);
  driver.apply = (batch) => {
    for (const c of batch.changes as ResourceChange[]) if (c.kind === 'neighbor' && c.desired) counts.set(c.id, (counts.get(c.id) ?? 0) + 1);
    return apply(batch);
  };
  return counts;
}

function ip(i: number): string {
  return `10.9.${Math.floor(i / 250)}.${(i % 250) + 2}`;
}

async function withBus(t: TestContext, run: (bus: Bus) => Promise<void>): Promise<void> {
  const url = await requireNats(t);
  if (!url) return;
  const bus = uniqueBus(url);
  try {
    await run(bus);
  } finally {
    await deleteStream(url, bus.stream);
  }
}

/** Like withBus, on a private nats-server the test may kill and resume (stopped at the end). */
async function withPrivateBus(t: TestContext, run: (bus: Bus, nats: PrivateNats) => Promise<void>): Promise<void> {
  if (!(await requireNats(t))) return;
  const nats = await PrivateNats.start();
  try {
    await run(uniqueBus(nats.url), nats);
  } finally {
    await nats.stop();
  }
}

test('southbound over NATS - one publish per change reaches exactly the member hosts; grpc→mq→grpc→mq switches under continuous creates lose and duplicate nothing', { timeout: 180_000 }, async (t) => {
  await withBus(t, async (bus) => {
    const agents: TestAgent[] = [];
    await withSouthbound(async (f) => {
      const c = await f.controller({ nats: bus, channels: { mode: 'grpc', upperPorts: 1000, lowerPorts: 100 } });
      const members = ['mq-1', 'mq-2', 'mq-3', 'plain-1'];
      for (const [i, host] of members.entries()) {
        agents.push(await f.agent(c.address, host, { datapathIp: `192.0.2.${i + 1}`, ...(host.startsWith('mq') ? { nats: bus } : {}) }));
      }
      const idle = await f.agent(c.address, 'mq-idle', { datapathIp: '192.0.2.99', nats: bus });
      agents.push(idle);
      const counts = agents.map(countNeighborApplies);
      const ackOrder = new Map<string, number[]>();
      c.southbound.bus?.ackListeners.add((host, _vpc, revision) => ackOrder.set(host, [...(ackOrder.get(host) ?? []), revision]));
      await waitFor(() => c.southbound.server.sessions.size === 5, 10_000, 'agents connected');
      const net = await createNetwork(c.api);
      const other = await createNetwork(c.api);
      const subnet = await createSubnet(c.api, net, '10.9.0.0/16');
      const otherSubnet = await createSubnet(c.api, other, '10.10.0.0/16');
      await createPort(c.api, { networkId: other, subnetId: otherSubnet, ip: '10.10.0.5', host: 'mq-idle' });

      const switches = new Map<number, 'mq' | 'grpc'>([[15, 'mq'], [50, 'grpc'], [70, 'mq']]);
      let publishedAtMq = 0;
      for (let i = 0; i < 100; i++) {
        const mode = switches.get(i);
        if (mode) {
          await setChannel(c.api, net, mode);
          if (mode === 'mq') publishedAtMq = c.southbound.bus?.counters.published ?? 0;
        }
        await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(i), host: members[i % members.length] as string });
        // Let some batches go out one by one and others coalesce.
        if (i % 3 === 0) await c.southbound.notify();
      }
      await converged(c, agents, [...members, 'mq-idle']);
      assert.equal(c.southbound.manager.channelOf(net), 'mq');

      const neighbors = [...(c.southbound.manager.scopes.get(`vpc/${net}`)?.entries.keys() ?? [])].map((k) => k.slice('neighbor/'.length));
      assert.equal(neighbors.length, 100);
      for (const [i, host] of members.entries()) {
        for (const id of neighbors) assert.equal(counts[i]?.get(id), 1, `${host} installed neighbor ${id} exactly once`);
      }
      // Fan-out: the bus carried VPC deltas; only the mq member hosts consumed and acked them.
      const b = c.southbound.bus;
      assert.ok(b && b.counters.published > publishedAtMq, 'VPC deltas were published while on mq');
      // A host's bus ack follows its apply: holding the state (converged) does not mean the ack has landed.
      await waitFor(() => ['mq-1', 'mq-2', 'mq-3'].every((h) => b.applied.get(h)?.has(net)), 10_000, 'the mq members acked on the bus');
      assert.deepEqual([...b.applied.keys()].sort(), ['mq-1', 'mq-2', 'mq-3']);
      assert.deepEqual(agents[4]?.agent.bus?.consuming, [], 'a host outside the VPC consumes nothing');
      assert.deepEqual(agents[0]?.agent.bus?.consuming, [net]);
      assert.equal(agents[3]?.agent.bus, undefined);
      for (const [host, revisions] of ackOrder) {
        assert.deepEqual(revisions, [...revisions].sort((x, y) => x - y), `${host} applied bus deltas in revision order`);
      }
      // One publish per batch and VPC, whatever the number of member hosts: publishes ≤ batches.
      assert.ok((b?.counters.published ?? 0) <= c.southbound.manager.counters.batches);
      for (const a of agents) assert.equal(a.agent.bus?.counters.rejected ?? 0, 0);
    });
  });
});

test('southbound over NATS - auto mode moves a growing VPC to the bus above the upper threshold and back below the lower one', { timeout: 120_000 }, async (t) => {
  await withBus(t, async (bus) => {
    const agents: TestAgent[] = [];
    await withSouthbound(async (f) => {
      const policy = { mode: 'auto', upperPorts: 6, lowerPorts: 3 } as const;
      const c = await f.controller({ nats: bus, channels: policy });
      const hosts = ['a-1', 'a-2'];
      for (const host of hosts) agents.push(await f.agent(c.address, host, { nats: bus }));
      await waitFor(() => c.southbound.server.sessions.size === 2, 10_000, 'agents connected');
      const net = await createNetwork(c.api);
      const subnet = await createSubnet(c.api, net, '10.9.0.0/16');
      const ports: string[] = [];
      const channels: string[] = [];
      const note = async () => {
        await c.southbound.notify();
        const channel = c.southbound.manager.channelOf(net);
        if (channels.at(-1) !== channel) channels.push(channel);
      };
      // Unbound ports, and a port bound to a host that never registered, are not part of the VPC's size.
      for (let i = 20; i < 23; i++) await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(i), host: i === 20 ? 'nowhere' : '' });
      await note();
      let mqAt = 0;
      for (let i = 0; i < 9; i++) {
        ports.push(await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(i), host: hosts[i % 2] as string }));
        await note();
        if (mqAt === 0 && c.southbound.manager.channelOf(net) === 'mq') mqAt = i + 1;
        if (i === 5) {
          // A manager starting now counts the same 6 ports (not above 6: gRPC), not the 9 rows.
          const fresh = new DataPlaneManager(c.api, { channels: { bus: true, ...policy } });
          await fresh.start();
          assert.equal(fresh.channelOf(net), 'grpc', 'six bound ports at start-up');
          await fresh.close();
        }
      }
      assert.equal(mqAt, 7, 'on the bus from the 7th bound port (upper threshold 6)');
      await converged(c, agents, hosts);
      assert.ok(agents.every((a) => a.agent.desired.view.vpc.get(net)?.channel === 'mq'), 'the hosts know the VPC is on the bus');
      // Down to 4 ports: inside the band, stays on the bus; down to 2: back on gRPC.
      for (const id of ports.splice(0, 5)) {
        await deletePort(c.api, id);
        await note();
      }
      assert.equal(c.southbound.manager.channelOf(net), 'mq');
      for (const id of ports.splice(0, 2)) {
        await deletePort(c.api, id);
        await note();
      }
      await converged(c, agents, hosts);
      assert.deepEqual(channels, ['grpc', 'mq', 'grpc']);
      assert.ok(agents.every((a) => a.agent.desired.view.vpc.get(net)?.channel === 'grpc'));
      assert.deepEqual(agents.map((a) => a.agent.bus?.consuming), [[], []], 'consumers stopped');
    });
  });
});

test('southbound over NATS - malformed and forged messages on a VPC subject are rejected; the consumer goes on', { timeout: 120_000 }, async (t) => {
  await withBus(t, async (bus) => {
    const agents: TestAgent[] = [];
    const nc = await connect({ servers: bus.url });
    try {
      await withSouthbound(async (f) => {
        const c = await f.controller({ nats: bus, channels: MQ_ONLY });
        const h1 = await f.agent(c.address, 'f-1', { nats: bus });
        const h2 = await f.agent(c.address, 'f-2', { nats: bus });
        agents.push(h1, h2);
        // Ports bind to registered hosts only: wait for both Hellos before placing ports.
        await waitFor(() => c.southbound.server.sessions.size === 2, 10_000, 'agents connected');
        const net = await createNetwork(c.api);
        const elsewhere = await createNetwork(c.api);
        const subnet = await createSubnet(c.api, net, '10.9.0.0/16');
        await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(0), host: 'f-1' });
        await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(1), host: 'f-2' });
        await converged(c, agents, ['f-1', 'f-2']);
        await waitFor(() => h1.agent.bus?.consuming.includes(net), 10_000, 'consumer running');
        const bytesBefore = heldStates(h1).join();

        const js = jetstream(nc);
        const subject = `${bus.prefix}.gs.vpc.${net}`;
        const revision = c.southbound.manager.revision + 1000;
        const neighbor = (vpcId: string) =>
          toBinary(ResourceStateSchema, create(ResourceStateSchema, {
            type: ResourceType.NEIGHBOR,
            id: 'forged',
            operation: Operation.UPSERT,
            state: { case: 'neighbor', value: create(NeighborStateSchema, { id: 'forged', vpcId, macAddress: 'fa:16:3e:66:66:66', hostId: 'evil', hostIp: '203.0.113.66' }) },
          }));
        const port = toBinary(ResourceStateSchema, create(ResourceStateSchema, { type: ResourceType.PORT, id: 'forged-port', operation: Operation.UPSERT }));
        const forged = [
          new Uint8Array([0xff, 0xff, 0xff]),
          goalStateDelta(revision, [scopeDeltaField(`vpc/${elsewhere}`, [neighbor(elsewhere)])], 0),
          goalStateDelta(revision, [scopeDeltaField(`vpc/${net}`, [neighbor(elsewhere)])], 0),
          goalStateDelta(revision, [scopeDeltaField(`vpc/${net}`, [port])], 0),
          goalStateDelta(revision, [scopeDeltaField(`vpc/${net}`, [neighbor(net)], true)], 0),
        ];
        for (const data of forged) await js.publish(subject, data);
        await waitFor(() => (h1.agent.bus?.counters.rejected ?? 0) >= forged.length && (h2.agent.bus?.counters.rejected ?? 0) >= forged.length, 10_000, 'forged messages rejected');
        assert.equal(heldStates(h1).join(), bytesBefore, 'nothing forged was applied');
        assert.ok(!h1.agent.desired.view.neighbor.has('forged'));

        // The consumer survived: the next real change still arrives over the bus.
        const after = await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(2), host: 'f-2' });
        await waitFor(() => h1.agent.desired.view.neighbor.has(after), 10_000, 'a real change after the forged ones');
        await converged(c, agents, ['f-1', 'f-2']);

        // Acks the controller must not believe: undecodable, and one host acking for another.
        const bus1 = c.southbound.bus;
        assert.ok(bus1);
        const malformedBefore = bus1.counters.malformedAcks;
        // f-2's own ack of the last change first: arriving later, it would move the revision legitimately.
        await waitFor(() => (bus1.applied.get('f-2')?.get(net) ?? 0) >= c.southbound.manager.revision, 10_000, 'f-2 acked the last change');
        const f2Before = bus1.applied.get('f-2')?.get(net);
        nc.publish(`${bus.prefix}.ack.f-1`, Uint8Array.of(0x0a, 0x09, 0x66));
        nc.publish(`${bus.prefix}.ack.f-1`, encodeBusAck({ hostId: 'f-2', vpcId: net, revision: revision + 5, streamSequence: 1 }));
        await nc.flush();
        await waitFor(() => bus1.counters.malformedAcks >= malformedBefore + 2, 10_000, 'forged acks counted');
        assert.equal(bus1.applied.get('f-2')?.get(net), f2Before, 'a forged ack moved nothing');
      });
    } finally {
      await nc.close();
    }
  });
});

test('southbound over NATS - agents sharing one connection each get and ack every delta; one closing leaves the connection to the other', { timeout: 120_000 }, async (t) => {
  await withBus(t, async (bus) => {
    const nc = await connect({ servers: bus.url });
    try {
      await withSouthbound(async (f) => {
        const c = await f.controller({ nats: bus, channels: MQ_ONLY });
        const shared = { ...bus, connection: nc };
        const agents = [await f.agent(c.address, 's-1', { nats: shared }), await f.agent(c.address, 's-2', { nats: shared })];
        await waitFor(() => c.southbound.server.sessions.size === 2, 10_000, 'agents connected');
        const net = await createNetwork(c.api);
        const subnet = await createSubnet(c.api, net, '10.9.0.0/16');
        await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(0), host: 's-1' });
        await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(1), host: 's-2' });
        await converged(c, agents, ['s-1', 's-2']);
        const applied = agents.map((a) => a.agent.bus?.counters.applied ?? 0);
        for (let i = 2; i < 5; i++) await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(i), host: 's-1' });
        await converged(c, agents, ['s-1', 's-2']);
        const revision = c.southbound.manager.revision;
        for (const [i, a] of agents.entries()) {
          // Each host applied each new neighbor from its own subscription, and acked it on its own subject.
          assert.equal((a.agent.bus?.counters.applied ?? 0) - (applied[i] ?? 0), 3, `s-${i + 1} bus deltas`);
          await waitFor(() => (c.southbound.bus?.applied.get(`s-${i + 1}`)?.get(net) ?? 0) >= revision, 10_000, `s-${i + 1} acked on the bus`);
        }

        await (agents[0] as TestAgent).agent.close();
        assert.ok(!nc.isClosed(), 'a shared connection stays open when one of its agents closes');
        const late = await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(9), host: 's-2' });
        await waitFor(() => (agents[1] as TestAgent).agent.desired.view.neighbor.has(late), 10_000, 'the other agent still gets deltas');
      });
    } finally {
      await nc.close();
    }
  });
});

test('southbound over NATS - an agent restarts and resumes from its persisted revision and stream sequence; a slow agent catches up', { timeout: 120_000 }, async (t) => {
  await withBus(t, async (bus) => {
    await withSouthbound(async (f) => {
      const dir = f.dir('nats-restart');
      const c = await f.controller({ nats: bus, channels: MQ_ONLY });
      const h1 = await f.agent(c.address, 'r-1', { nats: bus, stateDir: dir });
      const slow = await f.agent(c.address, 'r-slow', { nats: bus, driverOptions: { applyDelayMs: '40' } });
      await waitFor(() => c.southbound.server.sessions.size === 2, 10_000, 'agents connected');
      const net = await createNetwork(c.api);
      const subnet = await createSubnet(c.api, net, '10.9.0.0/16');
      for (let i = 0; i < 10; i++) await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(i), host: i % 2 ? 'r-1' : 'r-slow' });
      await converged(c, [h1, slow], ['r-1', 'r-slow']);
      await h1.agent.close();

      for (let i = 10; i < 30; i++) await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(i), host: 'r-slow' });
      const again = await f.agent(c.address, 'r-1', { nats: bus, stateDir: dir });
      await converged(c, [again, slow], ['r-1', 'r-slow']);
      assert.equal(again.agent.counters.snapshots, 0, 'resumed without a snapshot');
      assert.ok((again.agent.bus?.counters.applied ?? 0) >= 1, 'the missed VPC deltas came from the bus');
      assert.equal(again.agent.bus?.counters.duplicates, 0, 'the consumer started after the persisted sequence');
      assert.equal(again.agent.bus?.counters.gaps, 0);
    });
  });
});

test('southbound over NATS - a gap the stream cannot fill (retention dropped it) is repaired with a snapshot; the bus path goes on', { timeout: 120_000 }, async (t) => {
  await withBus(t, async (bus) => {
    await withSouthbound(async (f) => {
      const dir = f.dir('nats-retention');
      // The stream keeps only the last 3 deltas of each VPC subject.
      const c = await f.controller({ nats: { ...bus, maxPerSubject: 3 }, channels: MQ_ONLY });
      const k1 = await f.agent(c.address, 'k-1', { nats: bus, stateDir: dir });
      const k2 = await f.agent(c.address, 'k-2', { nats: bus });
      await waitFor(() => c.southbound.server.sessions.size === 2, 10_000, 'agents connected');
      const net = await createNetwork(c.api);
      const subnet = await createSubnet(c.api, net, '10.9.0.0/16');
      await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(0), host: 'k-1' });
      await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(1), host: 'k-2' });
      await converged(c, [k1, k2], ['k-1', 'k-2']);
      await waitFor(() => (k1.agent.bus?.cursors.get(net)?.sequence ?? 0) > 0, 10_000, 'k-1 applied a delta from the bus');
      await k1.agent.close();

      // Ten deltas while k-1 is away: the seven after its stream position are gone when it comes back.
      for (let i = 2; i < 12; i++) await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(i), host: 'k-2' });
      await c.southbound.notify();
      await c.southbound.bus?.idle();
      const again = await f.agent(c.address, 'k-1', { nats: bus, stateDir: dir });
      await converged(c, [again, k2], ['k-1', 'k-2']);
      assert.equal(again.agent.bus?.counters.gaps, 1, 'the consumer saw the gap');
      assert.equal(again.agent.counters.snapshots, 1, 'and the agent fetched a snapshot over gRPC');

      const appliedBefore = again.agent.bus?.counters.applied ?? 0;
      const after = await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(20), host: 'k-2' });
      await waitFor(() => again.agent.desired.view.neighbor.has(after), 10_000, 'the next neighbor arrives');
      assert.equal((again.agent.bus?.counters.applied ?? 0) - appliedBefore, 1, 'from the bus');
      assert.equal(again.agent.bus?.counters.gaps, 1);
    });
  });
});

test('southbound over NATS - the controller restarts with agents connected; the bus path carries on', { timeout: 120_000 }, async (t) => {
  await withBus(t, async (bus) => {
    const agents: TestAgent[] = [];
    await withSouthbound(async (f) => {
      const dir = f.dir('nats-controller');
      const path = `${dir}/alcor.db`;
      const first = await f.controller({ path, nats: bus, channels: MQ_ONLY });
      const h1 = await f.agent(first.address, 'c-1', { nats: bus });
      const h2 = await f.agent(first.address, 'c-2', { nats: bus });
      agents.push(h1, h2);
      await waitFor(() => first.southbound.server.sessions.size === 2, 10_000, 'agents connected');
      const net = await createNetwork(first.api);
      const subnet = await createSubnet(first.api, net, '10.9.0.0/16');
      for (let i = 0; i < 6; i++) await createPort(first.api, { networkId: net, subnetId: subnet, ip: ip(i), host: i % 2 ? 'c-1' : 'c-2' });
      await converged(first, agents, ['c-1', 'c-2']);
      await first.close();

      const second = await f.controller({ path, listen: first.address, nats: bus, channels: MQ_ONLY });
      await waitFor(() => second.southbound.server.sessions.size === 2, 20_000, 'agents back');
      for (let i = 6; i < 12; i++) await createPort(second.api, { networkId: net, subnetId: subnet, ip: ip(i), host: i % 2 ? 'c-1' : 'c-2' });
      await converged(second, agents, ['c-1', 'c-2']);
      assert.ok((second.southbound.bus?.counters.published ?? 0) > 0);
      await waitFor(() => (second.southbound.bus?.applied.get('c-1')?.get(net) ?? 0) >= second.southbound.manager.revision - 1, 10_000, 'bus acks reach the new controller');
    });
  });
});

test('southbound over NATS - a bus outage: gRPC keeps working, the bus path repairs itself after the server is back', { timeout: 180_000 }, async (t) => {
  await withPrivateBus(t, async (bus, nats) => {
    const agents: TestAgent[] = [];
    await withSouthbound(async (f) => {
      const c = await f.controller({ nats: bus, channels: MQ_ONLY });
      const h1 = await f.agent(c.address, 'o-1', { nats: bus });
      const plain = await f.agent(c.address, 'o-plain');
      agents.push(h1, plain);
      await waitFor(() => c.southbound.server.sessions.size === 2, 10_000, 'agents connected');
      const net = await createNetwork(c.api);
      const subnet = await createSubnet(c.api, net, '10.9.0.0/16');
      for (let i = 0; i < 4; i++) await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(i), host: i % 2 ? 'o-1' : 'o-plain' });
      await converged(c, agents, ['o-1', 'o-plain']);

      await nats.kill();
      // An mq agent starting while the bus is down still gets everything the stream carries.
      const late = await f.agent(c.address, 'o-late', { nats: bus });
      agents.push(late);
      await waitFor(() => c.southbound.server.sessions.size === 3, 10_000, 'late agent connected');
      const during: string[] = [];
      for (let i = 4; i < 10; i++) during.push(await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(i), host: i === 4 ? 'o-late' : 'o-plain' }));
      await c.southbound.notify();
      await waitFor(() => during.every((id) => plain.agent.desired.view.neighbor.has(id)), 10_000, 'gRPC delivery during the outage');
      await waitFor(() => late.agent.desired.view.port.has(during[0] as string), 10_000, 'the late agent\'s port over gRPC during the outage');
      await waitFor(() => (c.southbound.bus?.counters.failed ?? 0) > 0 || (c.southbound.bus?.pending ?? 0) > 0, 10_000, 'publishes held back');

      await nats.resume();
      await converged(c, agents, ['o-1', 'o-plain', 'o-late'], 60_000);
      const after = await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(20), host: 'o-plain' });
      await waitFor(() => h1.agent.desired.view.neighbor.has(after) && late.agent.desired.view.neighbor.has(after), 20_000, 'bus delivery after the outage');
      await converged(c, agents, ['o-1', 'o-plain', 'o-late']);
    });
  });
});

test('southbound over NATS - a controller starting while the bus is down serves gRPC and publishes once the bus is back', { timeout: 120_000 }, async (t) => {
  await withPrivateBus(t, async (bus, nats) => {
    const agents: TestAgent[] = [];
    await withSouthbound(async (f) => {
      await nats.kill();
      const c = await f.controller({ nats: bus, channels: MQ_ONLY, busConnectWaitMs: 200 });
      const h1 = await f.agent(c.address, 'd-1', { nats: bus });
      const plain = await f.agent(c.address, 'd-plain');
      agents.push(h1, plain);
      await waitFor(() => c.southbound.server.sessions.size === 2, 10_000, 'agents connected');
      const net = await createNetwork(c.api);
      const subnet = await createSubnet(c.api, net, '10.9.0.0/16');
      const p1 = await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(0), host: 'd-1' });
      const p2 = await createPort(c.api, { networkId: net, subnetId: subnet, ip: ip(1), host: 'd-plain' });
      await waitFor(() => plain.agent.desired.view.neighbor.has(p1) && h1.agent.desired.view.port.has(p1), 10_000, 'gRPC without the bus');
      await assert.rejects(c.southbound.bus?.check() ?? Promise.resolve(), /not connected/);

      await nats.resume();
      await waitFor(() => h1.agent.desired.view.neighbor.has(p2), 30_000, 'the bus delta once the bus is up');
      await converged(c, agents, ['d-1', 'd-plain']);
    });
  });
});

test('southbound over NATS - alcor:southbound_channel is an admin-only network attribute; bad values are 400', { timeout: 60_000 }, async (t) => {
  await withBus(t, async (bus) => {
    await withSouthbound(async (f) => {
      const s = await f.stack({ nats: bus, channels: { mode: 'grpc', upperPorts: 1000, lowerPorts: 100 } });
      const net = (await s.request('POST', '/v2.0/networks', { network: { name: 'n' } })).body.network;
      assert.equal(net['alcor:southbound_channel'], null);
      const asMember = (method: string, path: string, body?: unknown) =>
        fetch(`${s.url}${path}`, { method, headers: { 'content-type': 'application/json', 'x-project-id': 'member-project' }, body: JSON.stringify(body) });
      const own = (await (await asMember('POST', '/v2.0/networks', { network: { name: 'own' } })).json()) as { network: { id: string } };
      const denied = await asMember('PUT', `/v2.0/networks/${own.network.id}`, { network: { 'alcor:southbound_channel': 'mq' } });
      assert.equal(denied.status, 403);
      await s.southbound.notify();
      assert.equal(s.southbound.manager.channelOf(own.network.id), 'grpc', 'nothing changed');
      const bad = await s.request('PUT', `/v2.0/networks/${net.id}`, { network: { 'alcor:southbound_channel': 'carrier-pigeon' } });
      assert.equal(bad.status, 400, JSON.stringify(bad.body));
      const set = await s.request('PUT', `/v2.0/networks/${net.id}`, { network: { 'alcor:southbound_channel': 'mq' } });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      assert.equal(set.body.network['alcor:southbound_channel'], 'mq');
      await s.southbound.notify();
      assert.equal(s.southbound.manager.channelOf(net.id), 'mq');
      const cleared = await s.request('PUT', `/v2.0/networks/${net.id}`, { network: { 'alcor:southbound_channel': null } });
      assert.equal(cleared.body.network['alcor:southbound_channel'], null);
      await s.southbound.notify();
      assert.equal(s.southbound.manager.channelOf(net.id), 'grpc');
    });
  });
});

test('southbound over NATS - /readyz checks the bus; GET /v2.0/agents shows the VPC revisions each host acked on it', { timeout: 120_000 }, async (t) => {
  await withPrivateBus(t, async (bus, nats) => {
    await withSouthbound(async (f) => {
      const s = await f.stack({ nats: bus, channels: MQ_ONLY });
      const ready = await s.request('GET', '/readyz');
      assert.equal(ready.status, 200, JSON.stringify(ready.body));
      assert.equal(ready.body.checks.bus.ok, true);

      const h1 = await f.agent(s.address, 'z-1', { nats: bus });
      await f.agent(s.address, 'z-2', { nats: bus });
      await waitFor(() => s.southbound.server.sessions.size === 2, 10_000, 'agents connected');
      const net = (await s.request('POST', '/v2.0/networks', { network: { name: 'n' } })).body.network;
      await s.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.40.0.0/24', ip_version: 4 } });
      await s.request('POST', '/v2.0/ports', { port: { network_id: net.id, 'binding:host_id': 'z-1' } });
      const second = (await s.request('POST', '/v2.0/ports', { port: { network_id: net.id, 'binding:host_id': 'z-2' } })).body.port;
      await waitFor(() => h1.agent.desired.view.neighbor.has(second.id), 10_000, 'z-1 got the neighbor on z-2 over the bus');
      const revision = s.southbound.manager.revision;
      await waitFor(async () => {
        const list = (await s.request('GET', '/v2.0/agents')).body.agents as { host: string; configurations: { bus_applied_revisions?: Record<string, number> } }[];
        return (list.find((a) => a.host === 'z-1')?.configurations.bus_applied_revisions?.[net.id] ?? 0) >= revision - 1;
      }, 10_000, 'bus revision of z-1 in GET /v2.0/agents');

      await nats.kill();
      await waitFor(async () => (await s.request('GET', '/readyz')).status === 503, 10_000, 'not ready without the bus');
      const down = await s.request('GET', '/readyz');
      assert.match(JSON.stringify(down.body), /bus/);
      await nats.resume();
      await waitFor(async () => (await s.request('GET', '/readyz')).status === 200, 20_000, 'ready again');
    });
  });
});
