import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApi } from '../../harness/api-server.js';
import { ALCOR_VERSION } from '../../../src/version.js';

test('health - /healthz is up, /readyz checks the store and turns 503 while draining', async () => {
  const api = await startTestApi({ auth: 'noauth' });
  try {
    const live = await api.request('GET', '/healthz');
    assert.equal(live.status, 200);
    assert.deepEqual(live.body, { status: 'ok', version: ALCOR_VERSION });
    const ready = await api.request('GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'ready');
    assert.equal(ready.body.checks.store.ok, true);
    api.services.health.addCheck('bus', async () => {
      throw new RangeError('bus unreachable');
    });
    const busDown = await api.request('GET', '/readyz');
    assert.equal(busDown.status, 503);
    assert.equal(busDown.body.NeutronError.type, 'ServiceUnavailable');
    assert.match(busDown.body.NeutronError.message, /bus: bus unreachable/);
    api.services.health.addCheck('bus', async () => undefined);
    assert.equal((await api.request('GET', '/readyz')).status, 200);
    api.services.health.startDraining();
    const draining = await api.request('GET', '/readyz');
    assert.equal(draining.status, 503);
    assert.match(draining.body.NeutronError.message, /Draining/);
    assert.equal((await api.request('GET', '/healthz')).status, 200, 'still alive while draining');
  } finally {
    await api.close();
  }
});
