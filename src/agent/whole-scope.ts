/**
 * A VPC scope sent whole (a join, or a VPC moving back from the bus to gRPC) replaces what the host
 * holds of it: neighbors of that VPC not listed are deleted. Only the deletes are built here; the
 * listed records follow them in the same delta.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { Operation, ResourceStateSchema, ResourceType } from '../proto/alcor/v1/goal_state_pb.js';
import type { DesiredStateView } from './driver.js';
import { resourceKey } from './wire-reader.js';

/** Delete records for the neighbors of `vpc` held now and absent from `records`. */
export function wholeScopeDeletes(desired: DesiredStateView, vpc: string, records: readonly Uint8Array[]): Uint8Array[] {
  const listed = new Set<string>();
  for (const r of records) listed.add(resourceKey(r).id);
  const deletes: Uint8Array[] = [];
  for (const [id, neighbor] of desired.neighbor) {
    if (neighbor.vpcId === vpc && !listed.has(id)) {
      deletes.push(toBinary(ResourceStateSchema, create(ResourceStateSchema, { type: ResourceType.NEIGHBOR, id, operation: Operation.DELETE })));
    }
  }
  return deletes;
}
