/**
 * Live migration of a VM's port between two hosts through the port bindings API, in the order Nova drives
 * it, while a VM on a third host pings the migrating one every 50 ms: the silence around the longest run of
 * lost replies is the migration's downtime (tempest allows 5 s).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Testbed } from '../../src/testbed/testbed.js';
import { waitFor } from '../harness/wait-for.js';
import { apiNetwork, apiPort, apiVm, hostsAcked, ipOf, latestRevision } from './support/api-vms.js';
import type { E2eController } from './support/controller.js';
import { startE2eStack, type E2eStack } from './support/stack.js';
import { e2eUnavailable, requireE2e } from './support/prerequisites.js';

const available = e2eUnavailable() === undefined;
const PROJECT = 'project-migration';
const PING_INTERVAL_MS = 50;
let testbed: Testbed;
let controller: E2eController;
let stack: E2eStack | undefined;

before(async () => {
  if (!available) return;
  stack = await startE2eStack(3);
  ({ testbed, controller } = stack);
});

after(async () => {
  await stack?.close();
});

/** Sequence numbers of the echo replies a running `ping` printed, with when each arrived. */
class ReplyLog {
  readonly replies: Array<{ seq: number; at: number }> = [];
  private pending = '';

  feed(chunk: string): void {
    const lines = (this.pending + chunk).split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) {
      const seq = /icmp_seq=(\d+)/.exec(line);
      if (seq && line.includes('bytes from')) this.replies.push({ seq: Number(seq[1]), at: Date.now() });
    }
  }

  /** Replies that arrived after a moment. */
  since(at: number): number {
    return this.replies.filter((r) => r.at > at).length;
  }

  /** The longest run of missing sequence numbers, and the time between the replies around it. */
  longestGap(): { lost: number; silentMs: number } {
    const sorted = [...this.replies].sort((a, b) => a.seq - b.seq);
    let worst = { lost: 0, silentMs: 0 };
    for (let i = 1; i < sorted.length; i++) {
      const lost = sorted[i]!.seq - sorted[i - 1]!.seq - 1;
      if (lost > worst.lost) worst = { lost, silentMs: sorted[i]!.at - sorted[i - 1]!.at };
    }
    return worst;
  }
}

test('live migration through the port bindings API while a peer pings the VM: downtime under 5 s', async (t) => {
  if (!requireE2e(t)) return;
  const net = await apiNetwork(controller, PROJECT, 'migration-net', '10.7.0.0/24');
  const compute = () => ({ device_owner: 'compute:nova', device_id: randomUUID() });
  const port = await apiPort(controller, PROJECT, net.networkId, 'h1', compute());
  const peerPort = await apiPort(controller, PROJECT, net.networkId, 'h3', compute());
  await apiVm(controller, testbed, 'migrant', 'h1', port);
  const peer = await apiVm(controller, testbed, 'peer', 'h3', peerPort);
  assert.ok(await waitFor(() => peer.ping(ipOf(port)), 20_000, 'the peer reaches the VM on its source host'));

  const replies = new ReplyLog();
  const pinger = peer.spawn('ping', ['-n', '-i', String(PING_INTERVAL_MS / 1000), '-W', '1', ipOf(port)]);
  pinger.stdout!.on('data', (c: Buffer) => replies.feed(c.toString()));
  const pingerDone = new Promise<void>((resolve) => pinger.on('close', () => resolve()));
  try {
    await waitFor(() => replies.replies.length >= 10, 10_000, 'steady replies before the migration');

    // Conductor: an inactive binding on the destination, which programs the port there in advance.
    const { binding } = await controller.request('POST', `/v2.0/ports/${port.id}/bindings`, { binding: { host: 'h2', vnic_type: 'normal', profile: {} } });
    assert.equal(binding.status, 'INACTIVE');
    const prepared = await latestRevision(controller);
    await controller.request('PUT', `/v2.0/ports/${port.id}`, { port: { 'binding:profile': { migrating_to: 'h2' } } });
    await waitFor(() => hostsAcked(controller, ['h2'], prepared), 30_000, 'the destination programmed the inactive binding');
    const bound = (await controller.request('GET', `/v2.0/ports/${port.id}`)).port;
    assert.deepEqual([bound['binding:host_id'], bound.status], ['h1', 'ACTIVE'], 'still bound to and served on the source');

    // The guest moves: plugged on the destination, unplugged on the source; then Nova activates the
    // destination's binding and deletes the source's.
    const switchedAt = Date.now();
    await testbed.moveVm('migrant', 'h2');
    const movedMs = Date.now() - switchedAt;
    const active = await controller.request('PUT', `/v2.0/ports/${port.id}/bindings/h2/activate`);
    const activatedMs = Date.now() - switchedAt;
    const activation = await latestRevision(controller);
    assert.deepEqual([active.host, active.status], ['h2', 'ACTIVE'], 'activate answers the bare binding, now ACTIVE');
    await controller.request('DELETE', `/v2.0/ports/${port.id}/bindings/h1`, undefined, { expect: 204 });
    await waitFor(() => hostsAcked(controller, ['h2', 'h3'], activation), 30_000, 'the destination and the peer\'s host programmed the activation');
    const programmedMs = Date.now() - switchedAt;
    await waitFor(() => replies.since(switchedAt) >= 20, 15_000, 'the peer reaches the VM on its destination host');

    const gap = replies.longestGap();
    // The silence between the replies around the gap bounds the downtime from above (ping may space its
    // requests out while none are answered, so lost × interval can undercount).
    const downtimeMs = gap.silentMs;
    t.diagnostic(`live migration downtime: ${downtimeMs} ms between the replies around the longest gap (${gap.lost} replies lost at ${PING_INTERVAL_MS} ms); ` +
      `guest moved in ${movedMs} ms, binding activated ${activatedMs} ms and programmed on the destination and the peer's host ${programmedMs} ms after the move began`);
    assert.ok(downtimeMs < 5000, `downtime ${downtimeMs} ms must stay under tempest's 5 s`);
  } finally {
    pinger.kill('SIGINT');
    await pingerDone;
  }

  const migrated = (await controller.request('GET', `/v2.0/ports/${port.id}`)).port;
  assert.equal(migrated['binding:host_id'], 'h2');
  await waitFor(async () => (await controller.request('GET', `/v2.0/ports/${port.id}`)).port.status === 'ACTIVE', 15_000, 'the port ACTIVE on its destination');
  const { bindings } = await controller.request('GET', `/v2.0/ports/${port.id}/bindings`);
  assert.deepEqual(bindings.map((b: { host: string; status: string }) => [b.host, b.status]), [['h2', 'ACTIVE']], 'only the destination binding is left');
});
