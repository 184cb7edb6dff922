/** Agent neighbor storage: decoded on read, previous states of a batch, slot reuse, malformed bytes, snapshots. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, fromBinary } from '@bufbuild/protobuf';
import { NeighborStateSchema, Operation, ResourceStateSchema, ResourceType, VpcStateSchema, type NeighborState } from '../../../src/proto/alcor/v1/goal_state_pb.js';
import { WatchResponseSchema } from '../../../src/proto/alcor/v1/southbound_pb.js';
import { concat, encodeDelete, encodeUpsert, lengthField, varintField, watchSnapshotChunks } from '../../../src/dataplane/wire.js';
import { DesiredState } from '../../../src/agent/desired-state.js';
import { loadState, saveState } from '../../../src/agent/state-file.js';

const vpc = (id: string) => encodeUpsert('vpc', id, { case: 'vpc', value: create(VpcStateSchema, { id, segmentationId: 7 }) });
const neighbor = (id: string, ip: string, vpcId = 'v1') =>
  encodeUpsert('neighbor', id, { case: 'neighbor', value: create(NeighborStateSchema, { id, vpcId, macAddress: 'fa:16:3e:00:00:02', hostIp: '192.0.2.9', fixedIps: [{ subnetId: 's', ipAddress: ip }] }) });
const state = (raw: Uint8Array) => fromBinary(ResourceStateSchema, raw).state.value as NeighborState;
const ipOf = (n: NeighborState | undefined) => n?.fixedIps[0]?.ipAddress;

test('agent - neighbors read back as protobuf-es decodes them; changes carry new and previous states', () => {
  const d = new DesiredState();
  const first = neighbor('n1', '10.0.0.1');
  d.applyRecords([vpc('v1'), first, neighbor('n2', '10.0.0.2')]);
  assert.equal(d.view.neighbor.size, 2);
  assert.deepEqual(d.view.neighbor.get('n1'), state(first));
  assert.deepEqual([...d.view.neighbor.keys()], ['n1', 'n2']);
  assert.deepEqual([...d.view.neighbor.values()].map(ipOf), ['10.0.0.1', '10.0.0.2']);
  const changes = d.applyRecords([neighbor('n1', '10.0.0.3'), neighbor('n1', '10.0.0.4'), encodeDelete('neighbor', 'n2')]);
  const byId = new Map(changes.map((c) => [c.id, c]));
  assert.equal(ipOf(byId.get('n1')?.desired as NeighborState), '10.0.0.4', 'the last upsert of the batch wins');
  assert.equal(ipOf(byId.get('n1')?.previous as NeighborState), '10.0.0.1', 'previous is the state before the batch');
  assert.equal(byId.get('n2')?.desired, undefined);
  assert.equal(ipOf(byId.get('n2')?.previous as NeighborState), '10.0.0.2', 'a deleted neighbor still reads its previous state');
  assert.equal(d.view.neighbor.has('n2'), false);
});

test('agent - a neighbor created and deleted in one batch is no change; freed slots are reused by later batches only', () => {
  const d = new DesiredState();
  d.applyRecords([vpc('v1'), neighbor('a', '10.0.0.1')]);
  assert.deepEqual(d.applyRecords([neighbor('b', '10.0.0.2'), encodeDelete('neighbor', 'b')]), []);
  const removed = d.applyRecords([encodeDelete('neighbor', 'a')]);
  assert.equal(ipOf(removed[0]?.previous as NeighborState), '10.0.0.1', 'readable until the next batch starts');
  const added = d.applyRecords([neighbor('c', '10.0.0.3'), neighbor('e', '10.0.0.5')]);
  assert.deepEqual(added.map((c) => ipOf(c.desired as NeighborState)), ['10.0.0.3', '10.0.0.5']);
  assert.deepEqual([...d.view.neighbor.entries()].map(([id, n]) => `${id}:${ipOf(n)}`).sort(), ['c:10.0.0.3', 'e:10.0.0.5']);
});

test('agent - a malformed neighbor is rejected and never stored', () => {
  const d = new DesiredState();
  // Well-framed record whose neighbor message is not: its fixed IP claims 5 bytes and has 1.
  const bad = concat([varintField(1, ResourceType.NEIGHBOR), lengthField(2, 'n1'), varintField(3, Operation.UPSERT), lengthField(13, Uint8Array.from([0x22, 0x05, 0x01]))]);
  assert.deepEqual(d.applyRecords([bad]), []);
  assert.equal(d.view.neighbor.size, 0);
  assert.ok(d.rejected.length > 0);
});

test('agent - random deltas then the same state as a snapshot: the snapshot is empty and both views agree', () => {
  let seed = 42;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const d = new DesiredState();
  const model = new Map<string, Uint8Array>();
  d.applyRecords([vpc('v1'), vpc('v2')]);
  for (let batch = 0; batch < 40; batch++) {
    const records: Uint8Array[] = [];
    for (let k = 0; k < 10; k++) {
      const id = `n${random(30)}`;
      if (random(4) === 0) {
        records.push(encodeDelete('neighbor', id));
        model.delete(id);
      } else {
        const raw = neighbor(id, `10.0.${batch}.${k}`, random(2) === 0 ? 'v1' : 'v2');
        records.push(raw);
        model.set(id, raw);
      }
    }
    d.applyRecords(records);
    assert.deepEqual(new Map(d.view.neighbor), new Map([...model].map(([id, raw]) => [id, state(raw)])), `batch ${batch}`);
  }
  assert.deepEqual(d.replace([vpc('v1'), vpc('v2'), ...model.values()]), [], 'the snapshot of the same state changes nothing');
  const fresh = new DesiredState();
  fresh.replace([...d.rawStates()]);
  assert.deepEqual(new Map(fresh.view.neighbor), new Map(d.view.neighbor));
  const cascade = d.applyRecords([encodeDelete('vpc', 'v2')]);
  assert.ok([...d.view.neighbor.values()].every((n) => n.vpcId === 'v1'), 'leaving v2 dropped its neighbors');
  assert.equal(cascade.filter((c) => c.kind === 'neighbor').length, [...model.values()].filter((raw) => state(raw).vpcId === 'v2').length);
});

test('agent - snapshot chunks carry every state across chunk boundaries; the state file round-trips them', async () => {
  const states = [vpc('v1'), ...Array.from({ length: 10 }, (_, i) => neighbor(`n${i}`, `10.0.0.${i}`))];
  const chunks = [...watchSnapshotChunks(5, states, 4)].map((c) => fromBinary(WatchResponseSchema, c));
  assert.deepEqual(chunks.map((c) => (c.kind.case === 'snapshot' ? [c.kind.value.index, c.kind.value.last, c.kind.value.states.length] : [])), [[0, false, 4], [1, false, 4], [2, true, 3]]);
  const decoded = chunks.flatMap((c) => (c.kind.case === 'snapshot' ? c.kind.value.states : []));
  assert.deepEqual(decoded, states.map((s) => fromBinary(ResourceStateSchema, s)));
  const dir = await mkdtemp(join(tmpdir(), 'alcor-agent-state-'));
  try {
    const d = new DesiredState();
    d.replace(states);
    await saveState(dir, 5, d.rawStates());
    const loaded = await loadState(dir, (err) => assert.fail(String(err)));
    assert.equal(loaded?.revision, 5);
    const back = new DesiredState();
    back.replace(loaded?.states ?? []);
    assert.deepEqual(new Map(back.view.neighbor), new Map(d.view.neighbor));
    assert.equal(back.size, states.length);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('agent - delta states are copied out of the message that carried them; snapshot states stay views', () => {
  const records = [vpc('v1'), neighbor('n1', '10.0.0.1')];
  const message = new Uint8Array(1 << 16);
  let offset = 0;
  const views = records.map((r) => {
    message.set(r, offset);
    offset += r.length;
    return message.subarray(offset - r.length, offset);
  });
  const delta = new DesiredState();
  delta.applyRecords(views);
  assert.ok([...delta.rawStates()].every((raw) => raw.buffer !== message.buffer), 'a small delta does not pin its 64 KiB message');
  assert.equal(ipOf(delta.view.neighbor.get('n1')), '10.0.0.1');
  const snapshot = new DesiredState();
  snapshot.replace(views);
  assert.ok([...snapshot.rawStates()].every((raw) => raw.buffer === message.buffer), 'snapshot chunks are not copied');
});
