import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AckBuilder } from '../../../src/agent/acks.js';
import type { DesiredStateView } from '../../../src/agent/driver.js';
import { ResourceType } from '../../../src/proto/alcor/v1/goal_state_pb.js';
import { ResultStatus } from '../../../src/proto/alcor/v1/southbound_pb.js';

const view = (...ports: string[]) => ({ port: new Map(ports.map((p) => [p, {}])) }) as unknown as DesiredStateView;
const statuses = (ack: ReturnType<AckBuilder['build']>) => ack.results.map((r) => `${r.id}:${ResultStatus[r.status]}`).sort();

test('acks - every ack lists all waiting ports until they stop waiting or go away', () => {
  const acks = new AckBuilder();
  const first = acks.build(5, [
    { kind: 'port', id: 'p1', ok: true, waitingFor: 'VM interface not plugged', applyMicros: 3 },
    { kind: 'port', id: 'p2', ok: true, applyMicros: 3 },
    { kind: 'dhcp', id: 'p2', ok: true, applyMicros: 1 },
    { kind: 'neighbor', id: 'n1', ok: true, applyMicros: 1 },
    { kind: 'neighbor', id: 'n2', ok: false, error: 'boom', applyMicros: 1 },
  ], view('p1', 'p2'));
  assert.equal(first.revision, 5n);
  assert.deepEqual(statuses(first), ['n2:FAILED', 'p1:PENDING', 'p2:OK', 'p2:OK']);
  assert.equal(first.results.find((r) => r.id === 'p1')?.type, ResourceType.PORT);

  // An ack of nothing new (a re-ack, a duplicate delta) still says p1 waits.
  assert.deepEqual(statuses(acks.build(5, [], view('p1', 'p2'))), ['p1:PENDING']);
  // Its interface appears.
  assert.deepEqual(statuses(acks.build(5, [{ kind: 'port', id: 'p1', ok: true, applyMicros: 0 }], view('p1', 'p2'))), ['p1:OK']);
  assert.deepEqual(statuses(acks.build(6, [], view('p1', 'p2'))), []);

  // A waiting port removed by a full apply waits for nothing any more.
  acks.build(7, [{ kind: 'port', id: 'p3', ok: true, waitingFor: 'x', applyMicros: 0 }], view('p3'));
  acks.forgetRemoved(view());
  assert.deepEqual(statuses(acks.build(8, [], view())), []);
});
