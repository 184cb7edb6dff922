/**
 * Fault: a host loses its network for 30 s — the underlay NIC goes down (its tunnels stop) and its agent's
 * connection to the controller is cut (through a TCP proxy: the testbed's agents reach the controller over
 * loopback, not the underlay). Meanwhile the VPC changes on another host. The cut-off host's VMs must keep
 * talking to each other the whole time (the agent keeps its flows when it loses the controller), and once
 * the link is back the agent resyncs: it acks the latest revision, its ports turn ACTIVE again, and its VMs
 * reach the VM created during the outage.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AgentProcess } from '../../src/testbed/agent-process.js';
import { cleanupStale, Testbed } from '../../src/testbed/testbed.js';
import type { Vm } from '../../src/testbed/vm.js';
import { TcpProxy } from '../harness/tcp-proxy.js';
import { waitFor } from '../harness/wait-for.js';
import { apiNetwork, apiPort, apiPortStatus, apiVm, hostsAcked, ipOf, latestRevision } from './support/api-vms.js';
import { startE2eController, type E2eController } from './support/controller.js';
import { e2eUnavailable, requireE2e } from './support/prerequisites.js';

const OUTAGE_S = 30;
const PROJECT = 'project-underlay';
const available = e2eUnavailable() === undefined;
let testbed: Testbed;
let controller: E2eController;
let proxy: TcpProxy;
const agents: AgentProcess[] = [];

before(async () => {
  if (!available) return;
  await cleanupStale();
  testbed = await Testbed.create({ hosts: 2 });
  controller = await startE2eController();
  proxy = new TcpProxy({ host: '127.0.0.1', port: controller.southbound.port });
  await proxy.start();
  // h1 reaches the controller through the proxy, h2 directly.
  agents.push(new AgentProcess(testbed.host('h1'), testbed, `127.0.0.1:${proxy.port}`), new AgentProcess(testbed.host('h2'), testbed, controller.southboundAddress));
  for (const agent of agents) agent.start();
  await waitFor(async () => (await controller.connectedHosts()).length === 2, 30_000, 'both agents connected');
});

after(async () => {
  if (!available) return;
  if (process.exitCode) for (const a of agents) process.stderr.write(`--- agent ${a.host.name}\n${a.logTail()}\n`);
  for (const a of agents) await a.kill();
  await proxy?.cut();
  await controller?.close();
  await testbed?.destroy();
});

/** Pings `count` times, 5 per second; the replies received. */
async function replies(vm: Vm, ip: string, count: number): Promise<number> {
  const result = await vm.exec('ping', ['-n', '-q', '-c', String(count), '-i', '0.2', '-W', '1', ip], { allowFailure: true, timeoutMs: 60_000 });
  return Number(/(\d+) (?:packets )?received/.exec(result.stdout)?.[1] ?? 0);
}

test(`fault - a host whose underlay and controller connection are down for ${OUTAGE_S} s keeps local traffic, then resyncs and reaches what changed meanwhile`, { timeout: 300_000 }, async (t) => {
  if (!requireE2e(t)) return;
  const net = await apiNetwork(controller, PROJECT, 'underlay', '10.44.0.0/24');
  const [a1, a2, b1] = [await apiPort(controller, PROJECT, net.networkId, 'h1'), await apiPort(controller, PROJECT, net.networkId, 'h1'), await apiPort(controller, PROJECT, net.networkId, 'h2')];
  const va1 = await apiVm(controller, testbed, 'ul-va1', 'h1', a1);
  await apiVm(controller, testbed, 'ul-va2', 'h1', a2);
  const vb1 = await apiVm(controller, testbed, 'ul-vb1', 'h2', b1);
  assert.ok(await waitFor(() => va1.ping(ipOf(b1)), 20_000, 'va1 pings vb1 across hosts before the outage'));

  await testbed.setUnderlayLink('h1', false);
  await proxy.cut();
  const cutAt = Date.now();
  try {
    await waitFor(async () => !(await controller.connectedHosts()).includes('h1'), 20_000, 'the controller sees h1 gone');
    assert.equal(await va1.ping(ipOf(b1), { count: 2 }), false, 'the tunnel is really down');
    // The VPC changes on h2 while h1 is cut off.
    const b2 = await apiPort(controller, PROJECT, net.networkId, 'h2');
    const vb2 = await apiVm(controller, testbed, 'ul-vb2', 'h2', b2);
    // Local traffic on h1 for the rest of the outage: every echo answered.
    const left = Math.max(5, OUTAGE_S - Math.round((Date.now() - cutAt) / 1000) - 2);
    const sent = left * 5;
    assert.equal(await replies(va1, ipOf(a2), sent), sent, 'VMs on the cut-off host keep talking: no echo lost');
    assert.ok(Date.now() - cutAt >= (OUTAGE_S - 3) * 1000, 'the outage lasted as long as stated');

    await testbed.setUnderlayLink('h1', true);
    await proxy.start();
    const restoredAt = Date.now();
    const revision = await latestRevision(controller);
    await waitFor(() => hostsAcked(controller, ['h1'], revision), 30_000, 'h1 acks the latest revision after the outage');
    const resynced = Date.now() - restoredAt;
    await waitFor(async () => (await apiPortStatus(controller, a1)) === 'ACTIVE' && (await apiPortStatus(controller, a2)) === 'ACTIVE', 30_000, "h1's ports ACTIVE again");
    assert.ok(await waitFor(() => va1.ping(ipOf(b2)), 20_000, 'va1 reaches the VM created during the outage'));
    assert.ok(await vb2.ping(ipOf(a2)), 'and that VM reaches h1');
    assert.ok(await vb1.ping(ipOf(a1)), 'the tunnel carries the old peers again');
    t.diagnostic(`outage ${Math.round((restoredAt - cutAt) / 1000)} s; ${sent} local echoes all answered; h1 acked revision ${revision} ${resynced} ms after the link came back`);
  } finally {
    await testbed.setUnderlayLink('h1', true);
    await proxy.start().catch(() => undefined);
  }
});
