/**
 * The gRPC fast path: the controller's Watch endpoint. Agents dial it, say Hello (host id, datapath
 * IP, resume revision), and receive deltas or a snapshot; they send acks (driving port status) and
 * heartbeats. With `tls` the connection is mutual TLS and the Hello must match the client certificate
 * (agent-identity.ts). A host id already held by a live stream is refused with ALREADY_EXISTS, a Hello
 * the certificate does not vouch for with PERMISSION_DENIED, streams beyond `maxSessions` with
 * RESOURCE_EXHAUSTED; undecodable input closes the stream with INVALID_ARGUMENT; semantically invalid
 * messages (an ack of a revision never sent, a second Hello, results for ports bound elsewhere) are
 * logged rate-limited with the host and the reason, and ignored.
 *
 *   idle ──start()──▶ listening ──drain()/close()──▶ closed
 */
import * as grpc from '@grpc/grpc-js';
import { fromBinary } from '@bufbuild/protobuf';
import { randomUUID } from 'node:crypto';
import { ResourceType } from '../proto/alcor/v1/goal_state_pb.js';
import { ResultStatus, WatchRequestSchema, type Hello, type ResourceResult } from '../proto/alcor/v1/southbound_pb.js';
import { decodeBareAck } from '../proto/bare-ack.js';
import { MQ_CAPABILITY } from '../dataplane/channels.js';
import type { DataPlaneManager } from '../dataplane/manager.js';
import type { HostService } from '../services/hosts.js';
import { TlsFiles, type TlsFilePaths } from '../proto/tls-files.js';
import { isLoopbackListen } from '../config.js';
import { certifiedIdentity, helloProblem, identityProblem } from './agent-identity.js';
import { SOUTHBOUND_SERVICE } from './grpc-definition.js';
import { RateLimitedLog, type SouthboundLogger } from './log.js';
import { AgentSession } from './session.js';
import { BatchFanOut } from './fanout.js';
import { DatapathTracer } from './datapath-trace.js';

/** Options of the gRPC southbound server. */
export interface SouthboundServerOptions {
  /** `host:port` to listen on; port 0 picks a free one. @default "127.0.0.1:9016" (env ALCOR_SOUTHBOUND_LISTEN) */
  listen?: string;
  /** Unflushed bytes per agent before it is coalesced to a snapshot. @default 16 MiB */
  maxPendingBytes?: number;
  /** A stream silent for this long is closed (agents heartbeat every 10 s). @default 45000 */
  idleTimeoutMs?: number;
  /** How often heartbeats are written to the host registry. @default 5000 */
  heartbeatFlushMs?: number;
  /** Largest message sent (a snapshot chunk). @default 256 MiB */
  maxMessageBytes?: number;
  /** Largest message accepted: agents send only a Hello, acks and heartbeats. @default 8 MiB */
  maxReceiveBytes?: number;
  /** Streams open at once, Hello or not; more are refused with RESOURCE_EXHAUSTED. @default 20000 (env ALCOR_SOUTHBOUND_MAX_SESSIONS) */
  maxSessions?: number;
  /** Mutual TLS: the controller's certificate and key, and the CA that signs agent certificates. @default none (plaintext) */
  tls?: TlsFilePaths;
  /** How often the TLS files are checked for changes, ms (they are also re-read by `reloadTls()`). @default 2000 */
  tlsWatchMs?: number;
  /** Listen without TLS on an address other than loopback. @default false (env ALCOR_SOUTHBOUND_INSECURE) */
  insecure?: boolean;
  /** How long an agent has to answer a datapath trace (`alcor trace --on-host`), ms. @default 10000 */
  traceTimeoutMs?: number;
  /** Identifies this controller process in the host registry. @default random UUID */
  controllerId?: string;
  /** Agent streams written per event-loop turn when a batch fans out (see fanout.ts). @default 64 */
  fanOutSlice?: number;
}

/** Lifecycle states. */
export type SouthboundServerState =
  /** Constructed, not listening. */
  | 'idle'
  /** Accepting agents. */
  | 'listening'
  /** Shut down. */
  | 'closed';

/** Serves Watch streams to agents. */
export class SouthboundServer {
  state: SouthboundServerState = 'idle';
  /** Bound port (after start). */
  port = 0;
  readonly controllerId: string;
  readonly sessions = new Map<string, AgentSession>();
  private readonly server: grpc.Server;
  private readonly options: Required<Omit<SouthboundServerOptions, 'tls'>>;
  /** The TLS files, with `tls`. */
  readonly tls: TlsFiles | undefined;
  /** Sessions whose Hello arrived (it is checked asynchronously before the session leaves hello-wait). */
  private readonly greeted = new WeakSet<AgentSession>();
  /** Streams open now (with or without a Hello). */
  private calls = 0;
  private readonly warn: RateLimitedLog;
  private readonly heartbeats = new Map<string, number>();
  /** Delivers compiled batches to the sessions. */
  private readonly fanOut: BatchFanOut;
  private timer: NodeJS.Timeout | undefined;
  readonly counters = { accepted: 0, refused: 0, malformed: 0, ignored: 0 };
  /** Called for every accepted ack (metrics, benchmarks). */
  readonly ackListeners = new Set<(host: string, revision: number) => void>();
  /** Datapath traces asked of agents. */
  readonly traces: DatapathTracer;

  constructor(
    private readonly manager: DataPlaneManager,
    private readonly hosts: HostService,
    private readonly log: SouthboundLogger,
    options: SouthboundServerOptions = {},
  ) {
    this.options = {
      listen: options.listen ?? '127.0.0.1:9016',
      maxPendingBytes: options.maxPendingBytes ?? 16 << 20,
      idleTimeoutMs: options.idleTimeoutMs ?? 45_000,
      heartbeatFlushMs: options.heartbeatFlushMs ?? 5000,
      maxMessageBytes: options.maxMessageBytes ?? 256 << 20,
      maxReceiveBytes: options.maxReceiveBytes ?? 8 << 20,
      maxSessions: options.maxSessions ?? 20_000,
      tlsWatchMs: options.tlsWatchMs ?? 2000,
      insecure: options.insecure ?? false,
      controllerId: options.controllerId ?? randomUUID(),
      fanOutSlice: options.fanOutSlice ?? 64,
      traceTimeoutMs: options.traceTimeoutMs ?? 10_000,
    };
    this.controllerId = this.options.controllerId;
    this.traces = new DatapathTracer(this.sessions, this.options.traceTimeoutMs);
    this.warn = new RateLimitedLog(log);
    this.tls = options.tls ? new TlsFiles(options.tls, (err) => log.error({ err: err.message }, 'southbound TLS files invalid; keeping the previous ones')) : undefined;
    this.fanOut = new BatchFanOut(manager, this.options.fanOutSlice, (err) => log.error({ err }, 'delivering a batch to an agent failed'));
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': this.options.maxReceiveBytes,
      'grpc.max_send_message_length': this.options.maxMessageBytes,
      'grpc.keepalive_time_ms': 20_000,
      'grpc.keepalive_permit_without_calls': 1,
    });
    this.server.addService(SOUTHBOUND_SERVICE, { watch: (call: grpc.ServerDuplexStream<Buffer, Uint8Array>) => this.onCall(call) });
  }

  /** Binds the listen address. */
  async start(): Promise<void> {
    if (this.state !== 'idle') return;
    if (!this.tls && !this.options.insecure && !isLoopbackListen(this.options.listen)) {
      throw new TypeError(`southbound: refusing to listen on ${this.options.listen} without TLS (set the TLS files, or the insecure flag to accept any client that can reach it)`);
    }
    // One provider serves both the CA and the identity (grpc-js 1.14 passes these two arguments to its
    // constructor in swapped order, which is harmless only because they are the same object).
    const credentials = this.tls
      ? grpc.experimental.createCertificateProviderServerCredentials(this.tls.watch(this.options.tlsWatchMs), this.tls, true)
      : grpc.ServerCredentials.createInsecure();
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(this.options.listen, credentials, (err, port) => (err ? reject(err) : resolve(port))),
    );
    this.state = 'listening';
    this.timer = setInterval(() => void this.tick(), Math.min(this.options.heartbeatFlushMs, this.options.idleTimeoutMs / 3));
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    for (const session of this.sessions.values()) {
      if (now - session.lastSeen > this.options.idleTimeoutMs) {
        this.log.warn({ host: session.host }, 'agent silent too long; closing its stream');
        session.close({ code: grpc.status.DEADLINE_EXCEEDED, details: 'no heartbeat' });
        this.ended(session);
      }
    }
    if (this.heartbeats.size === 0) return;
    const beats = new Map(this.heartbeats);
    this.heartbeats.clear();
    try {
      await this.hosts.recordHeartbeats(beats, this.controllerId);
    } catch (err) {
      this.log.error({ err }, 'recording heartbeats failed');
    }
  }

  /** Re-reads the TLS files now (SIGHUP); new connections use them. False when they are invalid or TLS is off. */
  reloadTls(): boolean {
    return this.tls?.reload() ?? false;
  }

  private onCall(call: grpc.ServerDuplexStream<Buffer, Uint8Array>): void {
    const session = new AgentSession(call, this.manager, this.fanOut, this.options.maxPendingBytes);
    if (this.calls >= this.options.maxSessions) {
      this.counters.refused++;
      this.warn.warn('sessions', { peer: call.getPeer(), limit: this.options.maxSessions }, 'agent refused: too many southbound streams');
      session.close({ code: grpc.status.RESOURCE_EXHAUSTED, details: `more than ${this.options.maxSessions} southbound streams` });
      return;
    }
    this.calls++;
    const helloTimer = setTimeout(() => {
      if (session.state === 'hello-wait') session.close({ code: grpc.status.DEADLINE_EXCEEDED, details: 'no Hello within 10 s' });
    }, 10_000);
    helloTimer.unref();
    call.on('data', (bytes: Buffer) => {
      session.lastSeen = Date.now();
      const bareAck = decodeBareAck(bytes);
      if (bareAck !== undefined) return this.onAck(session, bareAck, []);
      let request;
      try {
        request = fromBinary(WatchRequestSchema, bytes);
      } catch (err) {
        this.counters.malformed++;
        this.warn.warn(`malformed:${session.host || call.getPeer()}`, { peer: call.getPeer(), host: session.host, err: (err as Error).message }, 'malformed southbound message; closing the stream');
        session.close({ code: grpc.status.INVALID_ARGUMENT, details: 'malformed WatchRequest' });
        this.ended(session);
        return;
      }
      switch (request.kind.case) {
        case 'hello':
          if (session.state !== 'hello-wait' || this.greeted.has(session)) {
            this.ignore(session, 'second Hello on one stream');
            return;
          }
          this.greeted.add(session);
          clearTimeout(helloTimer);
          void this.onHello(session, request.kind.value);
          return;
        case 'ack':
          this.onAck(session, Number(request.kind.value.revision), request.kind.value.results);
          return;
        case 'heartbeat':
          if (session.state !== 'hello-wait') this.heartbeats.set(session.host, session.ackedRevision);
          return;
        case 'traceReply':
          if (session.state === 'hello-wait' || !this.traces.settle(session.host, request.kind.value)) this.ignore(session, 'datapath trace reply to no pending request of this host');
          return;
        default:
          this.ignore(session, 'empty WatchRequest');
      }
    });
    let ended = false;
    const end = () => {
      if (!ended) this.calls--;
      ended = true;
      clearTimeout(helloTimer);
      session.close();
      this.ended(session);
    };
    call.on('end', end);
    call.on('error', end);
    call.on('cancelled', end);
    call.on('close', end);
  }

  private ignore(session: AgentSession, why: string): void {
    this.counters.ignored++;
    this.warn.warn(`ignored:${session.host}`, { host: session.host, peer: session.call.getPeer() }, `ignored southbound message: ${why}`);
  }

  private async onHello(session: AgentSession, hello: Hello): Promise<void> {
    const fail = (code: grpc.status, details: string) => {
      this.counters.refused++;
      this.warn.warn(`hello:${hello.hostId}`, { host: hello.hostId, peer: session.call.getPeer(), details }, 'agent refused');
      session.close({ code, details });
    };
    const invalid = helloProblem(hello);
    if (invalid) return fail(grpc.status.INVALID_ARGUMENT, invalid);
    if (this.tls) {
      const identity = certifiedIdentity(session.call.getAuthContext());
      const forbidden = identity ? identityProblem(hello, identity) : 'no client certificate';
      if (forbidden) return fail(grpc.status.PERMISSION_DENIED, forbidden);
      const other = await this.hosts.datapathHolder(hello.datapathIp, hello.hostId).catch(() => undefined);
      if (other !== undefined) return fail(grpc.status.PERMISSION_DENIED, `datapath_ip ${hello.datapathIp} is registered by host ${other}`);
      if (session.state === 'closed') return;
    }
    if (hello.protocolVersion > 1) return fail(grpc.status.FAILED_PRECONDITION, `protocol version ${hello.protocolVersion} is not supported (1)`);
    const holder = this.sessions.get(hello.hostId);
    if (holder && holder.state !== 'closed') return fail(grpc.status.ALREADY_EXISTS, `host ${hello.hostId} is already connected`);
    session.host = hello.hostId;
    this.sessions.set(hello.hostId, session);
    try {
      const changed = await this.hosts.register({
        host: hello.hostId,
        datapathIp: hello.datapathIp,
        capabilities: hello.capabilities,
        agentVersion: hello.agentVersion,
        availabilityZone: hello.availabilityZone,
        datapathType: hello.datapathType,
        bridgeMappings: hello.bridgeMappings,
        controllerId: this.controllerId,
      });
      if (changed) await this.manager.poll();
    } catch (err) {
      this.log.error({ err, host: hello.hostId }, 'registering host failed');
      session.close({ code: grpc.status.UNAVAILABLE, details: 'registration failed' });
      this.ended(session);
      return;
    }
    if (session.state === 'closed') {
      this.ended(session);
      return;
    }
    this.counters.accepted++;
    this.log.info({ host: hello.hostId, resume: Number(hello.resumeRevision) }, 'agent connected');
    session.begin(hello.hostId, Number(hello.resumeRevision), this.controllerId, hello.capabilities.includes(MQ_CAPABILITY));
  }

  private onAck(session: AgentSession, revision: number, results: readonly ResourceResult[]): void {
    if (session.state === 'hello-wait' || session.state === 'closed') return this.ignore(session, 'Ack before Hello');
    if (revision > session.sentRevision) return this.ignore(session, `Ack of revision ${revision} beyond the sent ${session.sentRevision}`);
    session.ackedRevision = Math.max(session.ackedRevision, revision);
    const failed = new Set<string>();
    const waiting = new Set<string>();
    let foreign = 0;
    for (const r of results) {
      if (r.type !== ResourceType.PORT && r.type !== ResourceType.DHCP) continue;
      if (r.status !== ResultStatus.FAILED && r.status !== ResultStatus.PENDING) continue;
      // Only results for ports bound to this host are kept: a host cannot set another host's port status,
      // and what is kept per host is bounded by its own ports.
      if (this.manager.portStatus.hostOf(r.id) !== session.host) foreign++;
      else if (r.status === ResultStatus.FAILED) failed.add(r.id);
      else waiting.add(r.id);
    }
    if (foreign > 0) this.ignore(session, `${foreign} ack results for ports not bound to this host`);
    this.manager.portStatus.ack(session.host, revision, failed, waiting);
    this.heartbeats.set(session.host, session.ackedRevision);
    for (const listener of this.ackListeners) listener(session.host, revision);
  }

  private ended(session: AgentSession): void {
    if (!session.host || this.sessions.get(session.host) !== session) return;
    this.sessions.delete(session.host);
    this.traces.abandon(session.host);
    if (this.state === 'closed') return;
    this.manager.portStatus.hostDown(session.host);
    this.log.info({ host: session.host }, 'agent disconnected');
    this.hosts.disconnect(session.host, this.controllerId).catch((err: unknown) => this.log.error({ err }, 'marking host disconnected failed'));
  }

  /** Stops accepting agents and closes every stream. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasListening = this.state === 'listening';
    this.state = 'closed';
    if (this.timer) clearInterval(this.timer);
    this.tls?.close();
    this.fanOut.close();
    this.traces.abandon();
    for (const session of [...this.sessions.values()]) session.close({ code: grpc.status.UNAVAILABLE, details: 'controller shutting down' });
    if (!wasListening) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 2000);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}

