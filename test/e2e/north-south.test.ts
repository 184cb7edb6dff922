/**
 * North-south traffic end to end: a real controller, one `alcor-agent --driver ovs` per testbed host,
 * and the testbed's external network (flat physnet1, 203.0.113.0/24, wired to every host's br-ex).
 * h1 and h2 map physnet1 to br-ex; h3's agent maps nothing, so provider ports cannot bind there.
 */
import assert from 'node:assert/strict';
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
  if (process.env.NS_DEBUG || process.exitCode) for (const a of agents.values()) process.stderr.write(`--- agent ${a.host.name}\n${a.logTail()}\n`);
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
let inner: Awaited<ReturnType<typeof apiVm>>;

test('north-south - SNAT: a VM without a floating IP reaches the external host, which sees the router gateway address', async (t) => {
  if (!requireE2e(t)) return;
  const tenant = await apiNetwork(controller, P1, 'tenant', '10.9.0.0/24');
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
