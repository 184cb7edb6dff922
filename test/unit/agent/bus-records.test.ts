/** What the agent accepts from a VPC subject (parseVpcDelta) and what a whole VPC scope deletes (wholeScopeDeletes). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { NeighborStateSchema, Operation, ResourceStateSchema, ResourceType } from '../../../src/proto/alcor/v1/goal_state_pb.js';
import { parseVpcDelta } from '../../../src/agent/bus-delta.js';
import { readDelta, wholeScopeDeletes } from '../../../src/agent/whole-scope.js';
import { DesiredState } from '../../../src/agent/desired-state.js';
import { resourceKey } from '../../../src/agent/wire-reader.js';
import { encodeDelete, goalStateDelta, scopeDeltaField } from '../../../src/dataplane/wire.js';

function neighbor(id: string, vpcId: string): Uint8Array {
  return toBinary(ResourceStateSchema, create(ResourceStateSchema, {
    type: ResourceType.NEIGHBOR,
    id,
    operation: Operation.UPSERT,
    state: { case: 'neighbor', value: create(NeighborStateSchema, { id, vpcId, macAddress: 'fa:16:3e:00:00:01', hostId: 'h', hostIp: '192.0.2.1' }) },
  }));
}

test('bus records - a delta of the subject\'s VPC with its revision, base and records is accepted', () => {
  const records = [neighbor('n1', 'vpc-a'), encodeDelete('neighbor', 'n0')];
  const parsed = parseVpcDelta('vpc-a', goalStateDelta(42, [scopeDeltaField('vpc/vpc-a', records)], 40));
  assert.ok(typeof parsed !== 'string', String(parsed));
  assert.equal(parsed.revision, 42);
  assert.equal(parsed.base, 40);
  assert.deepEqual(parsed.records.map((r) => resourceKey(r).id), ['n1', 'n0']);
});

/** A neighbor record whose ResourceState id is `id` while the neighbor inside keeps its own. */
function relabelled(record: Uint8Array, id: string): Uint8Array {
  const state = fromBinary(ResourceStateSchema, record);
  return toBinary(ResourceStateSchema, create(ResourceStateSchema, { ...state, id }));
}

/** A neighbor record whose neighbor field holds a fixed-IP entry that claims more bytes than it has. */
function truncatedNeighbor(id: string): Uint8Array {
  const key = toBinary(ResourceStateSchema, create(ResourceStateSchema, { type: ResourceType.NEIGHBOR, id, operation: Operation.UPSERT }));
  return Uint8Array.from([...key, (13 << 3) | 2, 3, (4 << 3) | 2, 5, 0x0a]);
}

test('bus records - garbage, other scopes, other VPCs, non-neighbors, whole scopes and bad revisions are rejected', () => {
  const cases: [string, Uint8Array][] = [
    ['garbage', new Uint8Array([0xff, 0xff, 0xff])],
    ['another scope', goalStateDelta(5, [scopeDeltaField('vpc/vpc-b', [neighbor('n1', 'vpc-b')])], 4)],
    ['a host scope', goalStateDelta(5, [scopeDeltaField('host/h1', [neighbor('n1', 'vpc-a')])], 4)],
    ['a neighbor of another VPC', goalStateDelta(5, [scopeDeltaField('vpc/vpc-a', [neighbor('n1', 'vpc-b')])], 4)],
    ['a port record', goalStateDelta(5, [scopeDeltaField('vpc/vpc-a', [toBinary(ResourceStateSchema, create(ResourceStateSchema, { type: ResourceType.PORT, id: 'p', operation: Operation.UPSERT }))])], 4)],
    ['a whole scope', goalStateDelta(5, [scopeDeltaField('vpc/vpc-a', [neighbor('n1', 'vpc-a')], true)], 4)],
    ['no revision', goalStateDelta(0, [scopeDeltaField('vpc/vpc-a', [neighbor('n1', 'vpc-a')])], 0)],
    ['a base not below the revision', goalStateDelta(5, [scopeDeltaField('vpc/vpc-a', [neighbor('n1', 'vpc-a')])], 5)],
    ['two scopes', goalStateDelta(5, [scopeDeltaField('vpc/vpc-a', []), scopeDeltaField('vpc/vpc-a', [])], 4)],
    ['a neighbor under another record id', goalStateDelta(5, [scopeDeltaField('vpc/vpc-a', [relabelled(neighbor('n2', 'vpc-a'), 'n1')])], 4)],
    ['a truncated neighbor', goalStateDelta(5, [scopeDeltaField('vpc/vpc-a', [truncatedNeighbor('n1')])], 4)],
  ];
  for (const [what, bytes] of cases) assert.equal(typeof parseVpcDelta('vpc-a', bytes), 'string', what);
});

test('bus records - a whole VPC scope deletes the neighbors of that VPC it does not list, and nothing else', () => {
  const desired = new DesiredState();
  desired.applyRecords([neighbor('a1', 'vpc-a'), neighbor('a2', 'vpc-a'), neighbor('b1', 'vpc-b')]);
  const deletes = wholeScopeDeletes(desired.view, 'vpc-a', [neighbor('a2', 'vpc-a'), neighbor('a3', 'vpc-a')]);
  assert.deepEqual(deletes.map((d) => ({ ...resourceKey(d) })), [{ type: ResourceType.NEIGHBOR, id: 'a1', operation: Operation.DELETE }]);
});

test('bus records - readDelta keeps the revision, puts a whole scope\'s deletes first, and takes scopes larger than a call\'s argument limit', () => {
  const desired = new DesiredState();
  desired.applyRecords([neighbor('old', 'vpc-a')]);
  const many = Array.from({ length: 150_000 }, (_, i) => encodeDelete('neighbor', `n${i}`));
  const bytes = goalStateDelta(7, [scopeDeltaField('host/h1', []), scopeDeltaField('vpc/vpc-a', many, true), scopeDeltaField('vpc/vpc-b', [neighbor('b1', 'vpc-b')])]);
  const read = readDelta(bytes, desired.view);
  assert.equal(read.revision, 7);
  assert.deepEqual([...read.vpcScopes], [['vpc-a', true], ['vpc-b', false]]);
  assert.equal(read.records.length, 150_002);
  assert.equal(resourceKey(read.records[0] as Uint8Array).id, 'old');
  assert.equal(resourceKey(read.records.at(-1) as Uint8Array).id, 'b1');
});
