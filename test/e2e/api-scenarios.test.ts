/**
 * End-to-end scenarios driven only through the public API and the VMs' own tools: a real controller,
 * one real `alcor-agent --driver ovs` process per testbed host, VMs that get their addresses by DHCP.
 * Each test is one scenario, numbered in its name.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cleanupStale, Testbed } from '../../src/testbed/testbed.js';
import type { Vm } from '../../src/testbed/vm.js';
import { waitFor } from '../harness/wait-for.js';
import type { AgentProcess } from '../../src/testbed/agent-process.js';
import { startAgents, stopAgents } from './support/agents.js';
import { apiNetwork, apiPort, apiPortStatus, apiVm, hostsAcked, ipOf, latestRevision, type ApiPort as Port } from './support/api-vms.js';
import { startE2eController, type E2eController } from './support/controller.js';
import { e2eUnavailable, requireE2e } from './support/prerequisites.js';

const available = e2eUnavailable() === undefined;
let testbed: Testbed;
let controller: E2eController;
let agents = new Map<string, AgentProcess>();
const P1 = 'project-one';
const P2 = 'project-two';

before(async () => {
  if (!available) return;
  await cleanupStale();
  testbed = await Testbed.create({ hosts: 2 });
  controller = await startE2eController();
  agents = await startAgents(testbed, controller);
});

after(async () => {
  if (!available) return;
  await stopAgents(agents.values());
  await controller?.close();
  await testbed?.destroy();
});

const network = (project: string, name: string, cidr: string) => apiNetwork(controller, project, name, cidr);
const port = (project: string, networkId: string, host: string, extra: Record<string, unknown> = {}) => apiPort(controller, project, networkId, host, extra);
const portStatus = (p: Port) => apiPortStatus(controller, p);
const vmFor = (name: string, host: string, p: Port) => apiVm(controller, testbed, name, host, p);

let net1: { networkId: string; subnetId: string };
let portA: Port;
let portB: Port;
let va: Vm;
let vb: Vm;

test('e2e 1 - two hosts, one network: VMs get their IPs by DHCP and ping across hosts', async (t) => {
  if (!requireE2e(t)) return;
  net1 = await network(P1, 'net1', '10.1.0.0/24');
  portA = await port(P1, net1.networkId, 'h1');
  portB = await port(P1, net1.networkId, 'h2');
  // Both hosts hold the ports, but no VM is plugged yet: like Neutron, the ports stay DOWN.
  const revision = await latestRevision(controller);
  await waitFor(() => hostsAcked(controller, ['h1', 'h2'], revision), 30_000, 'both hosts acked the ports');
  await controller.southbound.manager.portStatus.idle();
  assert.deepEqual([await portStatus(portA), await portStatus(portB)], ['DOWN', 'DOWN'], 'ports without a plugged VM stay DOWN');
  va = await vmFor('va', 'h1', portA);
  vb = await vmFor('vb', 'h2', portB);
  assert.equal(va.lease().mtu, 1450);
  assert.ok(await waitFor(() => va.ping(ipOf(portB)), 20_000, 'va pings vb across hosts'));
  assert.ok(await vb.ping(ipOf(portA)));
});

test('e2e 5 - anti-spoofing: a VM that changes its IP or MAC cannot send', async (t) => {
  if (!requireE2e(t)) return;
  const gateway = va.lease().router;
  await va.setAddress('10.1.0.222/24', gateway);
  assert.equal(await va.ping(ipOf(portB), { count: 2 }), false, 'spoofed source IP');
  await va.setAddress(`${ipOf(portA)}/24`, gateway);
  assert.ok(await waitFor(() => va.ping(ipOf(portB)), 10_000, 'ping with the real IP again'));
  await va.setMac('fa:16:3e:de:ad:01');
  assert.equal(await va.ping(ipOf(portB), { count: 2 }), false, 'spoofed source MAC');
  await va.setMac(va.mac);
  assert.ok(await waitFor(() => va.ping(ipOf(portB)), 10_000, 'ping with the real MAC again'));
});

test('e2e 7 - agents killed and restarted during a continuous ping lose no replies', async (t) => {
  if (!requireE2e(t)) return;
  const pinger = va.spawn('ping', ['-n', '-i', '0.1', '-c', '60', '-W', '1', ipOf(portB)]);
  let output = '';
  pinger.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  const done = new Promise<void>((resolve) => pinger.on('close', () => resolve()));
  for (const agent of agents.values()) {
    await agent.kill();
    agent.start();
  }
  await waitFor(async () => (await controller.connectedHosts()).length === 2, 30_000, 'agents reconnected');
  await done;
  const sent = Number(/(\d+) packets transmitted/.exec(output)?.[1] ?? 0);
  const received = Number(/(\d+) received/.exec(output)?.[1] ?? 0);
  assert.ok(sent >= 59 && received >= sent - 1, `continuous ping across agent restarts: ${sent} sent, ${received} received`);
  // The restarted agents still serve DHCP.
  assert.equal((await vb.dhcp()).ip, ipOf(portB));
});

test('e2e 4 - two projects with overlapping CIDRs on the same hosts: no traffic leaks', async (t) => {
  if (!requireE2e(t)) return;
  const net2 = await network(P2, 'net2', '10.1.0.0/24');
  // Same address as va in the other project, on the other host.
  const portC = await port(P2, net2.networkId, 'h2', { fixed_ips: [{ subnet_id: net2.subnetId, ip_address: ipOf(portA) }] });
  // An address project one does not use, so that pinging project one's addresses can only leak.
  const portD = await port(P2, net2.networkId, 'h1', { fixed_ips: [{ subnet_id: net2.subnetId, ip_address: '10.1.0.200' }] });
  const vc = await vmFor('vc', 'h2', portC);
  const vd = await vmFor('vd', 'h1', portD);
  assert.ok(await waitFor(() => vd.ping(ipOf(portC)), 20_000, 'ping inside project two'));
  const neighbor = await vd.exec('ip', ['neigh', 'show', ipOf(portC)]);
  assert.match(neighbor.stdout, new RegExp(portC.mac_address), 'the shared address resolves to project two\'s VM');
  assert.equal(await vd.ping(ipOf(portB), { count: 2 }), false, 'project two cannot reach project one');
  assert.equal(await vc.ping(ipOf(portB), { count: 2 }), false, 'same-IP VM cannot reach the other project');
  assert.ok(await va.ping(ipOf(portB)), 'project one unaffected');
});

test('e2e 2 - two subnets joined by a router, VMs on different hosts: ping across subnets, TTL decremented, extra route to an appliance VM', async (t) => {
  if (!requireE2e(t)) return;
  const net3 = await network(P1, 'net3', '10.3.0.0/24');
  const router = (await controller.request('POST', '/v2.0/routers', { router: { name: 'r1' } }, { project: P1 })).router;
  await controller.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: net1.subnetId }, { project: P1 });
  await controller.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: net3.subnetId }, { project: P1 });
  const portE = await port(P1, net3.networkId, 'h2');
  const ve = await vmFor('ve', 'h2', portE);
  assert.ok(await waitFor(() => va.ping(ipOf(portE)), 30_000, 'va pings ve through the router'));
  assert.equal(await va.pingTtl(ipOf(portE)), 63, 'TTL decremented by the one routing hop');

  // An extra route: 10.99.0.0/24 lies behind ve (an appliance VM, allowed to send from it by an address pair).
  await controller.request('PUT', `/v2.0/ports/${portE.id}`, { port: { allowed_address_pairs: [{ ip_address: '10.99.0.0/24' }] } }, { project: P1 });
  await ve.exec('ip', ['addr', 'add', '10.99.0.1/32', 'dev', 'eth0']);
  await controller.request('PUT', `/v2.0/routers/${router.id}`, { router: { routes: [{ destination: '10.99.0.0/24', nexthop: ipOf(portE) }] } }, { project: P1 });
  assert.ok(await waitFor(() => va.ping('10.99.0.1'), 30_000, 'va reaches an address behind ve through the extra route'));
  assert.equal(await va.pingTtl('10.99.0.1'), 63, 'routed once, to the next hop');
  await controller.request('PUT', `/v2.0/routers/${router.id}`, { router: { routes: [] } }, { project: P1 });
  assert.ok(await waitFor(async () => !(await va.ping('10.99.0.1', { count: 1 })), 15_000, 'unreachable once the route is removed'));
});

async function tcpOpen(from: Vm, ip: string, tcpPort: number): Promise<boolean> {
  return (await from.exec('nc', ['-z', '-w', '2', ip, String(tcpPort)], { allowFailure: true })).code === 0;
}

test('e2e 3 - security groups: TCP allowed vs denied, default deny, remote group, live rule changes', async (t) => {
  if (!requireE2e(t)) return;
  const groups = (await controller.request('GET', '/v2.0/security-groups?name=default', undefined, { project: P1 })).security_groups;
  const defaultGroup = groups[0].id as string;
  const web = (await controller.request('POST', '/v2.0/security-groups', { security_group: { name: 'web' } }, { project: P1 })).security_group;
  await controller.request('POST', '/v2.0/security-group-rules', {
    security_group_rule: { security_group_id: web.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 5001, port_range_max: 5001 },
  }, { project: P1 });
  const portW = await port(P1, net1.networkId, 'h2', { security_groups: [web.id] });
  const vw = await vmFor('vw', 'h2', portW);
  const listeners = [5001, 5002].map((p) => vw.spawn('nc', ['-lk', String(p)]));
  try {
    assert.ok(await waitFor(() => tcpOpen(va, ipOf(portW), 5001), 15_000, 'tcp 5001 allowed'));
    assert.equal(await tcpOpen(va, ipOf(portW), 5002), false, 'tcp 5002 denied (ingress default deny)');
    assert.equal(await va.ping(ipOf(portW), { count: 1 }), false, 'ICMP denied');
    // Remote group: allow ICMP from members of the default group (va is one).
    const rule = (await controller.request('POST', '/v2.0/security-group-rules', {
      security_group_rule: { security_group_id: web.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', remote_group_id: defaultGroup },
    }, { project: P1 })).security_group_rule;
    assert.ok(await waitFor(() => va.ping(ipOf(portW)), 15_000, 'ICMP allowed from the default group'));
    // An established connection survives an unrelated rule change.
    const received: string[] = [];
    listeners[0]!.stdout!.on('data', (c: Buffer) => received.push(c.toString()));
    const client = va.spawn('nc', [ipOf(portW), '5001'], { stdin: true });
    client.stdin!.write('before\n');
    await waitFor(() => received.join('').includes('before'), 10_000, 'data on the connection');
    await controller.request('DELETE', `/v2.0/security-group-rules/${rule.id}`, undefined, { project: P1 });
    assert.ok(await waitFor(async () => !(await va.ping(ipOf(portW), { count: 1 })), 15_000, 'ICMP denied again after the rule was deleted'));
    client.stdin!.write('after\n');
    await waitFor(() => received.join('').includes('after'), 10_000, 'the established connection survived');
    client.kill();
  } finally {
    for (const l of listeners) l.kill();
  }
});

test('e2e 6 - unbind and delete stop a port\'s traffic; rebinding the VM on another host restores it', async (t) => {
  if (!requireE2e(t)) return;
  await controller.request('PUT', `/v2.0/ports/${portB.id}`, { port: { 'binding:host_id': '' } }, { project: P1 });
  assert.ok(await waitFor(async () => !(await va.ping(ipOf(portB), { count: 1 })), 15_000, 'unbound port unreachable'));
  await testbed.removeVm('vb');
  await controller.request('PUT', `/v2.0/ports/${portB.id}`, { port: { 'binding:host_id': 'h1' } }, { project: P1 });
  vb = await vmFor('vb-moved', 'h1', portB);
  assert.ok(await waitFor(() => va.ping(ipOf(portB)), 20_000, 'the moved VM is reachable'));
  await controller.request('DELETE', `/v2.0/ports/${portB.id}`, undefined, { project: P1 });
  assert.ok(await waitFor(async () => !(await va.ping(ipOf(portB), { count: 1 })), 15_000, 'deleted port unreachable'));
});
