import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PortStatusTracker } from '../../../src/dataplane/port-status.js';
import { startTestApi } from '../../harness/api-server.js';

// The tracker against a real store: which status each port has after each ack, including the acks
// that walk only a host's unacked ports (nothing failed or waiting, before or now).
test('port status - acks, failures, waiting ports, host loss and moves', async () => {
  const api = await startTestApi();
  try {
    const network = (await api.request('POST', '/v2.0/networks', { body: { network: { name: 'n' } } })).body.network;
    await api.request('POST', '/v2.0/subnets', { body: { subnet: { network_id: network.id, cidr: '10.0.0.0/24', ip_version: 4 } } });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await api.request('POST', '/v2.0/ports', { body: { port: { network_id: network.id } } })).body.port.id);
    const [p1, p2, p3] = ids as [string, string, string];
    const errors: unknown[] = [];
    const tracker = new PortStatusTracker(api.store, (err) => errors.push(err));
    const statuses = async () => {
      await tracker.idle();
      const rows = await api.store.read((q) => q.all<{ id: string; status: string }>('SELECT id, status FROM ports'));
      const of = new Map(rows.map((r) => [r.id, r.status]));
      return [of.get(p1), of.get(p2), of.get(p3)].join(' ');
    };
    const none = new Set<string>();

    tracker.programmed('h1', p1, 5);
    tracker.programmed('h1', p2, 5);
    tracker.ack('h1', 4, none);
    assert.equal(await statuses(), 'DOWN DOWN DOWN', 'an ack below the programmed revision');
    tracker.ack('h1', 5, none);
    assert.equal(await statuses(), 'ACTIVE ACTIVE DOWN');

    tracker.programmed('h1', p3, 7);
    tracker.ack('h1', 6, none);
    assert.equal(await statuses(), 'ACTIVE ACTIVE DOWN');
    tracker.ack('h1', 7, none);
    assert.equal(await statuses(), 'ACTIVE ACTIVE ACTIVE');

    tracker.ack('h1', 8, new Set([p1]));
    assert.equal(await statuses(), 'ERROR ACTIVE ACTIVE');
    tracker.ack('h1', 9, none);
    assert.equal(await statuses(), 'ERROR ACTIVE ACTIVE', 'a failure sticks to the state that failed');
    tracker.programmed('h1', p1, 10);
    tracker.ack('h1', 10, none);
    assert.equal(await statuses(), 'ACTIVE ACTIVE ACTIVE', 'a newer state of the port gets a fresh chance');

    tracker.ack('h1', 10, none, new Set([p2]));
    assert.equal(await statuses(), 'ACTIVE DOWN ACTIVE');
    tracker.ack('h1', 11, none);
    assert.equal(await statuses(), 'ACTIVE ACTIVE ACTIVE', 'an ack that no longer lists a waiting port');

    tracker.hostDown('h1');
    assert.equal(await statuses(), 'DOWN DOWN DOWN');
    tracker.ack('h1', 11, none);
    assert.equal(await statuses(), 'ACTIVE ACTIVE ACTIVE', 'the first ack after a reconnect');

    tracker.programmed('h2', p3, 12);
    assert.equal(await statuses(), 'ACTIVE ACTIVE DOWN', 'moved');
    tracker.ack('h1', 12, none);
    assert.equal(await statuses(), 'ACTIVE ACTIVE DOWN', 'the old host acks');
    tracker.ack('h2', 12, none);
    assert.equal(await statuses(), 'ACTIVE ACTIVE ACTIVE');

    tracker.unprogrammed('h2', p3, false);
    tracker.ack('h2', 13, none);
    assert.equal(await statuses(), 'ACTIVE ACTIVE DOWN', 'unbound');
    assert.deepEqual(errors, []);
  } finally {
    await api.close();
  }
});
