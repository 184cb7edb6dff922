/**
 * The logical trace against the real data path: for packets the security groups allow and deny, the
 * verdict of GET /alcor/v1/trace (computed from the goal states the agents received) is what real VMs on
 * two OVS hosts see when they ping or open a TCP connection; with on_host the source host's
 * `ovs-appctl ofproto/trace` of the same packet ends in an output action or a drop accordingly.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Testbed } from '../../src/testbed/testbed.js';
import type { Vm } from '../../src/testbed/vm.js';
import { waitFor } from '../harness/wait-for.js';
import { apiNetwork, apiPort, apiVm, ipOf, type ApiPort } from './support/api-vms.js';
import type { E2eController } from './support/controller.js';
import { startE2eStack, type E2eStack } from './support/stack.js';
import { e2eUnavailable, requireE2e } from './support/prerequisites.js';

const available = e2eUnavailable() === undefined;
const P = 'project-trace';
let testbed: Testbed;
let controller: E2eController;
let stack: E2eStack | undefined;

before(async () => {
  if (!available) return;
  stack = await startE2eStack(2);
  ({ testbed, controller } = stack);
});

after(async () => {
  await stack?.close();
});

/** The logical trace's verdict for one packet from `from` to `to`. */
async function verdict(from: ApiPort, to: ApiPort, proto: 'icmp' | 'tcp', dport?: number): Promise<string> {
  const query = new URLSearchParams({ from_port: from.id, to: ipOf(to), proto, ...(dport === undefined ? {} : { dport: String(dport) }) });
  return (await controller.request('GET', `/alcor/v1/trace?${query}`)).trace.verdict as string;
}

/** The last `Datapath actions:` of the source host's ofproto/trace of one ICMP echo from `from` to `to`. */
async function onHostActions(from: ApiPort, to: ApiPort): Promise<string> {
  const query = new URLSearchParams({ from_port: from.id, to: ipOf(to), proto: 'icmp', on_host: 'true' });
  const { trace } = await controller.request('GET', `/alcor/v1/trace?${query}`);
  const actions = [...(trace.on_host.output as string).matchAll(/^Datapath actions: (.*)$/gm)].map((m) => m[1] as string);
  assert.ok(actions.length > 0, trace.on_host.output);
  return actions.at(-1) as string;
}

const tcpOpen = async (from: Vm, ip: string, port: number) => (await from.exec('nc', ['-z', '-w', '2', ip, String(port)], { allowFailure: true })).code === 0;

test('trace verdicts match real traffic: ICMP and TCP allowed and denied by security groups across two hosts', async (t) => {
  if (!requireE2e(t)) return;
  const net = await apiNetwork(controller, P, 'trace-net', '10.9.0.0/24');
  // "web" admits TCP 5001 only; the default group admits anything from its own members.
  const web = (await controller.request('POST', '/v2.0/security-groups', { security_group: { name: 'web' } }, { project: P })).security_group;
  await controller.request('POST', '/v2.0/security-group-rules', {
    security_group_rule: { security_group_id: web.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 5001, port_range_max: 5001 },
  }, { project: P });
  const a = await apiPort(controller, P, net.networkId, 'h1');
  const b = await apiPort(controller, P, net.networkId, 'h2');
  const w = await apiPort(controller, P, net.networkId, 'h2', { security_groups: [web.id] });
  const va = await apiVm(controller, testbed, 'ta', 'h1', a);
  await apiVm(controller, testbed, 'tb', 'h2', b);
  const vw = await apiVm(controller, testbed, 'tw', 'h2', w);
  // On the source's own host, so that its ingress security group is what h1's flows drop.
  const w1 = await apiPort(controller, P, net.networkId, 'h1', { security_groups: [web.id] });
  await apiVm(controller, testbed, 'tw1', 'h1', w1);
  const listeners = [5001, 5002].map((p) => vw.spawn('nc', ['-lk', String(p)]));
  try {
    // Allowed: the trace says so and the packets arrive.
    assert.equal(await verdict(a, b, 'icmp'), 'allow');
    assert.ok(await waitFor(() => va.ping(ipOf(b)), 20_000, 'ta pings tb'));
    assert.equal(await verdict(a, w, 'tcp', 5001), 'allow');
    assert.ok(await waitFor(() => tcpOpen(va, ipOf(w), 5001), 15_000, 'tcp 5001 to tw'));
    // Denied: the trace drops them and so does the data path.
    assert.equal(await verdict(a, w, 'icmp'), 'drop');
    assert.equal(await va.ping(ipOf(w), { count: 2 }), false, 'ICMP to tw is dropped');
    assert.equal(await verdict(a, w, 'tcp', 5002), 'drop');
    assert.equal(await tcpOpen(va, ipOf(w), 5002), false, 'tcp 5002 to tw is dropped');
    // The source host's real flows agree: an allowed echo ends in an output action (into the tunnel
    // to h2), a denied one in a drop.
    assert.match(await onHostActions(a, b), /(^|,)(output:)?\d+$/);
    assert.equal(await verdict(a, w1, 'icmp'), 'drop');
    assert.equal(await onHostActions(a, w1), 'drop');
  } finally {
    for (const l of listeners) l.kill();
  }
});
