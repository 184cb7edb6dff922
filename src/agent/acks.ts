/**
 * The acks an agent sends on its stream. An ack lists failures and port/DHCP outcomes of what it
 * applied, and every port still waiting on this host (accepted, but its VM interface is not plugged)
 * as PENDING: any single ack therefore tells the controller the whole waiting set, including the first
 * ack after a reconnect, and a port turns ACTIVE only once an ack no longer lists it.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { ResourceType } from '../proto/alcor/v1/goal_state_pb.js';
import { AckSchema, ResourceResultSchema, ResultStatus, WatchRequestSchema, type Ack } from '../proto/alcor/v1/southbound_pb.js';
import { encodeBareAck } from '../proto/bare-ack.js';
import { TYPE_OF_KIND } from './desired-state.js';
import type { DesiredStateView, ResourceOutcome } from './driver.js';

/** Results kept per ack: a host reporting more (a huge snapshot) lists the first ones. */
const MAX_RESULTS = 10_000;

/** Outcomes an ack lists: failures, and what ports and DHCP entries became (port status). */
function reported(o: ResourceOutcome): boolean {
  return !o.ok || o.kind === 'port' || o.kind === 'dhcp';
}

/** Builds acks and remembers which ports are waiting. */
export class AckBuilder {
  /** Port id → what it waits for. */
  private readonly waiting = new Map<string, string>();

  /** The Ack of `revision` after `outcomes` were applied; `desired` is the state after them. */
  build(revision: number, outcomes: readonly ResourceOutcome[], desired: DesiredStateView): Ack {
    for (const o of outcomes) {
      if (o.kind !== 'port') continue;
      if (o.ok && o.waitingFor !== undefined && desired.port.has(o.id)) this.waiting.set(o.id, o.waitingFor);
      else this.waiting.delete(o.id);
    }
    // Most acks (a neighbor applied on every host of a VPC) report nothing: no per-ack arrays or closures.
    if (this.waiting.size === 0 && !outcomes.some(reported)) return create(AckSchema, { revision: BigInt(revision) });
    const result = (type: ResourceType, id: string, status: ResultStatus, error = '', micros = 0) =>
      create(ResourceResultSchema, { type, id, status, error, applyMicros: BigInt(Math.max(0, Math.round(micros))) });
    const results = outcomes
      .filter((o) => reported(o) && !(o.kind === 'port' && this.waiting.has(o.id)))
      .slice(0, MAX_RESULTS)
      .map((o) => result(TYPE_OF_KIND[o.kind], o.id, o.ok ? ResultStatus.OK : ResultStatus.FAILED, o.error, o.applyMicros));
    for (const [port, reason] of this.waiting) results.push(result(ResourceType.PORT, port, ResultStatus.PENDING, reason));
    return create(AckSchema, { revision: BigInt(revision), results });
  }

  /** After a full apply: ports no longer desired wait for nothing. */
  forgetRemoved(desired: DesiredStateView): void {
    for (const port of this.waiting.keys()) if (!desired.port.has(port)) this.waiting.delete(port);
  }
}

/** The encoded WatchRequest carrying `ack` (an ack without results in its short wire form, see bare-ack.ts). */
export function ackRequest(ack: Ack): Uint8Array {
  if (ack.results.length === 0) return encodeBareAck(Number(ack.revision));
  return toBinary(WatchRequestSchema, create(WatchRequestSchema, { kind: { case: 'ack', value: ack } }));
}
