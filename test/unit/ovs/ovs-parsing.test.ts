import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseInterfaces } from '../../../src/agent/drivers/ovs/interface-watcher.js';
import { compileOvsDriverOptions } from '../../../src/agent/drivers/ovs/options.js';
import { bundleLine } from '../../../src/agent/drivers/ovs/flow.js';

test('ovs tools - interfaces map iface-id to ofport and skip ports without one or not yet numbered', () => {
  const json = JSON.stringify({
    headings: ['name', 'ofport', 'external_ids'],
    data: [
      ['br-int', 65534, ['map', []]],
      ['tap1', 1, ['map', [['attached-mac', 'fa:16:3e:00:00:01'], ['iface-id', 'port-1']]]],
      ['tap2', ['set', []], ['map', [['iface-id', 'port-2']]]],
      ['tap3', -1, ['map', [['iface-id', 'port-3']]]],
    ],
  });
  assert.deepEqual([...parseInterfaces(json)], [['port-1', 1]]);
});

test('ovs tools - driver options get documented defaults and reject bad numbers', () => {
  const o = compileOvsDriverOptions({ rundir: '/tmp/x' });
  assert.equal(o.db, 'unix:/tmp/x/db.sock');
  assert.equal(o.bridgeTarget, 'unix:/tmp/x/br-int.mgmt');
  assert.equal(o.tunnelOfport, 4000);
  assert.equal(o.leaseSeconds, 86400);
  assert.equal(o.datapathType, 'auto');
  assert.throws(() => compileOvsDriverOptions({ 'tunnel-ofport': 'abc' }), /positive integer/);
});

test('ovs tools - bundle lines put the cookie into add lines and delete by exact cookie', () => {
  assert.equal(bundleLine({ op: 'delete', cookie: 0xabcn, owner: 'x' }), 'delete cookie=0xabc/-1');
  assert.equal(
    bundleLine({ op: 'add', cookie: 0x1n, owner: 'x', text: 'table=0,priority=0 actions=drop' }),
    'add table=0,priority=0,cookie=0x1 actions=drop',
  );
});
