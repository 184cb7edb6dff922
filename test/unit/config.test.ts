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

test('config - the southbound refuses a non-loopback address without TLS unless the insecure flag is set', () => {
  assert.equal(compileServerOptions({}).southbound.listen, '127.0.0.1:9016');
  assert.equal(compileServerOptions({}).southbound.tls, undefined, 'the loopback default needs nothing');
  for (const listen of ['0.0.0.0:9016', '[::]:9016', '192.0.2.1:9016']) {
    assert.throws(() => compileServerOptions({ southboundListen: listen }), (err: unknown) => err instanceof ConfigError && err.message.startsWith('ALCOR_SOUTHBOUND_LISTEN'));
    assert.equal(compileServerOptions({ southboundListen: listen, southboundInsecure: 'true' }).southbound.insecure, true);
  }
  const tls = { southboundTlsCa: 'ca.crt', southboundTlsCert: 'c.crt', southboundTlsKey: 'c.key' };
  assert.deepEqual(compileServerOptions({ southboundListen: '0.0.0.0:9016', ...tls }).southbound.tls, { ca: 'ca.crt', cert: 'c.crt', key: 'c.key' });
  for (const [options, setting] of [
    [{ southboundTlsCa: 'ca.crt' }, 'ALCOR_SOUTHBOUND_TLS_CA'],
    [{ southboundInsecure: 'yes' }, 'ALCOR_SOUTHBOUND_INSECURE'],
    [{ natsUrl: 'tls://nats:4222' }, 'ALCOR_NATS_URL'],
    [{ southboundMaxSessions: '0' }, 'ALCOR_SOUTHBOUND_MAX_SESSIONS'],
  ] as const) {
    assert.throws(() => compileServerOptions(options), (err: unknown) => err instanceof ConfigError && err.message.startsWith(setting));
  }
});
