/**
 * The `alcor.v1.SouthboundService/Watch` method for @grpc/grpc-js, with protobuf-es as the codec.
 * The server passes raw bytes both ways: requests are decoded in the session (so a malformed message
 * is logged and answered with INVALID_ARGUMENT instead of a generic codec failure), and responses are
 * pre-encoded by the data-plane manager, so one delta's bytes are shared by every host receiving it.
 */
import type { ServiceDefinition } from '@grpc/grpc-js';

/** Full method path. */
export const WATCH_PATH = '/alcor.v1.SouthboundService/Watch';

const identity = (b: Buffer): Buffer => b;
const toBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** Server-side service definition over raw bytes. */
export const SOUTHBOUND_SERVICE: ServiceDefinition = {
  watch: {
    path: WATCH_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: toBuffer,
    requestDeserialize: identity,
    responseSerialize: toBuffer,
    responseDeserialize: identity,
    originalName: 'Watch',
  },
};
