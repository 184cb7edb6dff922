import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileApiBenchOptions } from '../../../src/bench/api-bench.js';
import { percentile, summarize } from '../../../src/bench/stats.js';

test('bench - percentiles use the nearest-rank method', () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 50), 50);
  assert.equal(percentile(sorted, 99), 99);
  assert.equal(percentile(sorted, 100), 100);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
  const s = summarize([3, 1, 2]);
  assert.deepEqual([s.count, s.p50Ms, s.maxMs, s.meanMs], [3, 2, 3, 2]);
});

test('bench - options scale the stored levels and reject nonsense', () => {
  const full = compileApiBenchOptions({});
  assert.deepEqual(full.levels, [0, 10_000, 100_000]);
  assert.equal(full.concurrency, 16);
  assert.equal(full.url, 'http://127.0.0.1:9696');
  assert.deepEqual(compileApiBenchOptions({ scale: 0.1 }).levels, [0, 1000, 10_000]);
  assert.throws(() => compileApiBenchOptions({ scale: 0 }), RangeError);
  assert.throws(() => compileApiBenchOptions({ concurrency: 0 }), RangeError);
});
