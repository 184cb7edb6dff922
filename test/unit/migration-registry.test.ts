import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertDistinctVersions, KNOWN_MIGRATIONS } from '../../src/store/migrations.js';

test('migrations - the registered migrations have distinct versions, in order; two sharing a version are refused', () => {
  const versions = KNOWN_MIGRATIONS.map((m) => m.version);
  assert.deepEqual(versions, [...new Set(versions)].sort((a, b) => a - b));
  assert.throws(
    () => assertDistinctVersions([{ version: 410, name: 'a', statements: [] }, { version: 410, name: 'b', statements: [] }]),
    /"a" and "b" share version 410/,
  );
});
