import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ResourceType } from '../../../src/proto/alcor/v1/goal_state_pb.js';
import { ResultStatus, WatchRequestSchema } from '../../../src/proto/alcor/v1/southbound_pb.js';
import { decodeBareAck, encodeBareAck } from '../../../src/proto/bare-ack.js';

const viaProtobufEs = (revision: bigint) => toBinary(WatchRequestSchema, create(WatchRequestSchema, { kind: { case: 'ack', value: { revision } } }));

test('bare ack - byte for byte what protobuf-es writes, and read back by both decoders', () => {
  for (const revision of [0, 1, 127, 128, 16_383, 16_384, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
    const bytes = encodeBareAck(revision);
    assert.deepEqual(bytes, viaProtobufEs(BigInt(revision)), `revision ${revision}`);
    assert.equal(decodeBareAck(bytes), revision);
    const request = fromBinary(WatchRequestSchema, bytes);
    assert.equal(request.kind.case, 'ack');
    assert.equal(request.kind.case === 'ack' ? request.kind.value.revision : -1n, BigInt(revision));
  }
  assert.throws(() => encodeBareAck(-1), RangeError);
  assert.throws(() => encodeBareAck(1.5), RangeError);
});

test('bare ack - anything but the canonical bare form is left to protobuf-es', () => {
  const others: Uint8Array[] = [
    // An ack with a result.
    toBinary(WatchRequestSchema, create(WatchRequestSchema, { kind: { case: 'ack', value: { revision: 9n, results: [{ type: ResourceType.PORT, id: 'p', status: ResultStatus.OK }] } } })),
    // A heartbeat and a hello.
    toBinary(WatchRequestSchema, create(WatchRequestSchema, { kind: { case: 'heartbeat', value: { appliedRevision: 9n } } })),
    toBinary(WatchRequestSchema, create(WatchRequestSchema, { kind: { case: 'hello', value: { hostId: 'h' } } })),
    // Truncated, over-long, a padded varint, an explicit zero, a revision beyond 2^53, trailing bytes.
    Uint8Array.of(0x12),
    Uint8Array.of(0x12, 0x02, 0x08),
    Uint8Array.of(0x12, 0x02, 0x08, 0x85),
    Uint8Array.of(0x12, 0x03, 0x08, 0x85, 0x00),
    Uint8Array.of(0x12, 0x02, 0x08, 0x00),
    Uint8Array.of(0x12, 0x0a, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f),
    Uint8Array.of(0x12, 0x02, 0x08, 0x05, 0x00),
    Uint8Array.of(0x12, 0x02, 0x10, 0x05),
    new Uint8Array(0),
  ];
  for (const bytes of others) assert.equal(decodeBareAck(bytes), undefined, Buffer.from(bytes).toString('hex'));
});
