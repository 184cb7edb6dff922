/**
 * The agent's own OpenFlow connection to a bridge's management socket (`<rundir>/<bridge>.mgmt`), used
 * for flow programming (bundles of flow-mods), reading installed cookies, packet-ins (DHCP) and
 * packet-outs. It reconnects on its own; every (re)connection is reported so the driver can re-check
 * installed flows (ovs-vswitchd may have restarted and lost them).
 *
 *   connecting ──hello──▶ ready ──socket closed──▶ backoff ──timer──▶ connecting
 *        any ──close()──▶ closed
 */
import { createConnection, type Socket } from 'node:net';
import { ByteWriter } from './byte-writer.js';
import {
  BundleControl,
  decodeError,
  decodePacketIn,
  describeError,
  encodeBundleControl,
  encodeFlowStatsRequest,
  encodeMessage,
  encodePacketOut,
  encodeSetConfig,
  encodeSetPacketInFormat,
  flowStatsCookies,
  multipartHasMore,
  OfMessageReader,
  OfType,
  writeBundleAdd,
  type OfError,
  type OfMessage,
  type PacketIn,
} from './openflow.js';

/** The switch answered a request with an OFPT_ERROR. */
export class OfErrorReply extends Error {
  constructor(readonly error: OfError) {
    super(`switch replied ${describeError(error)}`);
    this.name = 'OfErrorReply';
  }
}

/** The switch refused a bundle; nothing of it was applied. */
export class BundleRejectedError extends Error {
  constructor(
    /** Index of the message the switch refused, when it named one. */
    readonly index: number | undefined,
    readonly error: OfError,
  ) {
    super(`bundle rejected: ${describeError(error)}${index === undefined ? '' : ` for message ${index}`}`);
    this.name = 'BundleRejectedError';
  }
}

/** Messages per write of a bundle (~200 KB of flow-mods). */
const BUNDLE_CHUNK = 2000;

/** Errors the switch sent for the messages of the bundle in flight. */
interface BundleInFlight {
  firstXid: number;
  count: number;
  failure?: { index: number; error: OfError };
}

/** Connection states. */
export type OfConnectionState =
  /** Dialling the socket or waiting for the switch's HELLO. */
  | 'connecting'
  /** Configured; packet-ins flow. */
  | 'ready'
  /** Waiting before the next dial after a failure. */
  | 'backoff'
  /** Closed by the owner; terminal. */
  | 'closed';

/** Callbacks of a connection. */
export interface OfConnectionHandlers {
  packetIn: (packetIn: PacketIn) => void;
  /** Called each time the connection becomes ready (first time included). */
  ready?: () => void;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

/** A self-healing OpenFlow service connection. */
export class OfConnection {
  private socket: Socket | undefined;
  private xid = 1;
  private timer: NodeJS.Timeout | undefined;
  private backoffMs = 100;
  private readonly pending = new Map<number, { parts: OfMessage[]; resolve: (parts: OfMessage[]) => void; reject: (err: Error) => void }>();
  private readyWaiters: Array<() => void> = [];
  private bundleId = 0;
  private bundleInFlight: BundleInFlight | undefined;
  state: OfConnectionState = 'connecting';

  constructor(
    private readonly path: string,
    private readonly handlers: OfConnectionHandlers,
  ) {}

  /** Starts dialling. */
  start(): void {
    this.dial();
  }

  /** Sends a frame out of `outPort` (an OpenFlow port number). */
  packetOut(outPort: number, frame: Buffer): boolean {
    if (this.state !== 'ready' || !this.socket) return false;
    this.socket.write(encodePacketOut(this.nextXid(), outPort, frame));
    return true;
  }

  /** Resolves once the connection is ready, false after `timeoutMs` without. */
  waitReady(timeoutMs: number): Promise<boolean> {
    if (this.state === 'ready') return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.readyWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /**
   * The cookies of every installed flow, read with a binary OFPMP_FLOW request: much cheaper than
   * `ovs-ofctl dump-flows` text for tens of thousands of flows (agent restart resync).
   */
  async installedCookies(timeoutMs = 30_000): Promise<Set<bigint>> {
    const parts = await this.request(encodeFlowStatsRequest, timeoutMs);
    const cookies = new Set<bigint>();
    for (const part of parts) flowStatsCookies(part, cookies);
    return cookies;
  }

  /**
   * Applies `count` messages of `type` (e.g. flow-mods, whose body `writeBody(w, i)` appends) as one
   * atomic, ordered bundle: open, add them all, then a barrier. Messages are written and sent in chunks,
   * so the switch works on one chunk while the next is encoded. The switch checks each message as it is added, so once
   * the barrier is answered every refusal has arrived: any refusal (or a throwing `writeBody`) discards the
   * bundle, otherwise it is committed (a failure at commit rolls everything back too). Rejects with
   * BundleRejectedError naming the refused message.
   */
  async bundle(type: number, count: number, writeBody: (w: ByteWriter, index: number) => void, timeoutMs = 300_000): Promise<void> {
    if (this.bundleInFlight) throw new Error('a bundle is already in flight');
    const bundleId = (this.bundleId = (this.bundleId + 1) >>> 0);
    await this.request((xid) => encodeBundleControl(xid, bundleId, BundleControl.OPEN), timeoutMs);
    const inFlight: BundleInFlight = { firstXid: this.reserveXids(count), count };
    this.bundleInFlight = inFlight;
    try {
      try {
        for (let start = 0; start < count && !inFlight.failure; start += BUNDLE_CHUNK) {
          const w = new ByteWriter(256 * 1024);
          for (let i = start; i < Math.min(count, start + BUNDLE_CHUNK); i++) {
            writeBundleAdd(w, (inFlight.firstXid + i) >>> 0, bundleId, type, (body) => writeBody(body, i));
          }
          await this.send(w.bytes());
        }
        await this.request((xid) => encodeMessage(OfType.BARRIER_REQUEST, xid), timeoutMs);
      } catch (err) {
        await this.request((xid) => encodeBundleControl(xid, bundleId, BundleControl.DISCARD), timeoutMs).catch(() => undefined);
        throw err;
      }
      if (inFlight.failure) {
        await this.request((xid) => encodeBundleControl(xid, bundleId, BundleControl.DISCARD), timeoutMs).catch(() => undefined);
        throw new BundleRejectedError(inFlight.failure.index, inFlight.failure.error);
      }
      try {
        await this.request((xid) => encodeBundleControl(xid, bundleId, BundleControl.COMMIT), timeoutMs);
      } catch (err) {
        if (!(err instanceof OfErrorReply)) throw err;
        // Set by onMessage while the commit was pending (a message refused at commit time).
        const failure = inFlight.failure as BundleInFlight['failure'];
        throw new BundleRejectedError(failure?.index, failure?.error ?? err.error);
      }
    } finally {
      this.bundleInFlight = undefined;
    }
  }

  /** Writes `data`; resolves once the socket takes more (or rejects when it closed). */
  private send(data: Buffer): Promise<void> {
    const socket = this.socket;
    if (this.state !== 'ready' || !socket) return Promise.reject(new Error('openflow connection not ready'));
    if (socket.write(data)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        socket.off('drain', onDrain);
        socket.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () => done(new Error('openflow connection closed'));
      socket.on('drain', onDrain);
      socket.on('close', onClose);
    });
  }

  /** `count` consecutive xids (not wrapping inside the range). */
  private reserveXids(count: number): number {
    if (this.xid + count + 1 > 0xffffffff) this.xid = 1;
    const first = this.xid + 1;
    this.xid += count;
    return first;
  }

  private request(encode: (xid: number) => Buffer, timeoutMs: number): Promise<OfMessage[]> {
    const socket = this.socket;
    if (this.state !== 'ready' || !socket) return Promise.reject(new Error('openflow connection not ready'));
    const xid = this.nextXid();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(xid);
        reject(new Error(`openflow request ${xid} timed out`));
      }, timeoutMs);
      this.pending.set(xid, {
        parts: [],
        resolve: (parts) => {
          clearTimeout(timer);
          resolve(parts);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      socket.write(encode(xid));
    });
  }

  /** Closes for good. */
  close(): void {
    this.state = 'closed';
    if (this.timer) clearTimeout(this.timer);
    this.socket?.destroy();
    this.socket = undefined;
  }

  private nextXid(): number {
    this.xid = (this.xid + 1) >>> 0 || 1;
    return this.xid;
  }

  private dial(): void {
    if (this.state === 'closed') return;
    this.state = 'connecting';
    const reader = new OfMessageReader();
    const socket = createConnection(this.path);
    this.socket = socket;
    socket.on('connect', () => socket.write(encodeMessage(OfType.HELLO, this.nextXid())));
    socket.on('data', (chunk: Buffer) => {
      let messages;
      try {
        messages = reader.push(chunk);
      } catch (err) {
        this.handlers.log?.('warn', 'openflow framing error, reconnecting', { error: String(err) });
        socket.destroy();
        return;
      }
      for (const message of messages) this.onMessage(socket, message);
    });
    socket.on('error', (err) => this.handlers.log?.('debug', 'openflow socket error', { path: this.path, error: err.message }));
    socket.on('close', () => {
      for (const [xid, p] of this.pending) {
        this.pending.delete(xid);
        p.reject(new Error('openflow connection closed'));
      }
      if (this.socket !== socket || this.state === 'closed') return;
      this.socket = undefined;
      this.state = 'backoff';
      this.timer = setTimeout(() => this.dial(), this.backoffMs);
      this.timer.unref?.();
      this.backoffMs = Math.min(this.backoffMs * 2, 2000);
    });
  }

  private onMessage(socket: Socket, message: OfMessage): void {
    const pending = this.pending.get(message.xid);
    if (pending && message.type === OfType.ERROR) {
      this.pending.delete(message.xid);
      pending.reject(new OfErrorReply(decodeError(message)));
      return;
    }
    if (pending) {
      pending.parts.push(message);
      if (message.type !== OfType.MULTIPART_REPLY || !multipartHasMore(message)) {
        this.pending.delete(message.xid);
        pending.resolve(pending.parts);
      }
      return;
    }
    const bundle = this.bundleInFlight;
    if (bundle && message.type === OfType.ERROR && ((message.xid - bundle.firstXid) >>> 0) < bundle.count) {
      bundle.failure ??= { index: (message.xid - bundle.firstXid) >>> 0, error: decodeError(message) };
      return;
    }
    switch (message.type) {
      case OfType.HELLO:
        socket.write(Buffer.concat([encodeSetConfig(this.nextXid()), encodeSetPacketInFormat(this.nextXid())]));
        this.state = 'ready';
        this.backoffMs = 100;
        for (const waiter of this.readyWaiters.splice(0)) waiter();
        this.handlers.ready?.();
        return;
      case OfType.ECHO_REQUEST:
        socket.write(encodeMessage(OfType.ECHO_REPLY, message.xid, message.body));
        return;
      case OfType.ERROR:
        this.handlers.log?.('warn', 'openflow error from switch', { xid: message.xid, body: message.body.subarray(0, 16).toString('hex') });
        return;
      default: {
        const packetIn = decodePacketIn(message);
        if (packetIn) this.handlers.packetIn(packetIn);
      }
    }
  }
}
