/**
 * What the agent accepts on a VPC subject of the bus: one `GoalStateDelta` of that VPC's scope with a
 * revision above its base, holding only neighbors of that VPC. Anything else is rejected with a reason
 * (the consumer counts and logs it and goes on).
 */
import { Operation, ResourceType } from '../proto/alcor/v1/goal_state_pb.js';
import { decodeNeighborRecord } from './neighbor-decoder.js';
import { readFields, resourceKey } from './wire-reader.js';

/** A validated bus delta. */
export interface VpcDelta {
  revision: number;
  base: number;
  records: Uint8Array[];
}

/** A validated bus delta, or the reason it was rejected. */
export function parseVpcDelta(vpc: string, data: Uint8Array): VpcDelta | string {
  let revision = 0;
  let base = 0;
  let scopes = 0;
  const records: Uint8Array[] = [];
  try {
    for (const f of readFields(data)) {
      if (f.field === 1 && f.wireType === 0) revision = f.value;
      else if (f.field === 3 && f.wireType === 0) base = f.value;
      else if (f.field === 2 && f.wireType === 2) {
        scopes++;
        let name = '';
        for (const s of readFields(f.bytes)) {
          if (s.field === 1 && s.wireType === 2) name = new TextDecoder().decode(s.bytes);
          else if (s.field === 2 && s.wireType === 2) records.push(s.bytes);
          else if (s.field === 3) return 'a whole scope on the bus';
        }
        if (name !== `vpc/${vpc}`) return `scope "${name}" on the subject of vpc ${vpc}`;
      } else return `unexpected field ${f.field}`;
    }
    if (revision <= 0 || scopes !== 1 || base >= revision) return 'no revision, no scope, or a base not below the revision';
    for (const r of records) {
      const key = resourceKey(r);
      if (key.type !== ResourceType.NEIGHBOR || key.id === '') return 'a record that is not a neighbor';
      if (key.operation === Operation.DELETE) continue;
      // The agent's own neighbor decoder (throws on malformed bytes): every host runs this on every message.
      const neighbor = key.operation === Operation.UPSERT ? decodeNeighborRecord(r) : undefined;
      if (neighbor?.vpcId !== vpc || neighbor.id !== key.id) return `a neighbor record of another VPC or without a state (${key.id})`;
    }
  } catch (err) {
    return `undecodable: ${(err as Error).message}`;
  }
  return { revision, base, records };
}
