import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileServerOptions, ConfigError } from '../../src/config.js';

test('config - defaults are the documented ones', () => {
  const c = compileServerOptions({});
  assert.equal(c.listenHost, '127.0.0.1');
  assert.equal(c.listenPort, 9696);
  assert.deepEqual(c.database, { engine: 'sqlite', path: './data/alcor.db' });
  assert.equal(c.autoMigrate, true);
  assert.equal(compileServerOptions({ autoMigrate: 'false' }).autoMigrate, false);
  assert.equal(c.auth, 'noauth');
  assert.deepEqual(c.vxlanRange, { min: 1, max: 16777215 });
  assert.deepEqual(c.metrics, { host: '127.0.0.1', port: 9697 });
});

test('config - the metrics listener moves or turns off', () => {
  assert.deepEqual(compileServerOptions({ metricsListen: '[::1]:9100' }).metrics, { host: '::1', port: 9100 });
  assert.equal(compileServerOptions({ metricsListen: 'off' }).metrics, undefined);
});

test('config - invalid values name the setting', () => {
  for (const [options, setting] of [
    [{ listen: 'nonsense' }, 'ALCOR_LISTEN'],
    [{ metricsListen: '127.0.0.1' }, 'ALCOR_METRICS_LISTEN'],
    [{ metricsListen: '127.0.0.1:70000' }, 'ALCOR_METRICS_LISTEN'],
    [{ databaseUrl: 'mysql://x' }, 'ALCOR_DATABASE_URL'],
    [{ auth: 'magic' }, 'ALCOR_AUTH'],
    [{ autoMigrate: 'maybe' }, 'ALCOR_AUTO_MIGRATE'],
    [{ vxlanRange: '10:5' }, 'ALCOR_VXLAN_RANGE'],
    [{ macBase: '01:00:5e:00:00:00' }, 'ALCOR_MAC_BASE'],
  ] as const) {
    assert.throws(() => compileServerOptions(options), (err: unknown) => err instanceof ConfigError && err.message.startsWith(setting));
  }
});
