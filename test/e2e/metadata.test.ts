/**
 * Metadata end to end on two testbed hosts: VMs fetch 169.254.169.254 with busybox wget; the agent's
 * proxy (OVS drivers in this process, each on its host's metadata link) signs the request for the
 * instance of the port it came in on, and the stand-in checks the signature the way Nova does.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MetadataStandIn, metadataLinkOptions, wireMetadataLink } from '../../src/testbed/metadata.js';
import { cleanupStale, Testbed } from '../../src/testbed/testbed.js';
import type { Vm } from '../../src/testbed/vm.js';
import { waitFor } from '../harness/wait-for.js';
import { HandBuiltNetwork } from './support/goal-state.js';
import { OvsDrivers } from './support/ovs-drivers.js';
import { e2eUnavailable, requireE2e } from './support/prerequisites.js';

const available = e2eUnavailable() === undefined;
const SECRET = 'shared secret of the metadata test';
let testbed: Testbed;
let hosts: OvsDrivers;
let nova: MetadataStandIn;
const net = new HandBuiltNetwork();

before(async () => {
  if (!available) return;
  await cleanupStale();
  testbed = await Testbed.create({ hosts: 2 });
  nova = await new MetadataStandIn(SECRET).listen();
  for (const host of testbed.hosts) await wireMetadataLink(host);
  hosts = new OvsDrivers(testbed, net);
  hosts.metadata = { service: { url: nova.url, sharedSecret: SECRET }, hostOptions: (name) => ({ ...metadataLinkOptions(testbed.host(name)) }) };
  await hosts.start(['h1', 'h2']);
});

after(async () => {
  await hosts?.close();
  await nova?.close();
  if (testbed) await testbed.destroy();
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

let va: Vm;
let vb: Vm;
const secured = { portSecurityEnabled: true, securityGroupIds: ['sg-default'] };

test('metadata - an isolated subnet gets the metadata route by DHCP and each VM its own instance id', async (t) => {
  if (!requireE2e(t)) return;
  const [h1, h2] = [testbed.host('h1'), testbed.host('h2')];
  net.addVpc('net-a', 2001);
  net.addSubnet('sub-a', 'net-a', '10.0.1.0/24', '10.0.1.1');
  net.addSecurityGroup('sg-default', [{ direction: 'egress' }, { direction: 'ingress', remoteGroupId: 'sg-default' }]);
  const pa = net.addPort('port-a', 'sub-a', '10.0.1.10', h1, { ...secured, deviceId: 'instance-a', projectId: 'project-a' });
  const pb = net.addPort('port-b', 'sub-a', '10.0.1.20', h2, { ...secured, deviceId: 'instance-b', projectId: 'project-a' });
  nova.instances.set('instance-a', 'project-a').set('instance-b', 'project-a');
  await hosts.applyAll();
  va = await testbed.addVm({ name: 'va', host: 'h1', portId: 'port-a', mac: pa.state.macAddress });
  vb = await testbed.addVm({ name: 'vb', host: 'h2', portId: 'port-b', mac: pb.state.macAddress });
  const lease = await waitFor(() => va.dhcp().catch(() => undefined), 30_000, 'DHCP lease of va');
  assert.equal(lease.staticRoutes, '169.254.169.254/32 10.0.1.1 0.0.0.0/0 10.0.1.1', 'option 121: metadata via the DHCP server address, then the default route');
  await waitFor(() => vb.dhcp().catch(() => undefined), 30_000, 'DHCP lease of vb');
  assert.equal(await waitFor(() => fetchMetadata(va, '/openstack/latest/instance-id'), 20_000, 'metadata from va'), 'instance-a');
  const seen = nova.requests.at(-1)!;
  assert.equal(seen.status, 200);
  assert.equal(seen.headers['x-forwarded-for'], '10.0.1.10');
  assert.equal(seen.headers['x-tenant-id'], 'project-a');
  assert.equal(await waitFor(() => fetchMetadata(vb, '/openstack/latest/instance-id'), 20_000, 'metadata from vb on the other host'), 'instance-b');
  const json = JSON.parse((await fetchMetadata(va, '/openstack/latest/meta_data.json')) ?? '{}');
  assert.deepEqual(json, { uuid: 'instance-a', project_id: 'project-a' });
});

test('metadata - identity headers a VM sends are replaced, never passed on', async (t) => {
  if (!requireE2e(t)) return;
  const before = nova.requests.length;
  const forged = ['X-Instance-ID: instance-b', 'X-Tenant-ID: project-a', 'X-Forwarded-For: 10.0.1.20', 'X-Instance-ID-Signature: 00'];
  assert.equal(await fetchMetadata(va, '/openstack/latest/instance-id', forged), 'instance-a');
  const seen = nova.requests.slice(before);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.headers['x-instance-id'], 'instance-a');
  assert.equal(seen[0]!.headers['x-forwarded-for'], '10.0.1.10');
});

test('metadata - a VM that forges its source address gets nothing', async (t) => {
  if (!requireE2e(t)) return;
  const before = nova.requests.length;
  await va.setAddress('10.0.1.20/24');
  await va.exec('ip', ['route', 'replace', '169.254.169.254/32', 'via', '10.0.1.1', 'dev', 'eth0']);
  assert.equal(await fetchMetadata(va, '/openstack/latest/instance-id'), undefined, 'a forged source must not reach the proxy');
  assert.equal(nova.requests.length, before, 'nothing reached the metadata API');
  await va.setAddress('10.0.1.10/24');
  await va.exec('ip', ['route', 'replace', '169.254.169.254/32', 'via', '10.0.1.1', 'dev', 'eth0']);
  assert.equal(await waitFor(() => fetchMetadata(va, '/openstack/latest/instance-id'), 10_000, 'metadata after restoring the address'), 'instance-a');
});

test('metadata - the same IP in two projects on one host: each VM gets its own instance; a routed subnet needs no route', async (t) => {
  if (!requireE2e(t)) return;
  const h1 = testbed.host('h1');
  net.addVpc('net-c', 2003);
  net.addSubnet('sub-c', 'net-c', '10.0.1.0/24', '10.0.1.1');
  net.addVpc('net-d', 2004);
  net.addSubnet('sub-d', 'net-d', '10.0.4.0/24', '10.0.4.1');
  net.addRouter('r-c', [
    { subnetId: 'sub-c', ip: '10.0.1.1', mac: 'fa:16:3e:cc:00:01' },
    { subnetId: 'sub-d', ip: '10.0.4.1', mac: 'fa:16:3e:dd:00:01' },
  ]);
  const pc = net.addPort('port-c', 'sub-c', '10.0.1.10', h1, { ...secured, deviceId: 'instance-c', projectId: 'project-c' });
  nova.instances.set('instance-c', 'project-c');
  await hosts.applyAll();
  const vc = await testbed.addVm({ name: 'vc', host: 'h1', portId: 'port-c', mac: pc.state.macAddress });
  const lease = await waitFor(() => vc.dhcp().catch(() => undefined), 30_000, 'DHCP lease of vc');
  assert.equal(lease.ip, '10.0.1.10');
  assert.equal(lease.staticRoutes, undefined, 'a subnet with a router gets no metadata route');
  assert.equal(await waitFor(() => fetchMetadata(vc, '/openstack/latest/instance-id'), 20_000, 'metadata from vc through its router'), 'instance-c');
  assert.equal(nova.requests.at(-1)!.headers['x-tenant-id'], 'project-c');
  assert.equal(await fetchMetadata(va, '/openstack/latest/instance-id'), 'instance-a', 'va, same IP in another project, is still itself');
  const [a, c] = await Promise.all([fetchMetadata(va, '/openstack/latest/instance-id'), fetchMetadata(vc, '/openstack/latest/instance-id')]);
  assert.deepEqual([a, c], ['instance-a', 'instance-c'], 'concurrent requests from the same IP in two projects');
});
