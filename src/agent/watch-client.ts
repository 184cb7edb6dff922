/**
 * The agent's side of the Watch stream over @grpc/grpc-js. Raw bytes in both directions: the runtime
 * walks responses at the wire level (see wire-reader.ts) and encodes requests with protobuf-es.
 * The method path is the one in proto/alcor/v1/southbound.proto.
 */
import * as grpc from '@grpc/grpc-js';
import type { TlsFiles } from '../proto/tls-files.js';

const WATCH_PATH = '/alcor.v1.SouthboundService/Watch';

/** Receive window of the Watch stream and its connection, bytes. */
const FLOW_CONTROL_WINDOW = 8 << 20;

/** A bidi Watch call: writes encoded WatchRequests, emits Buffers of WatchResponses. */
export type WatchCall = grpc.ClientDuplexStream<Uint8Array, Buffer>;

/** A channel to one controller. */
export class WatchClient {
  private readonly client: grpc.Client;

  constructor(
    /** The controller's `host:port`. */
    readonly address: string,
    options: { maxMessageBytes?: number; privateConnection?: boolean; tls?: TlsFiles | undefined } = {},
  ) {
    const maxMessageBytes = options.maxMessageBytes ?? 256 << 20;
    // With TLS the agent presents its certificate and checks the controller's against the CA and the
    // address it dials; each new connection uses the newest files.
    const credentials = options.tls ? grpc.experimental.createCertificateProviderChannelCredentials(options.tls, options.tls) : grpc.credentials.createInsecure();
    this.client = new grpc.Client(address, credentials, {
      // HTTP/2's default 64 KiB receive window makes the controller wait for a WINDOW_UPDATE round trip
      // every 64 KiB: a snapshot crawls, and simulated hosts sharing one connection stall each other.
      // The runtime pauses the stream itself when it falls behind (see runtime.ts).
      'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW,
      // The runtime re-dials and resumes a failed Watch itself; grpc-js's retry layer would only add a
      // per-message buffering step to a stream that is never retried.
      'grpc.enable_retries': 0,
      // Channels of one process to one address share a connection unless told not to.
      ...(options.privateConnection ? { 'grpc.use_local_subchannel_pool': 1 } : {}),
      'grpc.max_receive_message_length': maxMessageBytes,
      'grpc.max_send_message_length': maxMessageBytes,
      'grpc.keepalive_time_ms': 20_000,
      'grpc.keepalive_permit_without_calls': 1,
      // The runtime owns reconnect policy; keep the channel's own backoff short.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2000,
    });
  }

  /** Opens a Watch stream. */
  watch(): WatchCall {
    return this.client.makeBidiStreamRequest<Uint8Array, Buffer>(
      WATCH_PATH,
      (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength),
      (b: Buffer) => b,
    );
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }
}

/** The controller addresses of a `--controller` value: one or several `host:port`, comma separated. */
export function controllerAddresses(value: string): string[] {
  const addresses = value.split(',').map((a) => a.trim()).filter((a) => a !== '');
  if (addresses.length === 0) throw new TypeError(`no controller address in "${value}"`);
  return addresses;
}
