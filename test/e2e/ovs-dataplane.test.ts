/**
 * The OVS driver against real OVS on two testbed hosts, driven by hand-built desired state (no
 * controller): DHCP, VXLAN, restart without flow changes, anti-spoofing, distributed routing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Testbed } from '../../src/testbed/testbed.js';
import type { Vm } from '../../src/testbed/vm.js';
import { waitFor } from '../harness/wait-for.js';
import { HandBuiltNetwork } from './support/goal-state.js';
import { type OvsDrivers, startHandBuiltTestbed, stopHandBuiltTestbed } from './support/ovs-drivers.js';
import { e2eUnavailable, requireE2e } from './support/prerequisites.js';

const available = e2eUnavailable() === undefined;
let testbed: Testbed;
let hosts: OvsDrivers;
const net = new HandBuiltNetwork();

before(async () => {
  if (!available) return;
  ({ testbed, hosts } = await startHandBuiltTestbed(net));
});

after(async () => {
  await stopHandBuiltTestbed(testbed, hosts);
});

let va: Vm;
let vb: Vm;

test('ovs dataplane - VMs on two hosts get addresses by DHCP and ping each other over VXLAN', async (t) => {
  if (!requireE2e(t)) return;
  const [h1, h2] = [testbed.host('h1'), testbed.host('h2')];
  net.addVpc('net-a', 1001);
  net.addSubnet('sub-a', 'net-a', '10.0.1.0/24', '10.0.1.1');
  // Neutron's default group: all egress, ingress only from members of the group (conjunctive flows).
  net.addSecurityGroup('sg-default', [{ direction: 'egress' }, { direction: 'ingress', remoteGroupId: 'sg-default' }]);
  const secured = { portSecurityEnabled: true, securityGroupIds: ['sg-default'] };
  const pa = net.addPort('port-a', 'sub-a', '10.0.1.10', h1, secured);
  const pb = net.addPort('port-b', 'sub-a', '10.0.1.20', h2, secured);
  await hosts.applyAll();
  // The VM interface appears after the binding: the driver must pick it up by iface-id.
  va = await testbed.addVm({ name: 'va', host: 'h1', portId: 'port-a', mac: pa.state.macAddress });
  vb = await testbed.addVm({ name: 'vb', host: 'h2', portId: 'port-b', mac: pb.state.macAddress });
  const leaseA = await waitFor(() => va.dhcp().catch(() => undefined), 30_000, 'DHCP lease of va');
  assert.equal(leaseA.ip, '10.0.1.10');
  assert.equal(leaseA.mask, 24);
  assert.equal(leaseA.router, '10.0.1.1');
  assert.equal(leaseA.mtu, 1450);
  assert.deepEqual(leaseA.dns, ['10.255.255.53']);
  const leaseB = await waitFor(() => vb.dhcp().catch(() => undefined), 30_000, 'DHCP lease of vb');
  assert.equal(leaseB.ip, '10.0.1.20');
  assert.ok(await waitFor(() => va.ping('10.0.1.20'), 20_000, 'ping va → vb'));
  assert.ok(await vb.ping('10.0.1.10'));
});

test('ovs dataplane - a second reconcile and a driver restart change no flows and lose no pings', async (t) => {
  if (!requireE2e(t)) return;
  const before = hosts.get('h1').details().flowModsTotal;
  await hosts.applyAll();
  assert.equal(hosts.get('h1').details().flowModsTotal, before, 'second full reconcile is a no-op');
  const pinger = va.spawn('ping', ['-n', '-i', '0.05', '-c', '80', '-W', '1', '10.0.1.20']);
  let output = '';
  pinger.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  const done = new Promise<number>((resolve) => pinger.on('close', (code) => resolve(code ?? 1)));
  for (const name of ['h1', 'h2']) {
    await hosts.get(name).close();
    const fresh = hosts.create(name);
    await fresh.start();
    hosts.drivers.set(name, fresh);
    await fresh.apply(net.fullRequest(name));
    assert.equal(fresh.details().flowModsTotal, 0, `restarted driver on ${name} changed flows`);
  }
  await done;
  const received = Number(/(\d+) received/.exec(output)?.[1] ?? 0);
  assert.ok(received >= 79, `continuous ping across the restart: ${output.split('\n').slice(-3).join(' ')}`);
});

test('ovs dataplane - anti-spoofing drops a VM that changes its IP or MAC', async (t) => {
  if (!requireE2e(t)) return;
  await va.setAddress('10.0.1.99/24');
  assert.equal(await va.ping('10.0.1.20', { count: 2 }), false, 'spoofed IP must not get through');
  await va.setAddress('10.0.1.10/24', '10.0.1.1');
  assert.ok(await waitFor(() => va.ping('10.0.1.20'), 10_000, 'ping after restoring the IP'));
  await va.setMac('fa:16:3e:99:99:99');
  assert.equal(await va.ping('10.0.1.20', { count: 2 }), false, 'spoofed MAC must not get through');
  await va.setMac(va.mac);
  assert.ok(await waitFor(() => va.ping('10.0.1.20'), 10_000, 'ping after restoring the MAC'));
});

test('ovs dataplane - a router joins two subnets across hosts and decrements the TTL', async (t) => {
  if (!requireE2e(t)) return;
  net.addVpc('net-b', 1002);
  net.addSubnet('sub-b', 'net-b', '10.0.2.0/24', '10.0.2.1');
  const pc = net.addPort('port-c', 'sub-b', '10.0.2.30', testbed.host('h2'), { portSecurityEnabled: true, securityGroupIds: ['sg-default'] });
  net.addRouter('r1', [
    { subnetId: 'sub-a', ip: '10.0.1.1', mac: 'fa:16:3e:aa:00:01' },
    { subnetId: 'sub-b', ip: '10.0.2.1', mac: 'fa:16:3e:bb:00:01' },
  ]);
  await hosts.applyAll();
  const vc = await testbed.addVm({ name: 'vc', host: 'h2', portId: 'port-c', mac: pc.state.macAddress });
  const lease = await waitFor(() => vc.dhcp().catch(() => undefined), 30_000, 'DHCP lease of vc');
  assert.equal(lease.ip, '10.0.2.30');
  assert.ok(await waitFor(() => va.ping('10.0.2.30'), 20_000, 'ping across the router'));
  assert.equal(await va.pingTtl('10.0.2.30'), 63, 'one routing hop decrements the TTL once');
  assert.equal(await va.pingTtl('10.0.1.1'), 255, 'the router address answers pings');
});

async function tcpOpen(from: Vm, ip: string, port: number): Promise<boolean> {
  const result = await from.exec('nc', ['-z', '-w', '2', ip, String(port)], { allowFailure: true });
  return result.code === 0;
}

test('ovs dataplane - security groups: allowed vs denied TCP port, live rule changes, established connection survives', async (t) => {
  if (!requireE2e(t)) return;
  net.addSecurityGroup('sg-web', [{ direction: 'egress' }, { direction: 'ingress', protocol: 'tcp', portRangeMin: 5001, portRangeMax: 5001, remoteIpPrefix: '0.0.0.0/0' }]);
  net.ports.get('port-b')!.state.securityGroupIds = ['sg-web'];
  await hosts.applyDelta([['port', 'port-b'], ['neighbor', 'port-b']]);
  const listeners = [5001, 5002, 5003].map((port) => vb.spawn('nc', ['-lk', String(port)]));
  try {
    assert.ok(await waitFor(() => tcpOpen(va, '10.0.1.20', 5001), 15_000, 'tcp 5001 allowed'));
    assert.equal(await tcpOpen(va, '10.0.1.20', 5002), false, 'tcp 5002 denied by default');
    assert.equal(await va.ping('10.0.1.20', { count: 1 }), false, 'ICMP not allowed by sg-web');
    // Long-lived connection on 5001 while rules change.
    const received: string[] = [];
    listeners[0]!.stdout!.on('data', (c: Buffer) => received.push(c.toString()));
    const client = va.spawn('nc', ['10.0.1.20', '5001'], { stdin: true });
    client.stdin!.write('before-change\n');
    await waitFor(() => received.join('').includes('before-change'), 10_000, 'data on the established connection');
    const sg = net.securityGroups.get('sg-web')!;
    const rule5002 = { direction: 'ingress', protocol: 'tcp', portRangeMin: 5002, portRangeMax: 5002 };
    net.addSecurityGroup('sg-web', [{ direction: 'egress' }, { direction: 'ingress', protocol: 'tcp', portRangeMin: 5001, portRangeMax: 5001, remoteIpPrefix: '0.0.0.0/0' }, rule5002]);
    const flowsBefore = hosts.get('h2').stats().installedEntries;
    await hosts.applyDelta([['securityGroup', 'sg-web']]);
    assert.equal(hosts.get('h2').stats().installedEntries, flowsBefore + 1, 'one rule added = one flow');
    client.stdin!.write('after-change\n');
    await waitFor(() => received.join('').includes('after-change'), 10_000, 'established connection survives a rule change');
    assert.ok(await waitFor(() => tcpOpen(va, '10.0.1.20', 5002), 10_000, 'tcp 5002 allowed after the rule was added'));
    net.securityGroups.set('sg-web', sg);
    await hosts.applyDelta([['securityGroup', 'sg-web']]);
    assert.equal(await tcpOpen(va, '10.0.1.20', 5002), false, 'tcp 5002 denied again after the rule was removed');
    client.kill();
  } finally {
    for (const l of listeners) l.kill();
  }
  net.ports.get('port-b')!.state.securityGroupIds = ['sg-default'];
  await hosts.applyDelta([['port', 'port-b'], ['neighbor', 'port-b']]);
  assert.ok(await waitFor(() => va.ping('10.0.1.20'), 10_000, 'back to the default group'));
});

test('ovs dataplane - deleting a port stops its traffic; rebinding it on another host restores it', async (t) => {
  if (!requireE2e(t)) return;
  const port = net.ports.get('port-b')!;
  net.ports.delete('port-b');
  await hosts.applyDelta([['port', 'port-b'], ['neighbor', 'port-b'], ['dhcp', 'port-b']]);
  assert.equal(await va.ping('10.0.1.20', { count: 2 }), false, 'deleted port must be unreachable');
  await testbed.removeVm('vb');
  const h1 = testbed.host('h1');
  net.ports.set('port-b', { ...port, hostId: h1.name, hostIp: h1.underlayIp });
  await hosts.applyDelta([['port', 'port-b'], ['neighbor', 'port-b'], ['dhcp', 'port-b']]);
  vb = await testbed.addVm({ name: 'vb2', host: 'h1', portId: 'port-b', mac: port.state.macAddress });
  const lease = await waitFor(() => vb.dhcp().catch(() => undefined), 30_000, 'DHCP lease after the move');
  assert.equal(lease.ip, '10.0.1.20');
  assert.ok(await waitFor(() => va.ping('10.0.1.20'), 10_000, 'ping the moved VM'));
  const vc = testbed.vms.get('vc')!;
  assert.ok(await waitFor(() => vc.ping('10.0.1.20'), 10_000, 'routed ping from the other host to the moved VM'));
});

test('ovs dataplane - after ovs-vswitchd restarts with an empty flow table, the driver reinstalls its flows', async (t) => {
  if (!requireE2e(t)) return;
  const vc = testbed.vms.get('vc')!;
  assert.ok(await vc.ping('10.0.1.10'), 'routed ping before the restart');
  const driver = hosts.get('h2');
  const recomputes = driver.stats().recomputeTotal;
  await testbed.host('h2').restartVswitchd();
  await waitFor(() => driver.stats().recomputeTotal > recomputes, 30_000, 'full reconcile after reconnecting');
  assert.ok(await waitFor(() => vc.ping('10.0.1.10'), 30_000, 'routed ping after the restart'));
});
