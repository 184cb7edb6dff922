import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PortStatusTracker } from '../../../src/dataplane/port-status.js';
import { startTestApi } from '../../harness/api-server.js';

// Two replicas each track the hosts they hold streams for. When a port moves from a host of replica B to
// a host of replica A, A may write ACTIVE before B hears of the move: B's DOWN must not overwrite it.
test('port status - a replica that loses a port to another replica\'s host does not overwrite its ACTIVE', async () => {
  const api = await startTestApi();
  try {
    const network = (await api.request('POST', '/v2.0/networks', { body: { network: { name: 'n' } } })).body.network;
    await api.request('POST', '/v2.0/subnets', { body: { subnet: { network_id: network.id, cidr: '10.0.0.0/24', ip_version: 4 } } });
    const port = (await api.request('POST', '/v2.0/ports', { body: { port: { network_id: network.id } } })).body.port.id as string;
    const status = async () => (await api.store.read((q) => q.get<{ status: string }>('SELECT status FROM ports WHERE id = ?', [port])))?.status;
    const errors: unknown[] = [];
    const replicaA = new PortStatusTracker(api.store, (err) => errors.push(err));
    const replicaB = new PortStatusTracker(api.store, (err) => errors.push(err));
    const none = new Set<string>();
    await api.store.write((tx) => tx.run("UPDATE ports SET binding_host_id = 'host-b' WHERE id = ?", [port]));
    replicaB.programmed('host-b', port, 3);
    replicaB.ack('host-b', 3, none);
    await replicaB.idle();
    assert.equal(await status(), 'ACTIVE');

    await api.store.write((tx) => tx.run("UPDATE ports SET binding_host_id = 'host-a', status = 'DOWN' WHERE id = ?", [port]));
    replicaA.programmed('host-a', port, 4);
    replicaA.ack('host-a', 4, none);
    await replicaA.idle();
    assert.equal(await status(), 'ACTIVE', 'ACTIVE on the new host');
    replicaB.unprogrammed('host-b', port, false);
    await replicaB.idle();
    assert.equal(await status(), 'ACTIVE', 'the old host\'s replica leaves it alone');

    await api.store.write((tx) => tx.run("UPDATE ports SET binding_host_id = '' WHERE id = ?", [port]));
    replicaA.unprogrammed('host-a', port, false);
    await replicaA.idle();
    assert.equal(await status(), 'DOWN', 'unbound: DOWN');
    assert.deepEqual(errors, []);
  } finally {
    await api.close();
  }
});

// The same tracker first loses a port to a host it does not yet see acked, then the port is unbound.
test('port status - a DOWN skipped because the port moved is written once the port is unbound', async () => {
  const api = await startTestApi();
  try {
    const network = (await api.request('POST', '/v2.0/networks', { body: { network: { name: 'n' } } })).body.network;
    await api.request('POST', '/v2.0/subnets', { body: { subnet: { network_id: network.id, cidr: '10.0.0.0/24', ip_version: 4 } } });
    const port = (await api.request('POST', '/v2.0/ports', { body: { port: { network_id: network.id } } })).body.port.id as string;
    const status = async () => (await api.store.read((q) => q.get<{ status: string }>('SELECT status FROM ports WHERE id = ?', [port])))?.status;
    const tracker = new PortStatusTracker(api.store, () => undefined);
    await api.store.write((tx) => tx.run("UPDATE ports SET binding_host_id = 'h1' WHERE id = ?", [port]));
    tracker.programmed('h1', port, 1);
    tracker.ack('h1', 1, new Set());
    await tracker.idle();
    assert.equal(await status(), 'ACTIVE');
    await api.store.write((tx) => tx.run("UPDATE ports SET binding_host_id = 'h2' WHERE id = ?", [port]));
    tracker.unprogrammed('h1', port, false);
    tracker.programmed('h2', port, 2);
    await tracker.idle();
    await api.store.write((tx) => tx.run("UPDATE ports SET binding_host_id = '' WHERE id = ?", [port]));
    tracker.unprogrammed('h2', port, false);
    await tracker.idle();
    assert.equal(await status(), 'DOWN', 'unbound before the new host acked: DOWN');
  } finally {
    await api.close();
  }
});
