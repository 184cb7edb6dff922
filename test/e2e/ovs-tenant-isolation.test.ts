/**
 * The OVS driver against real OVS on two testbed hosts (no controller): what one port may see of
 * another's — DHCP for an interface the agent has not mapped yet, ports without port security using
 * addresses the API does not know, and established sessions after the rule that allowed them is deleted.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Testbed } from '../../src/testbed/testbed.js';
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
  assert.ok(await waitFor(() => vr.ping('10.0.3.20'), 10_000, 'its own address works'), 'while its own address works');
});

test('ovs isolation - deleting a security-group rule ends the sessions it allowed within a bound; sessions of other rules go on', async (t) => {
  if (!requireE2e(t)) return;
  const [h1, h2] = [testbed.host('h1'), testbed.host('h2')];
  net.addVpc('net-s', 2004);
  net.addSubnet('sub-s', 'net-s', '10.0.4.0/24', '10.0.4.1');
  net.addSecurityGroup('sg-client', [{ direction: 'egress' }]);
  const serverRules = [{ direction: 'egress' }, { direction: 'ingress', protocol: 'tcp', portRangeMin: 5001, portRangeMax: 5001 }];
  net.addSecurityGroup('sg-server', [...serverRules, { direction: 'ingress', protocol: 'icmp' }]);
  const c = net.addPort('port-client', 'sub-s', '10.0.4.10', h1, { portSecurityEnabled: true, securityGroupIds: ['sg-client'] });
  const s = net.addPort('port-server', 'sub-s', '10.0.4.20', h2, { portSecurityEnabled: true, securityGroupIds: ['sg-server'] });
  await hosts.applyAll();
  const vc = await testbed.addVm({ name: 'vclient', host: 'h1', portId: 'port-client', mac: c.state.macAddress });
  const vs = await testbed.addVm({ name: 'vserver', host: 'h2', portId: 'port-server', mac: s.state.macAddress });
  for (const vm of [vc, vs]) await waitFor(() => vm.dhcp().catch(() => undefined), 30_000, `DHCP lease of ${vm.name}`);
  assert.ok(await waitFor(() => vc.ping('10.0.4.20'), 15_000, 'ICMP allowed by its rule'));
  // A TCP session allowed by the other rule.
  const listener = vs.spawn('nc', ['-lk', '5001']);
  const received: string[] = [];
  listener.stdout!.on('data', (chunk: Buffer) => received.push(chunk.toString()));
  const listening = async () => (await vc.exec('nc', ['-z', '-w', '2', '10.0.4.20', '5001'], { allowFailure: true })).code === 0;
  await waitFor(listening, 10_000, 'the server listens');
  const client = vc.spawn('nc', ['10.0.4.20', '5001'], { stdin: true });
  try {
    client.stdin!.write('hello\n');
    await waitFor(() => received.join('').includes('hello'), 10_000, 'TCP session established');
    // A running ping (-D: each reply line carries the time it arrived); the rule goes while it runs.
    const pinger = vc.spawn('ping', ['-n', '-D', '-i', '0.1', '-c', '40', '-W', '1', '10.0.4.20']);
    let output = '';
    pinger.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const finished = new Promise<void>((resolve) => pinger.on('close', () => resolve()));
    await waitFor(() => (output.match(/bytes from/g)?.length ?? 0) >= 5, 10_000, 'pings answered before the delete');
    const deletedAt = Date.now();
    net.addSecurityGroup('sg-server', serverRules);
    await hosts.applyDelta([['securityGroup', 'sg-server']]);
    const appliedMs = Date.now() - deletedAt;
    await finished;
    const replies = [...output.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from/gm)].map((m) => Number(m[1]) * 1000);
    const lastReplyMs = Math.round(Math.max(...replies) - deletedAt);
    const sent = Number(/(\d+) packets transmitted/.exec(output)?.[1] ?? 0);
    t.diagnostic(`rule delete applied in ${appliedMs} ms; last echo reply ${lastReplyMs} ms after the delete; ${replies.length}/${sent} answered`);
    assert.ok(sent - replies.length >= 15, `pings kept going unanswered after the delete (${replies.length}/${sent} answered)`);
    assert.ok(lastReplyMs <= 1000, `no echo reply later than 1 s after the delete (last: ${lastReplyMs} ms)`);
    assert.equal(await vc.ping('10.0.4.20', { count: 2 }), false, 'new ICMP is denied too');
    client.stdin!.write('after-delete\n');
    await waitFor(() => received.join('').includes('after-delete'), 10_000, 'the TCP session allowed by the other rule goes on');
    assert.ok((hosts.get('h2').details().ctFlushed ?? 0) >= 1, 'the agent flushed the ICMP connection');
  } finally {
    client.kill();
    listener.kill();
  }
});
