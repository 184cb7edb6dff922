/** The southbound's recent warnings and errors: every line still reaches the log, the list stays bounded. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecentEvents, type SouthboundLogger } from '../../../src/southbound/log.js';

test('recent events - warnings and errors are kept (oldest dropped past the capacity) and still logged; debug and info are not kept', () => {
  const logged: string[] = [];
  const sink: SouthboundLogger = {
    debug: (_o, m) => logged.push(`debug ${m}`),
    info: (_o, m) => logged.push(`info ${m}`),
    warn: (_o, m) => logged.push(`warn ${m}`),
    error: (_o, m) => logged.push(`error ${m}`),
  };
  const events = new RecentEvents(3);
  const log = events.tee(sink);
  log.debug({}, 'd');
  log.info({ host: 'h0' }, 'i');
  for (let i = 1; i <= 4; i++) log.warn({ host: `h${i}`, n: i }, `w${i}`);
  log.error({ err: new Error('boom') }, 'e');
  assert.deepEqual(logged, ['debug d', 'info i', 'warn w1', 'warn w2', 'warn w3', 'warn w4', 'error e']);
  assert.deepEqual(events.entries.map((e) => [e.level, e.message, e.host, e.details]), [
    ['warn', 'w3', 'h3', 'n=3'],
    ['warn', 'w4', 'h4', 'n=4'],
    ['error', 'e', '', 'err=boom'],
  ]);
});

test('recent events - fields JSON cannot write (a bigint, a cycle) are kept as text', () => {
  const events = new RecentEvents();
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  events.tee({ debug() {}, info() {}, warn() {}, error() {} }).warn({ revision: 7n, cycle, peer: 'ipv4:10.0.0.1:5000' }, 'odd fields');
  assert.equal(events.entries[0]?.details, 'revision=7 cycle=[object Object] peer=ipv4:10.0.0.1:5000');
});
