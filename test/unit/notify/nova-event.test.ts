import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressSignature, isInstancePort, portEvents, type SeenPort } from '../../../src/notify/nova-event.js';

const SERVER = '4b9e3c52-55c4-4f8e-9e3c-0e5e7b6f3a11';
const OTHER = 'a0a1a2a3-b4b5-4c6c-8d7d-e8e9eaebecee';
const port = (over: Partial<SeenPort> = {}): SeenPort => ({
  serverUuid: SERVER,
  host: 'h1',
  status: 'DOWN',
  vifType: 'ovs',
  addresses: addressSignature(['s 10.0.0.5'], []),
  ...over,
});
const names = (seen: SeenPort | undefined, now: SeenPort | undefined, deleted = false) =>
  portEvents('p1', seen, now, deleted).map((e) => `${e.name}${e.status ? ` ${e.status}` : ''}`);

test('nova events - instance ports are compute-owned with a UUID device_id', () => {
  assert.equal(isInstancePort('compute:nova', SERVER), true);
  assert.equal(isInstancePort('compute:az1', SERVER.replace(/-/g, '')), true);
  assert.equal(isInstancePort('network:dhcp', SERVER), false);
  assert.equal(isInstancePort('compute:nova', 'vm-1'), false);
  assert.equal(isInstancePort('', SERVER), false);
});

test('nova events - status transitions as Neutron notifies them', () => {
  assert.deepEqual(names(port(), port({ status: 'ACTIVE' })), ['network-vif-plugged completed']);
  assert.deepEqual(names(undefined, port({ status: 'ACTIVE' })), ['network-vif-plugged completed'], 'first seen already ACTIVE');
  assert.deepEqual(names(undefined, port()), [], 'first seen DOWN: nothing yet');
  assert.deepEqual(names(port({ status: 'ACTIVE' }), port({ status: 'ACTIVE' })), []);
  assert.deepEqual(names(port({ status: 'ACTIVE' }), port({ status: 'ACTIVE', host: 'h2' })), ['network-vif-plugged completed'], 'ACTIVE on a new host');
  assert.deepEqual(names(port({ status: 'ACTIVE' }), port({ status: 'DOWN' })), ['network-vif-unplugged']);
  assert.deepEqual(names(port(), port({ status: 'ERROR' })), ['network-vif-plugged failed']);
  assert.deepEqual(names(port({ status: 'ERROR' }), port({ status: 'ERROR' })), []);
  assert.deepEqual(names(port({ vifType: 'unbound' }), port({ vifType: 'binding_failed' })), ['network-vif-plugged failed']);
  assert.deepEqual(names(port({ vifType: 'binding_failed' }), port({ vifType: 'binding_failed', host: 'h2' })), [], 'a failure is told once');
});

test('nova events - addresses, deletes and other instances', () => {
  const moved = port({ addresses: addressSignature(['s 10.0.0.6'], []) });
  assert.deepEqual(names(port(), moved), ['network-changed']);
  assert.deepEqual(names(port(), port({ addresses: addressSignature(['s 10.0.0.5'], ['f 203.0.113.4']) })), ['network-changed'], 'a floating IP');
  assert.deepEqual(names(port(), port({ addresses: addressSignature(['s 10.0.0.5'], []) })), [], 'same addresses in another order');
  assert.deepEqual(names(port(), undefined, true), ['network-vif-deleted']);
  assert.deepEqual(names(port(), undefined, false), [], 'detached from the instance, not deleted');
  assert.deepEqual(names(undefined, undefined, true), [], 'never told, nothing to delete');
  const other = portEvents('p1', port({ status: 'ACTIVE' }), port({ serverUuid: OTHER, status: 'ACTIVE' }), false);
  assert.deepEqual(other, [{ name: 'network-vif-plugged', server_uuid: OTHER, tag: 'p1', status: 'completed' }], 'attached to another instance');
});
