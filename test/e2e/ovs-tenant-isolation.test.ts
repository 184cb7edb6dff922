/**
 * The OVS driver against real OVS on two testbed hosts (no controller): what one port may see of
 * another's — DHCP for an interface the agent has not mapped yet, ports without port security using
 * addresses the API does not know, and established sessions after the rule that allowed them is deleted.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cleanupStale, Testbed } from '../../src/testbed/testbed.js';
import { waitFor } from '../harness/wait-for.js';
import { HandBuiltNetwork } from './support/goal-state.js';
import { OvsDrivers } from './support/ovs-drivers.js';
import { e2eUnavailable, requireE2e } from './support/prerequisites.js';

const available = e2eUnavailable() === undefined;
let testbed: Testbed;
let hosts: OvsDrivers;
const net = new HandBuiltNetwork();

before(async () => {
  if (!available) return;
  await cleanupStale();
  testbed = await Testbed.create({ hosts: 2 });
  hosts = new OvsDrivers(testbed, net);
  await hosts.start(['h1', 'h2']);
});

after(async () => {
  await hosts?.close();
  if (testbed) await testbed.destroy();
});

test('ovs isolation - DHCP answers an interface the agent has not mapped yet with its own port, never another port with its MAC', async (t) => {
  if (!requireE2e(t)) return;
  const h1 = testbed.host('h1');
  const sharedMac = 'fa:16:3e:12:34:56';
  // Two projects' networks with the same CIDR; their ports share a MAC (Neutron allows it across networks).
  net.addVpc('net-a', 2001);
  net.addSubnet('sub-a', 'net-a', '10.0.0.0/24', '10.0.0.1');
  net.addVpc('net-b', 2002);
  net.addSubnet('sub-b', 'net-b', '10.0.0.0/24', '10.0.0.254');
  net.subnets.get('sub-b')!.dnsNameservers = ['192.0.2.99'];
  net.addPort('port-a', 'sub-a', '10.0.0.10', h1).state.macAddress = sharedMac;
  net.addPort('port-b', 'sub-b', '10.0.0.77', h1).state.macAddress = sharedMac;
  await hosts.applyAll();
  const driver = hosts.get('h1');
  const mapped = driver.details().interfaces ?? 0;
  // A's VM is plugged while the agent's interface watcher is paused: its DHCP requests come from an
  // OpenFlow port the agent has not mapped to a port yet.
  const resume = hosts.pauseInterfaceWatcher('h1');
  try {
    const vm = await testbed.addVm({ name: 'vm-a', host: 'h1', portId: 'port-a', mac: sharedMac });
    const lease = await vm.dhcp({ tries: 10 });
    assert.equal(driver.details().interfaces, mapped, 'the watcher has not mapped the new interface');
    assert.ok(lease.offered.length > 0, 'udhcpc logged the offers it selected');
    assert.deepEqual([...new Set(lease.offered)], ['10.0.0.10'], 'every offer carries A\'s address');
    assert.equal(lease.ip, '10.0.0.10');
    assert.equal(lease.router, '10.0.0.1');
    assert.deepEqual(lease.dns, ['10.255.255.53']);
  } finally {
    resume();
  }
  await waitFor(() => (driver.details().interfaces ?? 0) > mapped, 10_000, 'the watcher maps the interface once resumed');
  const again = await testbed.vms.get('vm-a')!.dhcp();
  assert.equal(again.ip, '10.0.0.10', 'and the mapped interface gets the same lease');
  await testbed.removeVm('vm-a');
});

test('ovs isolation - a port without port security is reached on an address the API does not know; secured ports still cannot spoof', async (t) => {
  if (!requireE2e(t)) return;
  const [h1, h2] = [testbed.host('h1'), testbed.host('h2')];
  net.addVpc('net-f', 2003);
  net.addSubnet('sub-f', 'net-f', '10.0.3.0/24', '10.0.3.1');
  net.addSecurityGroup('sg-open', [{ direction: 'egress' }, { direction: 'ingress', protocol: 'icmp', remoteIpPrefix: '0.0.0.0/0' }]);
  const secured = { portSecurityEnabled: true, securityGroupIds: ['sg-open'] };
  const p = net.addPort('port-p', 'sub-f', '10.0.3.10', h2, { portSecurityEnabled: false });
  const q = net.addPort('port-q', 'sub-f', '10.0.3.20', h1, secured);
  const r = net.addPort('port-r', 'sub-f', '10.0.3.30', h2, secured);
  await hosts.applyAll();
  const vp = await testbed.addVm({ name: 'vp', host: 'h2', portId: 'port-p', mac: p.state.macAddress });
  const vq = await testbed.addVm({ name: 'vq', host: 'h1', portId: 'port-q', mac: q.state.macAddress });
  const vr = await testbed.addVm({ name: 'vr', host: 'h2', portId: 'port-r', mac: r.state.macAddress });
  for (const vm of [vp, vq, vr]) await waitFor(() => vm.dhcp().catch(() => undefined), 30_000, `DHCP lease of ${vm.name}`);
  // A virtual IP (keepalived style) that only the VM knows.
  await vp.exec('ip', ['addr', 'add', '10.0.3.100/24', 'dev', 'eth0']);
  assert.ok(await waitFor(() => vq.ping('10.0.3.100'), 15_000, 'a peer on another host reaches the virtual IP'), 'remote peer');
  assert.ok(await vr.ping('10.0.3.100'), 'a peer on the same host reaches the virtual IP');
  // The same trick from a port that keeps port security gets nowhere.
  await vr.exec('ip', ['addr', 'add', '10.0.3.101/24', 'dev', 'eth0']);
  assert.equal(await vq.ping('10.0.3.101', { count: 2 }), false, 'an unknown address of a secured port is not reachable');
  assert.equal(await vp.ping('10.0.3.101', { count: 2 }), false, 'not even from a port without port security');
  const spoofed = await vr.exec('ping', ['-n', '-c', '2', '-W', '1', '-I', '10.0.3.101', '10.0.3.20'], { allowFailure: true });
  assert.notEqual(spoofed.code, 0, 'a secured port cannot send from an address it does not own');
  assert.ok(await vr.ping('10.0.3.20'), 'while its own address works');
});
