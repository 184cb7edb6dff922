/**
 * Datapath traces on the Watch stream (`alcor trace --on-host`): the controller sends an agent a
 * DatapathTraceRequest and waits, with a timeout, for the DatapathTraceReply of the same request id.
 * A reply is taken only from the host the request went to and only while its request is pending; the
 * pending requests are bounded, so neither agents nor callers can grow the controller's memory.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { randomUUID } from 'node:crypto';
import { ServiceUnavailable } from '../domain/errors.js';
import { DatapathTraceRequestSchema, WatchResponseSchema, type DatapathTraceReply, type DatapathTraceRequest } from '../proto/alcor/v1/southbound_pb.js';
import type { AgentSession } from './session.js';

/** The packet of a request: everything but its id. */
export type DatapathTracePacket = Omit<DatapathTraceRequest, '$typeName' | 'requestId'>;

/** What an agent traced. */
export interface DatapathTraceAnswer {
  host: string;
  flow: string;
  output: string;
}

interface Pending {
  host: string;
  resolve: (answer: DatapathTraceAnswer) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** Requests datapath traces of agents and matches their replies. */
export class DatapathTracer {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly sessions: ReadonlyMap<string, AgentSession>,
    /** How long an agent has to answer, ms. */
    private readonly timeoutMs: number,
    /** Requests waiting at once, over all hosts. */
    private readonly maxPending = 32,
  ) {}

  /** Asks the agent of `host` to trace `packet`; rejects with ServiceUnavailable when it cannot be asked or does not answer in time. */
  request(host: string, packet: DatapathTracePacket): Promise<DatapathTraceAnswer> {
    const session = this.sessions.get(host);
    if (!session || session.state === 'hello-wait' || session.state === 'closed') {
      return Promise.reject(new ServiceUnavailable(`The agent of host ${host} is not connected to this controller replica, so it cannot trace its data path.`));
    }
    if (this.pending.size >= this.maxPending) return Promise.reject(new ServiceUnavailable(`${this.maxPending} datapath traces are already waiting for agents; try again later.`));
    const requestId = randomUUID();
    const message = create(WatchResponseSchema, { kind: { case: 'traceRequest', value: create(DatapathTraceRequestSchema, { ...packet, requestId }) } });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new ServiceUnavailable(`The agent of host ${host} did not answer the datapath trace within ${this.timeoutMs} ms (agents before 0.2.0 do not answer it).`));
      }, this.timeoutMs);
      this.pending.set(requestId, { host, resolve, reject, timer });
      session.send(toBinary(WatchResponseSchema, message));
    });
  }

  /** Settles the request `reply` answers; false (and nothing settled) when `host` was not asked it or it is no longer pending. */
  settle(host: string, reply: DatapathTraceReply): boolean {
    const p = this.pending.get(reply.requestId);
    if (!p || p.host !== host) return false;
    this.pending.delete(reply.requestId);
    clearTimeout(p.timer);
    if (reply.error) p.reject(new ServiceUnavailable(`The agent of host ${host} could not trace its data path: ${reply.error}`));
    else p.resolve({ host, flow: reply.flow, output: reply.output });
    return true;
  }

  /** Fails every pending request of `host` (its stream ended), or of every host. */
  abandon(host?: string): void {
    for (const [id, p] of this.pending) {
      if (host !== undefined && p.host !== host) continue;
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(new ServiceUnavailable(`The agent of host ${p.host} disconnected before answering the datapath trace.`));
    }
  }
}
