/**
 * Metadata end to end: a real controller, one real `alcor-agent --driver ovs` process per testbed host
 * started with `--metadata-url` and `--metadata-secret-file` on the host's metadata link, a stand-in
 * metadata API that checks the signature the way Nova does, and VMs that fetch 169.254.169.254 with
 * busybox wget. Ports are made through the API the way Nova makes them (device_id = the instance).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { AgentProcess } from '../../src/testbed/agent-process.js';
import { MetadataStandIn, wireMetadataLink } from '../../src/testbed/metadata.js';
import type { OvsHost } from '../../src/testbed/ovs-host.js';
import { cleanupStale, Testbed } from '../../src/testbed/testbed.js';
import type { Vm } from '../../src/testbed/vm.js';
import { waitFor } from '../harness/wait-for.js';
import { apiNetwork, apiPort, apiVm, type ApiPort } from './support/api-vms.js';
import { startE2eController, type E2eController } from './support/controller.js';
import { startAgents, stopAgents } from './support/agents.js';
import { e2eUnavailable, requireE2e } from './support/prerequisites.js';

const available = e2eUnavailable() === undefined;
const SECRET = 'shared secret of the metadata test';
const P1 = 'project-one';
const P2 = 'project-two';
let testbed: Testbed;
let controller: E2eController;
let nova: MetadataStandIn;
let agents = new Map<string, AgentProcess>();
let agentOptions: (host: OvsHost) => Promise<Parameters<AgentProcess['start']>[0]>;

before(async () => {
  if (!available) return;
  await cleanupStale();
  testbed = await Testbed.create({ hosts: 2 });
  controller = await startE2eController();
  nova = await new MetadataStandIn(SECRET).listen();
  const secretFile = join(testbed.stateDir, 'metadata-secret');
  writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
  agentOptions = async (host) => ({ metadata: { url: nova.url, secretFile, link: await wireMetadataLink(host) } });
  agents = await startAgents(testbed, controller, agentOptions);
});

after(async () => {
  if (!available) return;
  await stopAgents(agents.values());
  await nova?.close();
  await controller?.close();
  await testbed?.destroy();
});

/**
 * What `wget -qO- http://169.254.169.254<path>` in the VM prints, or undefined when it fails within 5 s
 * (bounded by timeout(1): Debian's busybox 1.35 wget crashes with -T).
 */
async function fetchMetadata(vm: Vm, path: string, headers: string[] = []): Promise<string | undefined> {
  const args = ['5', 'busybox', 'wget', '-q', '-O', '-', ...headers.flatMap((h) => ['--header', h]), `http://169.254.169.254${path}`];
  const result = await vm.exec('timeout', args, { allowFailure: true, timeoutMs: 15_000 });
  return result.code === 0 ? result.stdout : undefined;
}

/** A port for an instance, made like Nova makes it, and the stand-in told about the instance. */
async function instancePort(project: string, networkId: string, host: string, instance: string, extra: Record<string, unknown> = {}): Promise<ApiPort> {
  nova.instances.set(instance, project);
  return apiPort(controller, project, networkId, host, { device_id: instance, device_owner: 'compute:nova', ...extra });
}

let va: Vm;
let vb: Vm;

test('metadata - an isolated subnet gets the metadata route by DHCP and each VM its own instance id', async (t) => {
  if (!requireE2e(t)) return;
  const net1 = await apiNetwork(controller, P1, 'md-isolated', '10.0.1.0/24');
  const pa = await instancePort(P1, net1.networkId, 'h1', 'instance-a', { fixed_ips: [{ subnet_id: net1.subnetId, ip_address: '10.0.1.10' }] });
  const pb = await instancePort(P1, net1.networkId, 'h2', 'instance-b', { fixed_ips: [{ subnet_id: net1.subnetId, ip_address: '10.0.1.20' }] });
  va = await apiVm(controller, testbed, 'va', 'h1', pa);
  vb = await apiVm(controller, testbed, 'vb', 'h2', pb);
  assert.equal(va.lease().staticRoutes, '169.254.169.254/32 10.0.1.1 0.0.0.0/0 10.0.1.1', 'option 121: metadata via the DHCP server address, then the default route');
  assert.equal(await waitFor(() => fetchMetadata(va, '/openstack/latest/instance-id'), 20_000, 'metadata from va'), 'instance-a');
  const seen = nova.requests.at(-1)!;
  assert.equal(seen.status, 200);
  assert.equal(seen.headers['x-forwarded-for'], '10.0.1.10');
  assert.equal(seen.headers['x-tenant-id'], P1);
  assert.equal(await waitFor(() => fetchMetadata(vb, '/openstack/latest/instance-id'), 20_000, 'metadata from vb on the other host'), 'instance-b');
  const json = JSON.parse((await fetchMetadata(va, '/openstack/latest/meta_data.json')) ?? '{}');
  assert.deepEqual(json, { uuid: 'instance-a', project_id: P1 });
});

test('metadata - identity headers a VM sends are replaced, never passed on', async (t) => {
  if (!requireE2e(t)) return;
  const before = nova.requests.length;
  const forged = ['X-Instance-ID: instance-b', `X-Tenant-ID: ${P1}`, 'X-Forwarded-For: 10.0.1.20', 'X-Instance-ID-Signature: 00'];
  assert.equal(await fetchMetadata(va, '/openstack/latest/instance-id', forged), 'instance-a');
  const seen = nova.requests.slice(before);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.headers['x-instance-id'], 'instance-a');
  assert.equal(seen[0]!.headers['x-forwarded-for'], '10.0.1.10');
});

test('metadata - a VM that forges its source address gets nothing', async (t) => {
  if (!requireE2e(t)) return;
  const before = nova.requests.length;
  const route = ['route', 'replace', '169.254.169.254/32', 'via', '10.0.1.1', 'dev', 'eth0', 'onlink'];
  await va.setAddress('10.0.1.20/24');
  await va.exec('ip', route);
  assert.equal(await fetchMetadata(va, '/openstack/latest/instance-id'), undefined, 'a forged source must not reach the proxy');
  assert.equal(nova.requests.length, before, 'nothing reached the metadata API');
  await va.setAddress('10.0.1.10/24');
  await va.exec('ip', route);
  assert.equal(await waitFor(() => fetchMetadata(va, '/openstack/latest/instance-id'), 10_000, 'metadata after restoring the address'), 'instance-a');
});

test('metadata - a VM without port security gets its own metadata, and nothing from an address it takes over', async (t) => {
  if (!requireE2e(t)) return;
  const net1 = (await controller.request('GET', '/v2.0/networks?name=md-isolated', undefined, { project: P1 })).networks[0];
  const pu = await instancePort(P1, net1.id, 'h1', 'instance-u', { port_security_enabled: false, security_groups: [] });
  const vu = await apiVm(controller, testbed, 'vu', 'h1', pu);
  assert.equal(await waitFor(() => fetchMetadata(vu, '/openstack/latest/instance-id'), 20_000, 'metadata from vu'), 'instance-u');
  const before = nova.requests.length;
  await vu.setAddress('10.0.1.10/24');
  await vu.exec('ip', ['route', 'replace', '169.254.169.254/32', 'via', '10.0.1.1', 'dev', 'eth0', 'onlink']);
  assert.equal(await fetchMetadata(vu, '/openstack/latest/instance-id'), undefined, "va's address on vu's port reaches no proxy");
  assert.equal(nova.requests.length, before, 'nothing reached the metadata API');
  await testbed.removeVm('vu');
});

test('metadata - the same IP in two projects on one host: each VM gets its own instance; a routed subnet needs no route', async (t) => {
  if (!requireE2e(t)) return;
  const net2 = await apiNetwork(controller, P2, 'md-routed', '10.0.1.0/24');
  const other = await apiNetwork(controller, P2, 'md-behind', '10.0.4.0/24');
  const router = (await controller.request('POST', '/v2.0/routers', { router: { name: 'md-r' } }, { project: P2 })).router;
  for (const subnet of [net2.subnetId, other.subnetId]) {
    await controller.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: subnet }, { project: P2 });
  }
  const pc = await instancePort(P2, net2.networkId, 'h1', 'instance-c', { fixed_ips: [{ subnet_id: net2.subnetId, ip_address: '10.0.1.10' }] });
  const vc = await apiVm(controller, testbed, 'vc', 'h1', pc);
  assert.equal(vc.lease().staticRoutes, undefined, 'a subnet with a router gets no metadata route');
  assert.equal(vc.lease().router, '10.0.1.1');
  assert.equal(await waitFor(() => fetchMetadata(vc, '/openstack/latest/instance-id'), 20_000, 'metadata from vc through its router'), 'instance-c');
  assert.equal(nova.requests.at(-1)!.headers['x-tenant-id'], P2);
  const [a, c] = await Promise.all([fetchMetadata(va, '/openstack/latest/instance-id'), fetchMetadata(vc, '/openstack/latest/instance-id')]);
  assert.deepEqual([a, c], ['instance-a', 'instance-c'], 'concurrent requests from the same IP in two projects');
});

test('metadata - an agent killed and restarted serves metadata again from the same link', async (t) => {
  if (!requireE2e(t)) return;
  const agent = agents.get('h1')!;
  await agent.kill();
  await waitFor(async () => !(await controller.connectedHosts()).includes('h1'), 30_000, 'h1 seen disconnected');
  agent.start(await agentOptions(agent.host));
  await waitFor(async () => (await controller.connectedHosts()).includes('h1'), 30_000, 'h1 reconnected');
  assert.equal(await waitFor(() => fetchMetadata(va, '/openstack/latest/instance-id'), 20_000, 'metadata after the restart'), 'instance-a');
});
