/** Wire assembly: pre-encoded scope fields splice into valid messages; scope logs trim and resume correctly. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, fromBinary } from '@bufbuild/protobuf';
import { NeighborStateSchema, Operation, ResourceType } from '../../../src/proto/alcor/v1/goal_state_pb.js';
import { WatchResponseSchema } from '../../../src/proto/alcor/v1/southbound_pb.js';
import { encodeDelete, encodeUpsert, watchDelta, watchSnapshotChunk } from '../../../src/dataplane/wire.js';
import { Scope } from '../../../src/dataplane/scope-table.js';

const neighbor = (id: string) => encodeUpsert('neighbor', id, { case: 'neighbor', value: create(NeighborStateSchema, { id, vpcId: 'v', hostIp: '192.0.2.1' }) });

test('dataplane - spliced scope fields decode as one GoalStateDelta', () => {
  const a = new Scope('host/h1', 0);
  const b = new Scope('vpc/v', 0);
  const fa = a.record(7, [encodeDelete('port', 'p0')]);
  const fb = b.record(7, [neighbor('n1'), neighbor('n2')]);
  const msg = fromBinary(WatchResponseSchema, watchDelta(7, [fa, fb]));
  assert.equal(msg.kind.case, 'delta');
  const delta = msg.kind.case === 'delta' ? msg.kind.value : undefined;
  assert.equal(delta?.revision, 7n);
  assert.deepEqual(delta?.scopes.map((s) => s.scope), ['host/h1', 'vpc/v']);
  assert.equal(delta?.scopes[0]?.states[0]?.operation, Operation.DELETE);
  assert.equal(delta?.scopes[1]?.states[1]?.type, ResourceType.NEIGHBOR);
  assert.equal(delta?.scopes[1]?.states[1]?.state.case, 'neighbor');
  const chunk = fromBinary(WatchResponseSchema, watchSnapshotChunk(9, 2, true, [neighbor('n1')]));
  assert.equal(chunk.kind.case === 'snapshot' && chunk.kind.value.last && chunk.kind.value.index === 2 && chunk.kind.value.states.length === 1, true);
});

test('dataplane - a scope reports changes only, and its log resumes until trimmed', () => {
  const s = new Scope('vpc/v', 10, { maxEntries: 3, maxBytes: 1 << 20 });
  const n1 = neighbor('n1');
  assert.ok(s.upsert('neighbor/n1', { kind: 'neighbor', id: 'n1', bytes: n1 }));
  assert.equal(s.upsert('neighbor/n1', { kind: 'neighbor', id: 'n1', bytes: neighbor('n1') }), undefined, 'same bytes: no change');
  const { records, removed } = s.replaceAll(new Map());
  assert.deepEqual(removed, ['neighbor/n1']);
  assert.equal(records.length, 1);
  for (let r = 11; r <= 15; r++) s.record(r, [n1]);
  assert.equal(s.since(9), undefined, 'before the floor: snapshot needed');
  assert.equal(s.since(11), undefined, 'trimmed entries: snapshot needed');
  assert.deepEqual(s.since(12)?.map((e) => e.revision), [13, 14, 15]);
  assert.deepEqual(s.since(15), []);
});
