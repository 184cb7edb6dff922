/**
 * Reading a `GoalStateDelta` scope by scope. A VPC scope sent whole (a join, or a VPC moving back from
 * the bus to gRPC) replaces what the host holds of it: neighbors of that VPC not listed are deleted
 * (the deletes come before the listed records of the same delta).
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { Operation, ResourceStateSchema, ResourceType } from '../proto/alcor/v1/goal_state_pb.js';
import type { DesiredStateView } from './driver.js';
import { readFields, resourceKey } from './wire-reader.js';

const utf8 = new TextDecoder();

/** A delta's revision, its records in order, and its VPC scopes (VPC id → sent whole). */
export function readDelta(bytes: Uint8Array, desired: DesiredStateView): { revision: number; records: Uint8Array[]; vpcScopes: Map<string, boolean> } {
  let revision = 0;
  const records: Uint8Array[] = [];
  const vpcScopes = new Map<string, boolean>();
  for (const f of readFields(bytes)) {
    if (f.field === 1 && f.wireType === 0) revision = f.value;
    if (f.field !== 2 || f.wireType !== 2) continue;
    let scope = '';
    let full = false;
    const scopeRecords: Uint8Array[] = [];
    for (const s of readFields(f.bytes)) {
      if (s.field === 1 && s.wireType === 2) scope = utf8.decode(s.bytes);
      else if (s.field === 2 && s.wireType === 2) scopeRecords.push(s.bytes);
      else if (s.field === 3 && s.wireType === 0) full = s.value !== 0;
    }
    if (scope.startsWith('vpc/')) {
      vpcScopes.set(scope.slice(4), full);
      // A loop, not push(...): a whole scope may hold more records than a call takes arguments.
      if (full) for (const d of wholeScopeDeletes(desired, scope.slice(4), scopeRecords)) records.push(d);
    }
    for (const r of scopeRecords) records.push(r);
  }
  return { revision, records, vpcScopes };
}

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
