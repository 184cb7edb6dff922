import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBridgeMappings, parseBridgeMappings } from '../../../src/agent/bridge-mappings.js';

test('bridge mappings - physnet:bridge items parse and format back; malformed or repeated ones are refused', () => {
  const mappings = parseBridgeMappings(['physnet1:br-ex', 'physnet2:br-vlan']);
  assert.deepEqual([...mappings], [['physnet1', 'br-ex'], ['physnet2', 'br-vlan']]);
  assert.deepEqual(formatBridgeMappings(mappings), ['physnet1:br-ex', 'physnet2:br-vlan']);
  assert.deepEqual([...parseBridgeMappings([])], []);
  assert.throws(() => parseBridgeMappings(['physnet1']), /not physnet:bridge/);
  assert.throws(() => parseBridgeMappings(['physnet1:br ex']), /not physnet:bridge/);
  assert.throws(() => parseBridgeMappings(['physnet1:a-bridge-name-too-long']), /not physnet:bridge/, 'interface names are at most 15 characters');
  assert.throws(() => parseBridgeMappings(['physnet1:br-ex', 'physnet1:br-other']), /mapped twice/);
  assert.throws(() => parseBridgeMappings(['physnet1:br-ex', 'physnet2:br-ex']), /mapped twice/);
});
