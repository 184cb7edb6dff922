/**
 * Southbound input is bounded: Hello fields and counts are capped, the receive limit is a few MiB, ack
 * results are kept only for the host's own ports, and the number of streams is capped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { create, toBinary } from '@bufbuild/protobuf';
import { ResourceType } from '../../../src/proto/alcor/v1/goal_state_pb.js';
import { AckSchema, HelloSchema, ResourceResultSchema, ResultStatus, WatchRequestSchema } from '../../../src/proto/alcor/v1/southbound_pb.js';
import { waitFor } from '../../harness/wait-for.js';
import { withSouthbound, type SouthboundFixture } from '../southbound/harness.js';

/** A raw plaintext Watch stream; `status` resolves when the controller ends it. */
function rawStream(f: SouthboundFixture, address: string) {
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 << 20 });
  f.defer(() => client.close());
  const call = client.makeBidiStreamRequest<Uint8Array, Buffer>('/alcor.v1.SouthboundService/Watch', (b) => Buffer.from(b), (b) => b);
  call.on('data', () => {});
  call.on('error', () => {});
  f.defer(() => call.cancel());
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  const send = (kind: Parameters<typeof create<typeof WatchRequestSchema>>[1]) => call.write(toBinary(WatchRequestSchema, create(WatchRequestSchema, kind)));
  const hello = (fields: { hostId: string; datapathIp?: string; agentVersion?: string; capabilities?: string[] }) => send({ kind: { case: 'hello', value: create(HelloSchema, { datapathIp: '192.0.2.50', protocolVersion: 1, ...fields }) } });
  return { call, status, send, hello };
}

test('grpc limits - a Hello with an oversized agent_version or too many capabilities is refused and nothing is stored', { timeout: 60_000 }, () =>
  withSouthbound(async (f) => {
    const c = await f.controller();
    const longVersion = rawStream(f, c.address);
    longVersion.hello({ hostId: 'big-version', agentVersion: 'v'.repeat(64 * 1024) });
    assert.equal((await longVersion.status).code, grpc.status.INVALID_ARGUMENT);
    const manyCapabilities = rawStream(f, c.address);
    manyCapabilities.hello({ hostId: 'many-caps', capabilities: Array.from({ length: 200 }, (_, i) => `cap${i}`) });
    assert.equal((await manyCapabilities.status).code, grpc.status.INVALID_ARGUMENT);
    const rows = await c.store.read((q) => q.all<{ host: string }>('SELECT host FROM hosts'));
    assert.deepEqual(rows, []);
  }),
);

test('grpc limits - a message over the receive limit ends the stream with RESOURCE_EXHAUSTED', { timeout: 60_000 }, () =>
  withSouthbound(async (f) => {
    const c = await f.controller();
    const s = rawStream(f, c.address);
    s.hello({ hostId: 'h-big' });
    await waitFor(() => c.southbound.server.sessions.get('h-big')?.state === 'live', 10_000, 'h-big live');
    const results = Array.from({ length: 200_000 }, (_, i) => create(ResourceResultSchema, { type: ResourceType.PORT, id: `p-${i}-${'x'.repeat(36)}`, status: ResultStatus.PENDING }));
    s.send({ kind: { case: 'ack', value: create(AckSchema, { revision: 0n, results }) } });
    assert.equal((await s.status).code, grpc.status.RESOURCE_EXHAUSTED);
  }),
);

test('grpc limits - ack results for ports not bound to the host are dropped, not kept per host', { timeout: 60_000 }, () =>
  withSouthbound(async (f) => {
    const c = await f.controller();
    const s = rawStream(f, c.address);
    s.hello({ hostId: 'h-acks' });
    await waitFor(() => c.southbound.server.sessions.get('h-acks')?.state === 'live', 10_000, 'h-acks live');
    const results = Array.from({ length: 10_000 }, (_, i) => create(ResourceResultSchema, { type: ResourceType.PORT, id: `not-mine-${i}`, status: ResultStatus.PENDING }));
    s.send({ kind: { case: 'ack', value: create(AckSchema, { revision: 0n, results }) } });
    await waitFor(() => c.southbound.server.counters.ignored >= 1, 10_000, 'foreign results logged');
    assert.equal(c.southbound.manager.portStatus.waitingPorts('h-acks'), 0);
  }),
);

test('grpc limits - streams beyond maxSessions are refused with RESOURCE_EXHAUSTED; a closed one frees its place', { timeout: 60_000 }, () =>
  withSouthbound(async (f) => {
    const c = await f.controller({ maxSessions: 2 });
    const first = rawStream(f, c.address);
    first.hello({ hostId: 's1', datapathIp: '192.0.2.61' });
    const second = rawStream(f, c.address);
    second.hello({ hostId: 's2', datapathIp: '192.0.2.62' });
    await waitFor(() => c.southbound.server.sessions.size === 2, 10_000, 'two sessions');
    const third = rawStream(f, c.address);
    third.hello({ hostId: 's3', datapathIp: '192.0.2.63' });
    assert.equal((await third.status).code, grpc.status.RESOURCE_EXHAUSTED);
    first.call.cancel();
    await waitFor(() => c.southbound.server.sessions.size === 1, 10_000, 's1 gone');
    const fourth = rawStream(f, c.address);
    fourth.hello({ hostId: 's4', datapathIp: '192.0.2.64' });
    await waitFor(() => c.southbound.server.sessions.get('s4')?.state === 'live', 10_000, 's4 accepted');
  }),
);
