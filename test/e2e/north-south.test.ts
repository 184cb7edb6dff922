/**
 * North-south traffic end to end: a real controller, one `alcor-agent --driver ovs` per testbed host,
 * and the testbed's external network (flat physnet1, 203.0.113.0/24, wired to every host's br-ex).
 * h1 and h2 map physnet1 to br-ex; h3's agent maps nothing, so provider ports cannot bind there.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AgentProcess } from '../../src/testbed/agent-process.js';
import { EXTERNAL_HOST_IP } from '../../src/testbed/external.js';
import { cleanupStale, Testbed } from '../../src/testbed/testbed.js';
import { waitFor } from '../harness/wait-for.js';
import { apiNetwork, apiPort, apiVm, ipOf } from './support/api-vms.js';
import { startE2eController, type E2eController } from './support/controller.js';
import { e2eUnavailable, requireE2e } from './support/prerequisites.js';

const available = e2eUnavailable() === undefined;
let testbed: Testbed;
let controller: E2eController;
const agents = new Map<string, AgentProcess>();
const P1 = 'project-ns';

before(async () => {
  if (!available) return;
  await cleanupStale();
  testbed = await Testbed.create({ hosts: 3, external: true });
  controller = await startE2eController();
  for (const host of testbed.hosts) {
    const agent = new AgentProcess(host, testbed, controller.southboundAddress);
    agent.start(host.name === 'h3' ? { bridgeMappings: [] } : {});
    agents.set(host.name, agent);
  }
  await waitFor(async () => (await controller.connectedHosts()).length === 3, 30_000, 'all agents connected');
});

after(async () => {
  if (!available) return;
  if (process.exitCode) for (const a of agents.values()) process.stderr.write(`--- agent ${a.host.name}\n${a.logTail()}\n`);
  for (const a of agents.values()) await a.kill();
  await controller?.close();
  await testbed?.destroy();
});

/** A provider network with one subnet whose gateway is the external host (or `gateway`). */
async function providerNetwork(name: string, provider: Record<string, unknown>, cidr: string, gateway: string): Promise<{ networkId: string; subnetId: string }> {
  const net = await controller.request('POST', '/v2.0/networks', { network: { name, shared: true, ...provider } }, { project: P1 });
  const sub = await controller.request(
    'POST',
    '/v2.0/subnets',
    { subnet: { network_id: net.network.id, cidr, ip_version: 4, gateway_ip: gateway, allocation_pools: [{ start: cidr.replace(/0\/24$/, '100'), end: cidr.replace(/0\/24$/, '200') }] } },
    { project: P1 },
  );
  return { networkId: net.network.id, subnetId: sub.subnet.id };
}

/** Security group rules letting everything in (the default group only admits its members). */
async function openGroup(): Promise<string> {
  const sg = await controller.request('POST', '/v2.0/security-groups', { security_group: { name: 'open' } }, { project: P1 });
  for (const protocol of ['icmp', 'tcp']) {
    await controller.request('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg.security_group.id, direction: 'ingress', protocol, remote_ip_prefix: '0.0.0.0/0' } }, { project: P1 });
  }
  return sg.security_group.id as string;
}

let flat: { networkId: string; subnetId: string };
let sgOpen: string;

test('north-south - agents report their bridge mappings; a provider port on a host without the mapping fails to bind', async (t) => {
  if (!requireE2e(t)) return;
  const agentList = (await controller.request('GET', '/v2.0/agents')).agents as Array<{ host: string; configurations: { bridge_mappings: Record<string, string> } }>;
  const mappings = Object.fromEntries(agentList.map((a) => [a.host, a.configurations.bridge_mappings]));
  assert.deepEqual(mappings, { h1: { physnet1: 'br-ex' }, h2: { physnet1: 'br-ex' }, h3: {} });
  flat = await providerNetwork('ext-flat', { 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1', 'router:external': true }, '203.0.113.0/24', EXTERNAL_HOST_IP);
  const onH3 = await apiPort(controller, P1, flat.networkId, 'h3');
  const shown = (await controller.request('GET', `/v2.0/ports/${onH3.id}`, undefined, { project: P1 })).port;
  assert.equal(shown['binding:vif_type'], 'binding_failed');
  const onH1 = await apiPort(controller, P1, flat.networkId, 'h1');
  assert.equal((await controller.request('GET', `/v2.0/ports/${onH1.id}`, undefined, { project: P1 })).port['binding:vif_type'], 'ovs');
  await controller.request('DELETE', `/v2.0/ports/${onH3.id}`, undefined, { project: P1 });
  await controller.request('DELETE', `/v2.0/ports/${onH1.id}`, undefined, { project: P1 });
});

test('north-south - VMs on a flat provider network get DHCP, reach the external host directly and each other through the physical network', async (t) => {
  if (!requireE2e(t)) return;
  sgOpen = await openGroup();
  const p1 = await apiPort(controller, P1, flat.networkId, 'h1', { security_groups: [sgOpen] });
  const p2 = await apiPort(controller, P1, flat.networkId, 'h2', { security_groups: [sgOpen] });
  const v1 = await apiVm(controller, testbed, 'pv1', 'h1', p1);
  const v2 = await apiVm(controller, testbed, 'pv2', 'h2', p2);
  assert.equal(v1.lease().router, EXTERNAL_HOST_IP);
  assert.ok(await waitFor(() => v1.ping(EXTERNAL_HOST_IP), 20_000, 'pv1 pings the external host'));
  assert.ok(await waitFor(() => v2.ping(EXTERNAL_HOST_IP), 20_000, 'pv2 pings the external host'));
  const external = testbed.external!;
  assert.equal((await external.exec('ping', ['-n', '-c', '1', '-W', '2', ipOf(p1)], { allowFailure: true })).code, 0, 'the external host pings pv1');
  assert.ok(await waitFor(() => v1.ping(ipOf(p2)), 20_000, 'pv1 pings pv2 across hosts on the physical network'));
  const neighbors = await external.exec('ip', ['neigh', 'show', ipOf(p1)]);
  assert.match(neighbors.stdout, new RegExp(p1.mac_address, 'i'), 'the external host learned pv1 by ARP');
});

test('north-south - a vlan provider network carries its frames tagged on the physical network, apart from the flat one', async (t) => {
  if (!requireE2e(t)) return;
  const vlan = await providerNetwork('ext-vlan', { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 120 }, '198.51.100.0/24', '198.51.100.1');
  const pa = await apiPort(controller, P1, vlan.networkId, 'h1', { security_groups: [sgOpen] });
  const pb = await apiPort(controller, P1, vlan.networkId, 'h2', { security_groups: [sgOpen] });
  const va = await apiVm(controller, testbed, 'vv1', 'h1', pa);
  await apiVm(controller, testbed, 'vv2', 'h2', pb);
  assert.ok(await waitFor(() => va.ping(ipOf(pb)), 20_000, 'VMs on VLAN 120 on two hosts ping each other'));
  // The frames crossed the external bridge tagged: the untagged external host neither reaches the VMs
  // nor ever heard from them.
  const external = testbed.external!;
  assert.notEqual((await external.exec('ping', ['-n', '-c', '2', '-W', '1', ipOf(pa)], { allowFailure: true })).code, 0, 'untagged external host does not reach the VLAN');
  assert.doesNotMatch((await external.exec('ip', ['neigh', 'show'])).stdout, new RegExp(pa.mac_address, 'i'), 'the VLAN VM never answered untagged ARP');
});

/** Source address the external host sees on a TCP connection from `vm` (a one-shot listener in the external namespace). */
async function sourceSeenByExternal(vm: Awaited<ReturnType<typeof apiVm>>, port: number): Promise<string> {
  const script = `import socket\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('${EXTERNAL_HOST_IP}',${port}))\ns.listen(1)\ns.settimeout(15)\nc,a=s.accept()\nprint(a[0])`;
  const listener = testbed.external!.exec('python3', ['-c', script], { timeoutMs: 20_000 });
  await waitFor(async () => (await testbed.external!.exec('ss', ['-ltn'])).stdout.includes(`:${port} `), 10_000, 'the external listener is up');
  await vm.exec('nc', ['-z', '-w', '3', EXTERNAL_HOST_IP, String(port)], { allowFailure: true });
  return (await listener).stdout.trim();
}

let router: string;
let gatewayIp: string;
let tenant: { networkId: string; subnetId: string };
let inner: Awaited<ReturnType<typeof apiVm>>;

test('north-south - SNAT: a VM without a floating IP reaches the external host, which sees the router gateway address', async (t) => {
  if (!requireE2e(t)) return;
  tenant = await apiNetwork(controller, P1, 'tenant', '10.9.0.0/24');
  const created = await controller.request('POST', '/v2.0/routers', { router: { name: 'r-ext', external_gateway_info: { network_id: flat.networkId } } }, { project: P1 });
  router = created.router.id;
  gatewayIp = created.router.external_gateway_info.external_fixed_ips[0].ip_address;
  await controller.request('PUT', `/v2.0/routers/${router}/add_router_interface`, { subnet_id: tenant.subnetId }, { project: P1 });
  const shown = (await controller.request('GET', `/v2.0/routers/${router}`, undefined, { project: P1 })).router;
  assert.equal(shown['alcor:gateway_host'], 'h1', 'the least loaded host mapping physnet1 (by name) carries the gateway');
  // The VM sits on h3, which has no physical network: its traffic goes to the gateway host through the tunnel.
  const p = await apiPort(controller, P1, tenant.networkId, 'h3');
  inner = await apiVm(controller, testbed, 'vt1', 'h3', p);
  assert.ok(await waitFor(() => inner.ping(EXTERNAL_HOST_IP), 20_000, 'the VM pings the external host through SNAT'));
  assert.equal(await inner.pingTtl(EXTERNAL_HOST_IP), 63, 'one routing hop');
  assert.equal(await sourceSeenByExternal(inner, 7001), gatewayIp, 'the external host sees the gateway address as source');
  const external = testbed.external!;
  assert.notEqual((await external.exec('ping', ['-n', '-c', '1', '-W', '1', ipOf(p)], { allowFailure: true })).code, 0, 'the VM is not reachable from outside without a floating IP');
});

/** Peer address of the first TCP connection to `ip:port`, accepted by a one-shot listener that `exec` runs. */
async function acceptOnce(exec: (file: string, args: string[]) => Promise<{ stdout: string }>, ss: () => Promise<string>, ip: string, port: number): Promise<{ peer: Promise<string> }> {
  const script = `import socket\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('${ip}',${port}))\ns.listen(1)\ns.settimeout(15)\nc,a=s.accept()\nprint(a[0])`;
  const peer = exec('python3', ['-c', script]).then((r) => r.stdout.trim());
  await waitFor(async () => (await ss()).includes(`:${port} `), 10_000, 'the listener is up');
  return { peer };
}

const externalPing = async (ip: string, count = 1) => (await testbed.external!.exec('ping', ['-n', '-c', String(count), '-W', '1', ip], { allowFailure: true })).code === 0;

let fipId: string;
let fipAddress: string;

test('north-south - floating IP: the external host reaches the VM through it and sees its own address; the VM leaves with the floating IP', async (t) => {
  if (!requireE2e(t)) return;
  const p = await apiPort(controller, P1, tenant.networkId, 'h2', { security_groups: [sgOpen] });
  const vm = await apiVm(controller, testbed, 'vf1', 'h2', p);
  const started = Date.now();
  const fip = (await controller.request('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: flat.networkId, port_id: p.id } }, { project: P1 })).floatingip;
  fipId = fip.id;
  fipAddress = fip.floating_ip_address;
  assert.ok(await waitFor(() => externalPing(fipAddress), 20_000, 'the external host pings the floating IP'));
  process.stdout.write(`# floating IP associate → first reply: ${((Date.now() - started) / 1000).toFixed(2)} s\n`);
  // ACTIVE once h2 acked the port state carrying it.
  await waitFor(async () => (await controller.request('GET', `/v2.0/floatingips/${fipId}`, undefined, { project: P1 })).floatingip.status === 'ACTIVE', 10_000, 'the floating IP ACTIVE');
  const seen = await acceptOnce((f, a) => vm.exec(f, a, { timeoutMs: 20_000 }), async () => (await vm.exec('ss', ['-ltn'])).stdout, ipOf(p), 7101);
  await testbed.external!.exec('nc', ['-z', '-w', '3', fipAddress, '7101'], { allowFailure: true });
  const peer = await seen.peer;
  assert.equal(peer, EXTERNAL_HOST_IP, 'the VM sees the external host\'s own address');
  assert.equal(await sourceSeenByExternal(vm, 7102), fipAddress, 'the VM leaves with its floating IP, not the gateway address');
});

test('north-south - floating IP: security groups gate traffic arriving through it', async (t) => {
  if (!requireE2e(t)) return;
  const p = await apiPort(controller, P1, tenant.networkId, 'h1');
  await apiVm(controller, testbed, 'vf2', 'h1', p);
  const fip = (await controller.request('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: flat.networkId, port_id: p.id } }, { project: P1 })).floatingip;
  // Its default group admits only members: once the floating IP is programmed (its host answers ARP for
  // it, flows of the same bundle as its NAT), pings are still dropped.
  await waitFor(async () => {
    await externalPing(fip.floating_ip_address);
    return (await testbed.external!.exec('ip', ['neigh', 'show', fip.floating_ip_address])).stdout.includes('lladdr');
  }, 20_000, 'the floating IP answers ARP');
  assert.equal(await externalPing(fip.floating_ip_address, 3), false, 'the default group drops pings from outside');
  await controller.request('PUT', `/v2.0/ports/${p.id}`, { port: { security_groups: [sgOpen] } }, { project: P1 });
  assert.ok(await waitFor(() => externalPing(fip.floating_ip_address), 20_000, 'an ingress rule admits them'));
  await controller.request('DELETE', `/v2.0/floatingips/${fip.id}`, undefined, { project: P1 });
  assert.ok(await waitFor(async () => !(await externalPing(fip.floating_ip_address)), 20_000, 'a deleted floating IP stops answering'));
  vf2Port = p.id;
});

let vf2Port: string;

test('north-south - floating IP: disassociate stops it, re-associating to a VM on another host moves it', async (t) => {
  if (!requireE2e(t)) return;
  await controller.request('PUT', `/v2.0/floatingips/${fipId}`, { floatingip: { port_id: null } }, { project: P1 });
  assert.ok(await waitFor(async () => !(await externalPing(fipAddress)), 20_000, 'disassociated: no answer'));
  await controller.request('PUT', `/v2.0/floatingips/${fipId}`, { floatingip: { port_id: vf2Port } }, { project: P1 });
  assert.ok(await waitFor(() => externalPing(fipAddress), 20_000, 'the floating IP answers from the VM on h1'));
  const vf2 = testbed.vms.get('vf2')!;
  assert.equal(await sourceSeenByExternal(vf2, 7103), fipAddress, 'vf2 leaves with the moved floating IP');
});

test('north-south - measurements: floating IP associate → first reply from outside, flows per host', async (t) => {
  if (!requireE2e(t)) return;
  // Prints numbers for BENCHMARKS.md; asserts only that every cycle works.
  const samples: number[] = [];
  for (let i = 0; i < 7; i++) {
    await controller.request('PUT', `/v2.0/floatingips/${fipId}`, { floatingip: { port_id: null } }, { project: P1 });
    await waitFor(async () => !(await externalPing(fipAddress)), 20_000, 'disassociated');
    await testbed.external!.exec('ip', ['neigh', 'flush', 'all']);
    const started = Date.now();
    await controller.request('PUT', `/v2.0/floatingips/${fipId}`, { floatingip: { port_id: vf2Port } }, { project: P1 });
    await waitFor(async () => (await testbed.external!.exec('ping', ['-n', '-c', '1', '-W', '0.2', fipAddress], { allowFailure: true })).code === 0, 20_000, 'associated');
    samples.push(Date.now() - started);
  }
  samples.sort((a, b) => a - b);
  process.stdout.write(`# floating IP associate → first reply from the external host (ms, ${samples.length} runs): ${samples.join(' ')}; p50 ${samples[samples.length >> 1]}\n`);
  for (const host of testbed.hosts) {
    const flows = (await host.ofctl(['-O', 'OpenFlow14', 'dump-flows', 'BRIDGE'])).stdout.split('\n').filter((l) => l.includes('actions=')).length;
    process.stdout.write(`# flows on ${host.name}: ${flows}\n`);
  }
});

test('north-south - gateway failover: the gateway host is lost, another host takes the router and SNAT flows again', async (t) => {
  if (!requireE2e(t)) return;
  // The host goes down as a whole: its agent and its switch (so its installed flows stop forwarding too).
  const h1 = testbed.host('h1');
  const vswitchd = Number(readFileSync(join(h1.rundir, 'ovs-vswitchd.pid'), 'utf8').trim());
  const started = Date.now();
  process.kill(vswitchd, 'SIGKILL');
  await agents.get('h1')!.kill();
  const pinger = inner.spawn('ping', ['-n', '-i', '0.1', '-W', '1', '-c', '300', EXTERNAL_HOST_IP]);
  let output = '';
  pinger.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  const recovered = await waitFor(async () => {
    const replies = [...output.matchAll(/icmp_seq=(\d+)/g)].map((m) => Number(m[1]));
    return replies.length > 0 ? Date.now() : undefined;
  }, 15_000, 'SNAT traffic flows again after the gateway host was lost');
  pinger.kill();
  const host = (await controller.request('GET', `/v2.0/routers/${router}`, undefined, { project: P1 })).router['alcor:gateway_host'];
  assert.equal(host, 'h2');
  const seconds = (recovered - started) / 1000;
  process.stdout.write(`# gateway failover: ${seconds.toFixed(2)} s from the gateway host's loss to the first echo reply\n`);
  assert.ok(seconds <= 10, `failover took ${seconds} s`);
  assert.equal(await sourceSeenByExternal(inner, 7002), gatewayIp, 'still the gateway address after the move');
  await h1.restartVswitchd();
  agents.get('h1')!.start();
  await waitFor(async () => (await controller.connectedHosts()).includes('h1'), 30_000, 'h1 reconnected');
});

test('north-south - an agent restart on the floating IP host loses no pings through the floating IP', async (t) => {
  if (!requireE2e(t)) return;
  assert.ok(await waitFor(() => externalPing(fipAddress), 30_000, 'the floating IP answers after the host came back'));
  const pinger = spawn('ip', ['netns', 'exec', testbed.external!.netns, 'ping', '-n', '-i', '0.1', '-c', '60', '-W', '1', fipAddress], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  pinger.stdout.on('data', (c: Buffer) => (output += c.toString()));
  const done = new Promise<void>((resolve) => pinger.on('close', () => resolve()));
  await waitFor(async () => output.includes('icmp_seq=5'), 10_000, 'pinging');
  await agents.get('h1')!.kill();
  agents.get('h1')!.start();
  await waitFor(async () => (await controller.connectedHosts()).includes('h1'), 30_000, 'h1 reconnected');
  await done;
  const received = Number(/(\d+) received/.exec(output)?.[1] ?? 0);
  process.stdout.write(`# agent restart on the floating IP's host: ${60 - received} of 60 pings lost\n`);
  assert.ok(received >= 59, `pings through the floating IP across the agent restart: ${output.split('\n').slice(-3).join(' ')}`);
});
