import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileServerOptions, ConfigError } from '../../../src/config.js';

test('config - events to Nova: off by default, a URL or the catalog, documented defaults', () => {
  assert.deepEqual(compileServerOptions({}).nova, { enabled: false, url: undefined, intervalMs: 200, timeoutMs: 30_000, region: '', interface: 'public' });
  const on = compileServerOptions({ novaUrl: 'http://nova:8774/v2.1/', novaEventIntervalMs: '50' }).nova;
  assert.equal(on.enabled, true);
  assert.equal(on.url, 'http://nova:8774/v2.1');
  assert.equal(on.intervalMs, 50);
  const catalog = compileServerOptions({ auth: 'keystone', keystoneUrl: 'http://ks:5000', keystonePassword: 'x', novaUrl: 'catalog', novaInterface: 'internal' }).nova;
  assert.deepEqual([catalog.enabled, catalog.url, catalog.interface], [true, undefined, 'internal']);
});

test('config - invalid Nova settings name the setting', () => {
  for (const [options, setting] of [
    [{ novaUrl: 'nova:8774' }, 'ALCOR_NOVA_URL'],
    [{ novaUrl: 'catalog' }, 'ALCOR_NOVA_URL'],
    [{ novaEventIntervalMs: '-1' }, 'ALCOR_NOVA_EVENT_INTERVAL_MS'],
    [{ novaTimeoutMs: '5' }, 'ALCOR_NOVA_TIMEOUT_MS'],
    [{ novaInterface: 'private' }, 'ALCOR_NOVA_INTERFACE'],
  ] as const) {
    assert.throws(() => compileServerOptions(options), (err: unknown) => err instanceof ConfigError && err.message.startsWith(setting), setting);
  }
});
