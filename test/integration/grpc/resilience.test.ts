/** gRPC fast path under failure: restarts, slow agents, bad input, host-id conflicts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { join } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { AckSchema, HelloSchema, WatchRequestSchema } from '../../../src/proto/alcor/v1/southbound_pb.js';
import { waitFor } from '../../harness/wait-for.js';
import {
  createNetwork,
  createPort,
  createSubnet,
  currentRevision,
  portStatus,
  startController,
  withSouthbound,
} from '../southbound/harness.js';

test('grpc - a restarted agent resumes from its persisted revision without a snapshot and keeps its flows', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    const c = await f.controller();
    const h1 = await f.agent(c.address, 'h1');
    await f.agent(c.address, 'h2');
    const net = await createNetwork(c.api);
    const sub = await createSubnet(c.api, net, '10.5.0.0/24');
    await createPort(c.api, { networkId: net, subnetId: sub, ip: '10.5.0.2', host: 'h1' });
    await createPort(c.api, { networkId: net, subnetId: sub, ip: '10.5.0.3', host: 'h2' });
    await waitFor(() => h1.agent.desired.view.neighbor.size === 2, 10_000, 'h1 has both neighbors');
    const revisionBefore = h1.agent.revision;
    await h1.agent.close();
    // While h1 is down: a new neighbor appears in its VPC.
    const later = await createPort(c.api, { networkId: net, subnetId: sub, ip: '10.5.0.4', host: 'h2' });
    const restarted = await f.agent(c.address, 'h1', { stateDir: h1.stateDir });
    assert.equal(restarted.agent.revision, revisionBefore, 'revision came back from the state dir');
    assert.equal(restarted.driver.stats().recomputeTotal, 1, 'start-up reconciled the persisted state');
    await waitFor(() => restarted.agent.desired.view.neighbor.has(later), 10_000, 'missed neighbor delivered');
    assert.equal(restarted.agent.counters.snapshots, 0, 'resumed with deltas, no snapshot');
    assert.equal(c.southbound.server.sessions.get('h1')?.counters.snapshots, 0);
  }),
);

test('grpc - agents survive a controller restart and converge on changes made while it was down', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    const dir = f.dir('controller');
    const path = join(dir, 'alcor.db');
    const c1 = await f.controller({ path });
    const port = c1.southbound.port;
    const h1 = await f.agent(c1.address, 'h1');
    const net = await createNetwork(c1.api);
    const sub = await createSubnet(c1.api, net, '10.6.0.0/24');
    const p1 = await createPort(c1.api, { networkId: net, subnetId: sub, ip: '10.6.0.2', host: 'h1' });
    await waitFor(async () => (await portStatus(c1.store, p1)) === 'ACTIVE', 10_000, 'ACTIVE before restart');
    await c1.close();
    const c2 = await f.controller({ path, listen: `127.0.0.1:${port}` });
    const p2 = await createPort(c2.api, { networkId: net, subnetId: sub, ip: '10.6.0.3', host: 'h1' });
    await waitFor(() => h1.agent.desired.view.port.has(p2), 15_000, 'change after restart applied');
    assert.ok(h1.agent.desired.view.port.has(p1), 'old port still desired');
    await waitFor(async () => (await portStatus(c2.store, p1)) === 'ACTIVE' && (await portStatus(c2.store, p2)) === 'ACTIVE', 10_000, 'both ACTIVE');
    assert.ok(h1.agent.counters.connects >= 2, 'the agent reconnected');
  }),
);

test('grpc - a slow agent is coalesced to a snapshot and still converges', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    const c = await f.controller({ maxPendingBytes: 1024 });
    const fast = await f.agent(c.address, 'fast');
    const slow = await f.agent(c.address, 'slow', { driverOptions: { applyDelayMs: '60' } });
    const net = await createNetwork(c.api);
    const sub = await createSubnet(c.api, net, '10.7.0.0/16');
    await createPort(c.api, { networkId: net, subnetId: sub, ip: '10.7.0.2', host: 'slow' });
    await waitFor(() => slow.agent.desired.view.vpc.has(net), 10_000, 'slow joined');
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) {
      ids.push(await createPort(c.api, { networkId: net, subnetId: sub, ip: `10.7.${1 + (i >> 8)}.${i & 255}`, host: 'fast' }));
    }
    await waitFor(() => ids.every((id) => slow.agent.desired.view.neighbor.has(id)), 60_000, 'slow agent converged');
    const session = c.southbound.server.sessions.get('slow');
    assert.ok((session?.counters.coalesced ?? 0) >= 1, 'the slow agent was coalesced at least once');
    assert.ok((session?.counters.snapshots ?? 0) >= 2, 'and got a snapshot instead of the backlog');
    assert.equal(fast.agent.desired.view.port.size, 120);
  }),
);

test('grpc - a malformed message closes only that stream; forged acks are ignored', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    const c = await f.controller();
    const h1 = await f.agent(c.address, 'h1');
    await waitFor(() => c.southbound.server.sessions.get('h1')?.state === 'live', 10_000, 'h1 live');
    const client = new grpc.Client(c.address, grpc.credentials.createInsecure());
    f.defer(() => client.close());
    const call = client.makeBidiStreamRequest<Uint8Array, Buffer>('/alcor.v1.SouthboundService/Watch', (b) => Buffer.from(b), (b) => b);
    const status = new Promise<number>((resolve) => {
      call.on('error', (e: { code: number }) => resolve(e.code));
      setTimeout(() => resolve(-1), 20_000).unref();
    });
    call.on('data', () => {});
    call.write(Uint8Array.from([0x0a, 0xff, 0xff, 0xff]));
    assert.equal(await status, grpc.status.INVALID_ARGUMENT);
    client.close();
    assert.equal(c.southbound.server.counters.malformed, 1);
    // A well-formed stream that acks a revision it was never sent: ignored, stream kept.
    const forger = new grpc.Client(c.address, grpc.credentials.createInsecure());
    f.defer(() => forger.close());
    const forged = forger.makeBidiStreamRequest<Uint8Array, Buffer>('/alcor.v1.SouthboundService/Watch', (b) => Buffer.from(b), (b) => b);
    forged.on('data', () => {});
    forged.on('error', () => {});
    const hello = create(WatchRequestSchema, { kind: { case: 'hello', value: create(HelloSchema, { hostId: 'forger', datapathIp: '192.0.2.99', protocolVersion: 1 }) } });
    forged.write(toBinary(WatchRequestSchema, hello));
    await waitFor(() => c.southbound.server.sessions.get('forger')?.state === 'live', 10_000, 'forger live');
    const ack = create(WatchRequestSchema, { kind: { case: 'ack', value: create(AckSchema, { revision: 1_000_000n }) } });
    forged.write(toBinary(WatchRequestSchema, ack));
    await waitFor(() => c.southbound.server.counters.ignored >= 1, 10_000, 'forged ack ignored');
    assert.equal(c.southbound.server.sessions.get('forger')?.ackedRevision, 0);
    assert.equal(c.southbound.server.sessions.get('forger')?.state, 'live', 'stream survives');
    forged.cancel();
    forger.close();
    // The legitimate agent still works.
    const net = await createNetwork(c.api);
    const sub = await createSubnet(c.api, net, '10.8.0.0/24');
    const p = await createPort(c.api, { networkId: net, subnetId: sub, ip: '10.8.0.2', host: 'h1' });
    await waitFor(() => h1.agent.desired.view.port.has(p), 10_000, 'h1 still served');
    assert.equal(c.southbound.server.sessions.get('h1')?.state, 'live');
  }),
);

test('grpc - an agent claiming a connected host id is refused and the holder keeps its stream', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    const c = await f.controller();
    await f.agent(c.address, 'h1');
    await waitFor(() => c.southbound.server.sessions.get('h1')?.state === 'live', 10_000, 'h1 live');
    const holder = c.southbound.server.sessions.get('h1');
    const impostor = await f.agent(c.address, 'h1', { datapathIp: '198.51.100.9' });
    await waitFor(() => impostor.agent.lastError?.code === grpc.status.ALREADY_EXISTS, 10_000, 'impostor refused');
    assert.equal(c.southbound.server.sessions.get('h1'), holder, 'holder untouched');
    assert.ok(c.southbound.server.counters.refused >= 1);
    const agentRow = await c.store.read((q) => q.get<{ datapath_ip: string }>('SELECT datapath_ip FROM hosts WHERE host = ?', ['h1']));
    assert.equal(agentRow?.datapath_ip, '192.0.2.1', 'the registry kept the real datapath IP');
    await impostor.agent.close();
    const rev = await currentRevision(c.store);
    assert.ok(rev >= 1);
  }),
);

test('grpc - an agent given several controller addresses fails over to a live replica and keeps converging', { timeout: 120_000 }, () =>
  withSouthbound(async (f) => {
    const dir = f.dir('replicas');
    const path = join(dir, 'alcor.db');
    // Two replicas over one database; the agent's list starts with an address nobody listens on.
    const a = await f.controller({ path });
    const b = await f.controller({ path });
    const dead = await startController();
    const deadAddress = dead.address;
    await dead.close();
    const h1 = await f.agent(`${deadAddress},${a.address},${b.address}`, 'h1');
    const net = await createNetwork(a.api);
    const sub = await createSubnet(a.api, net, '10.7.0.0/24');
    const first = await createPort(a.api, { networkId: net, subnetId: sub, ip: '10.7.0.2', host: 'h1' });
    await waitFor(async () => (await portStatus(a.store, first)) === 'ACTIVE', 15_000, 'port ACTIVE through replica a');
    assert.ok(a.southbound.server.sessions.has('h1'), 'the dead address was skipped');
    await a.close();
    const second = await createPort(b.api, { networkId: net, subnetId: sub, ip: '10.7.0.3', host: 'h1' });
    await waitFor(() => h1.agent.desired.view.neighbor.has(second), 15_000, 'change made on replica b reaches the agent');
    assert.ok(b.southbound.server.sessions.has('h1'), 'the agent moved to replica b');
    await waitFor(async () => (await portStatus(b.store, second)) === 'ACTIVE', 15_000, 'port ACTIVE through replica b');
  }),
);
