import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BusAckSchema } from '../../../src/proto/alcor/v1/southbound_pb.js';
import { decodeBusAck, encodeBusAck, type BusAckFields } from '../../../src/proto/bus-ack.js';

const viaProtobufEs = (a: BusAckFields) =>
  toBinary(BusAckSchema, create(BusAckSchema, { hostId: a.hostId, vpcId: a.vpcId, revision: BigInt(a.revision), streamSequence: BigInt(a.streamSequence) }));

test('bus ack - byte for byte what protobuf-es writes, and read back by both decoders', () => {
  const acks: BusAckFields[] = [
    { hostId: 'compute-1', vpcId: '6f1c2a9e-1d5b-4b7e-9a0e-3c2f8d4e5a61', revision: 1, streamSequence: 1 },
    { hostId: 'h', vpcId: 'v', revision: 127, streamSequence: 128 },
    { hostId: 'hôte-ü-東京', vpcId: 'v', revision: 16_384, streamSequence: 0 },
    { hostId: 'h'.repeat(200), vpcId: 'v'.repeat(300), revision: Number.MAX_SAFE_INTEGER, streamSequence: 2 ** 32 + 5 },
    // Defaults are omitted, as protobuf-es omits them.
    { hostId: '', vpcId: 'v', revision: 0, streamSequence: 0 },
    { hostId: '', vpcId: '', revision: 0, streamSequence: 0 },
  ];
  for (const ack of acks) {
    const bytes = encodeBusAck(ack);
    assert.deepEqual(bytes, viaProtobufEs(ack), JSON.stringify(ack));
    assert.deepEqual(decodeBusAck(bytes), ack);
    const read = fromBinary(BusAckSchema, bytes);
    assert.deepEqual([read.hostId, read.vpcId, read.revision, read.streamSequence], [ack.hostId, ack.vpcId, BigInt(ack.revision), BigInt(ack.streamSequence)]);
  }
  assert.throws(() => encodeBusAck({ hostId: 'h', vpcId: 'v', revision: -1, streamSequence: 0 }), RangeError);
  assert.throws(() => encodeBusAck({ hostId: 'h', vpcId: 'v', revision: 1, streamSequence: 1.5 }), RangeError);
});

test('bus ack - anything but the canonical form is left to protobuf-es', () => {
  const canonical = encodeBusAck({ hostId: 'h', vpcId: 'v', revision: 5, streamSequence: 7 });
  assert.deepEqual([...canonical], [0x0a, 1, 0x68, 0x12, 1, 0x76, 0x18, 5, 0x20, 7]);
  const others: number[][] = [
    // Fields out of order, repeated, unknown, or with another wire type.
    [0x12, 1, 0x76, 0x0a, 1, 0x68],
    [0x0a, 1, 0x68, 0x0a, 1, 0x68],
    [0x0a, 1, 0x68, 0x28, 1],
    [0x0a, 1, 0x68, 0x1a, 1, 5],
    [0x08, 1],
    // Truncated: a string past the end, a tag without a value, a varint without its end.
    [0x0a, 5, 0x68],
    [0x0a, 1, 0x68, 0x18],
    [0x0a, 1, 0x68, 0x18, 0x85],
    // Not canonical: a padded varint, an explicit zero, an empty string written out, a padded length.
    [0x18, 0x85, 0x00],
    [0x18, 0x00],
    [0x0a, 0x00],
    [0x0a, 0x81, 0x00, 0x68],
    // Beyond 2^53; invalid UTF-8; a leading byte-order mark.
    [0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
    [0x0a, 2, 0xc3, 0x28],
    [0x0a, 4, 0xef, 0xbb, 0xbf, 0x68],
  ];
  for (const bytes of others) assert.equal(decodeBusAck(Uint8Array.from(bytes)), undefined, Buffer.from(bytes).toString('hex'));
  assert.deepEqual(decodeBusAck(new Uint8Array(0)), { hostId: '', vpcId: '', revision: 0, streamSequence: 0 }, 'an empty message is all defaults');
});
