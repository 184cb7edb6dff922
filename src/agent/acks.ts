/**
 * The acks an agent sends on its stream. An ack lists failures and port/DHCP outcomes of what it
 * applied, and every port still waiting on this host (accepted, but its VM interface is not plugged)
 * as PENDING: any single ack therefore tells the controller the whole waiting set, including the first
 * ack after a reconnect, and a port turns ACTIVE only once an ack no longer lists it.
 */
import { create } from '@bufbuild/protobuf';
import { ResourceType } from '../proto/alcor/v1/goal_state_pb.js';
import { AckSchema, ResourceResultSchema, ResultStatus, type Ack } from '../proto/alcor/v1/southbound_pb.js';
import { TYPE_OF_KIND } from './desired-state.js';
import type { DesiredStateView, ResourceOutcome } from './driver.js';

/** Results kept per ack: a host reporting more (a huge snapshot) lists the first ones. */
const MAX_RESULTS = 10_000;

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
    const result = (type: ResourceType, id: string, status: ResultStatus, error = '', micros = 0) =>
      create(ResourceResultSchema, { type, id, status, error, applyMicros: BigInt(Math.max(0, Math.round(micros))) });
    const results = outcomes
      .filter((o) => (!o.ok || o.kind === 'port' || o.kind === 'dhcp') && !(o.kind === 'port' && this.waiting.has(o.id)))
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
