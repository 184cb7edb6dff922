/**
 * IPv6 through the OVS driver on two testbed hosts, driven by hand-built desired state: SLAAC from the
 * agent's router advertisements (exactly the EUI-64 address the API computes), ping6 across hosts,
 * dual stack, ICMPv6 rules gating ping6 while neighbor discovery keeps working, anti-spoofing and RA
 * guard, routing between IPv6 subnets, and DHCPv6 (stateful and stateless) with a small real client.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { eui64Address } from '../../src/domain/subnet.js';
import { formatIp, parseCidr, type Cidr } from '../../src/domain/ip.js';
import { FixedIpSchema } from '../../src/proto/alcor/v1/goal_state_pb.js';
import { run } from '../../src/testbed/exec.js';
import type { Testbed } from '../../src/testbed/testbed.js';
import type { Vm } from '../../src/testbed/vm.js';
import { waitFor } from '../harness/wait-for.js';
import { HandBuiltNetwork, type HandPort } from './support/goal-state.js';
import { type OvsDrivers, startHandBuiltTestbed, stopHandBuiltTestbed } from './support/ovs-drivers.js';
import { e2eUnavailable, requireE2e } from './support/prerequisites.js';

const available = e2eUnavailable() === undefined;
let testbed: Testbed;
let hosts: OvsDrivers;
const net = new HandBuiltNetwork();
const scratch = mkdtempSync(join(tmpdir(), 'alcor-ipv6-'));

/**
 * A DHCPv6 client (RFC 8415 SOLICIT with IA_NA, or INFORMATION-REQUEST) on eth0's link-local address;
 * prints the address and DNS servers of the answer. Neither busybox nor Debian's base image ships one.
 */
const DHCP6_CLIENT = `
import socket, struct, sys
kind = sys.argv[1]
idx = socket.if_nametoindex('eth0')
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('::', 546, 0, idx))
s.settimeout(2)
duid = struct.pack('!HH', 3, 1) + bytes.fromhex('020000000001')
opts = struct.pack('!HH', 1, len(duid)) + duid + struct.pack('!HHH', 8, 2, 0)
if kind == 'solicit':
    msg = bytes([1, 1, 2, 3]) + opts + struct.pack('!HH', 3, 12) + struct.pack('!III', 7, 0, 0)
else:
    msg = bytes([11, 4, 5, 6]) + opts + struct.pack('!HHH', 6, 2, 23)
for attempt in range(8):
    s.sendto(msg, ('ff02::1:2', 547, 0, idx))
    try:
        data, _ = s.recvfrom(2048)
    except socket.timeout:
        continue
    at = 4
    while at + 4 <= len(data):
        code, length = struct.unpack('!HH', data[at:at + 4])
        body = data[at + 4:at + 4 + length]
        if code == 3:
            print('address', socket.inet_ntop(socket.AF_INET6, body[16:32]))
        if code == 23:
            for i in range(0, len(body), 16):
                print('dns', socket.inet_ntop(socket.AF_INET6, body[i:i + 16]))
        at += 4 + length
    print('type', data[0])
    sys.exit(0)
sys.exit(1)
`;

/** Sends one router advertisement for fd00:dead::/64 (A flag, lifetime 1800) to `dst` from eth0. */
const ROGUE_RA = `
import socket, struct, sys
idx = socket.if_nametoindex('eth0')
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
ra = struct.pack('!BBHBBHII', 134, 0, 0, 64, 0, 1800, 0, 0)
pio = struct.pack('!BBBBIII', 3, 4, 64, 0xc0, 86400, 14400, 0) + socket.inet_pton(socket.AF_INET6, 'fd00:dead::')
for _ in range(3):
    s.sendto(ra + pio, (sys.argv[1], 0, 0, idx))
`;

before(async () => {
  if (!available) return;
  writeFileSync(join(scratch, 'dhcp6.py'), DHCP6_CLIENT);
  writeFileSync(join(scratch, 'rogue-ra.py'), ROGUE_RA);
  ({ testbed, hosts } = await startHandBuiltTestbed(net));
});

after(async () => {
  await stopHandBuiltTestbed(testbed, hosts);
  rmSync(scratch, { recursive: true, force: true });
});

/** The address Neutron's API gives a port with `mac` on a SLAAC or stateless subnet. */
function eui64(cidr: string, mac: string): string {
  return formatIp({ version: 6, value: eui64Address(parseCidr(cidr, true) as Cidr, mac) });
}

/** The VM's global IPv6 addresses. */
async function globalAddresses(vm: Vm): Promise<string[]> {
  const out = await vm.exec('ip', ['-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'global']);
  return [...out.stdout.matchAll(/inet6 ([0-9a-f:]+)\//g)].map((m) => m[1]!);
}

function addV6(port: HandPort, subnetId: string, ip: string): void {
  port.state.fixedIps.push(create(FixedIpSchema, { subnetId, ipAddress: ip }));
}

/** Puts port-b back into the default group, so that a failed test does not take the next ones down with it. */
async function restoreDefaultGroup(): Promise<void> {
  net.ports.get('port-b')!.state.securityGroupIds = ['sg-default'];
  await hosts.applyDelta([['port', 'port-b'], ['neighbor', 'port-b']]);
}

let va: Vm;
let vb: Vm;
let addrA: string;
let addrB: string;
const secured = { portSecurityEnabled: true, securityGroupIds: ['sg-default'] };

test('ipv6 - SLAAC from the agent gives VMs exactly the API address; ping6 across hosts; dual stack', async (t) => {
  if (!requireE2e(t)) return;
  net.addVpc('net-a', 3001);
  net.addSubnet('sub-a4', 'net-a', '10.6.1.0/24', '10.6.1.1');
  net.addSubnet('sub-a6', 'net-a', 'fd00:61::/64', 'fd00:61::1', { mode: 'slaac' });
  // Neutron's default group, both ethertypes.
  net.addSecurityGroup('sg-default', [
    { direction: 'egress', ethertype: 'IPv4' },
    { direction: 'egress', ethertype: 'IPv6' },
    { direction: 'ingress', ethertype: 'IPv4', remoteGroupId: 'sg-default' },
    { direction: 'ingress', ethertype: 'IPv6', remoteGroupId: 'sg-default' },
  ]);
  net.addRouter('r6', [
    { subnetId: 'sub-a6', ip: 'fd00:61::1', mac: 'fa:16:3e:ee:00:01' },
  ], true);
  const pa = net.addPort('port-a', 'sub-a4', '10.6.1.10', testbed.host('h1'), secured);
  const pb = net.addPort('port-b', 'sub-a4', '10.6.1.20', testbed.host('h2'), secured);
  addrA = eui64('fd00:61::/64', pa.state.macAddress);
  addrB = eui64('fd00:61::/64', pb.state.macAddress);
  addV6(pa, 'sub-a6', addrA);
  addV6(pb, 'sub-a6', addrB);
  await hosts.applyAll();
  va = await testbed.addVm({ name: 'va', host: 'h1', portId: 'port-a', mac: pa.state.macAddress });
  vb = await testbed.addVm({ name: 'vb', host: 'h2', portId: 'port-b', mac: pb.state.macAddress });
  assert.deepEqual(await waitFor(async () => ((await globalAddresses(va)).length ? globalAddresses(va) : undefined), 30_000, 'SLAAC address of va'), [addrA]);
  assert.deepEqual(await waitFor(async () => ((await globalAddresses(vb)).length ? globalAddresses(vb) : undefined), 30_000, 'SLAAC address of vb'), [addrB]);
  const routes = (await va.exec('ip', ['-6', 'route', 'show', 'default'])).stdout;
  assert.match(routes, /via fe80::f816:3eff:feee:1 dev eth0/, 'the router (with a gateway) is the default router');
  assert.ok(await waitFor(() => va.ping(addrB), 20_000, 'ping6 va → vb'));
  assert.ok(await vb.ping(addrA));
  // Dual stack: the same ports also use IPv4.
  assert.equal((await waitFor(() => va.dhcp().catch(() => undefined), 30_000, 'DHCP lease of va')).ip, '10.6.1.10');
  assert.equal((await waitFor(() => vb.dhcp().catch(() => undefined), 30_000, 'DHCP lease of vb')).ip, '10.6.1.20');
  assert.ok(await waitFor(() => va.ping('10.6.1.20'), 20_000, 'ping va → vb over IPv4'));
  assert.ok(await va.ping(addrB), 'IPv6 still works beside IPv4');
});

test('ipv6 - an ICMPv6 rule gates ping6 while neighbor discovery keeps working', async (t) => {
  if (!requireE2e(t)) return;
  const tcp = { direction: 'ingress', ethertype: 'IPv6', protocol: 'tcp', portRangeMin: 5006, portRangeMax: 5006 };
  net.addSecurityGroup('sg-tcp', [{ direction: 'egress', ethertype: 'IPv6' }, tcp]);
  net.ports.get('port-b')!.state.securityGroupIds = ['sg-tcp'];
  await hosts.applyDelta([['securityGroup', 'sg-tcp'], ['port', 'port-b'], ['neighbor', 'port-b']]);
  const listener = vb.spawn('nc', ['-6', '-lk', '5006']);
  try {
    await va.exec('ip', ['-6', 'neigh', 'flush', 'dev', 'eth0']);
    assert.equal(await va.ping(addrB, { count: 2 }), false, 'no ICMPv6 rule: ping6 is dropped');
    const connect = async () => (await va.exec('nc', ['-6', '-z', '-w', '2', addrB, '5006'], { allowFailure: true })).code === 0;
    assert.ok(await waitFor(connect, 15_000, 'tcp 5006 allowed (needs neighbor discovery)'));
    net.addSecurityGroup('sg-tcp', [{ direction: 'egress', ethertype: 'IPv6' }, tcp, { direction: 'ingress', ethertype: 'IPv6', protocol: 'ipv6-icmp', portRangeMin: 128 }]);
    await hosts.applyDelta([['securityGroup', 'sg-tcp']]);
    assert.ok(await waitFor(() => va.ping(addrB), 15_000, 'echo request allowed by the ICMPv6 type-128 rule'));
  } finally {
    listener.kill();
    await restoreDefaultGroup();
  }
});

test('ipv6 - deleting the rule that allowed a TCP session ends it (its conntrack entry is flushed)', async (t) => {
  if (!requireE2e(t)) return;
  const base = [{ direction: 'egress', ethertype: 'IPv6' }];
  net.addSecurityGroup('sg-tcp7', [...base, { direction: 'ingress', ethertype: 'IPv6', protocol: 'tcp', portRangeMin: 5007, portRangeMax: 5007 }]);
  net.ports.get('port-b')!.state.securityGroupIds = ['sg-tcp7'];
  await hosts.applyDelta([['securityGroup', 'sg-tcp7'], ['port', 'port-b'], ['neighbor', 'port-b']]);
  const listener = vb.spawn('nc', ['-6', '-lk', '5007']);
  const received: string[] = [];
  listener.stdout!.on('data', (chunk: Buffer) => received.push(chunk.toString()));
  const listening = async () => (await va.exec('nc', ['-6', '-z', '-w', '2', addrB, '5007'], { allowFailure: true })).code === 0;
  let client: ReturnType<Vm['spawn']> | undefined;
  try {
    // The client starts only once the server accepts: started earlier, it could meet a refusal and exit.
    await waitFor(listening, 10_000, 'the server listens');
    client = va.spawn('nc', ['-6', addrB, '5007'], { stdin: true });
    client.stdin!.write('before\n');
    await waitFor(() => received.join('').includes('before'), 10_000, 'TCP session established');
    const flushedBefore = hosts.get('h2').details().ctFlushed ?? 0;
    net.addSecurityGroup('sg-tcp7', base);
    await hosts.applyDelta([['securityGroup', 'sg-tcp7']]);
    const h2 = testbed.host('h2');
    const sessionTracked = async () => {
      const { stdout } = await run('ovs-appctl', ['-t', join(h2.rundir, 'ovs-vswitchd.ctl'), 'dpctl/dump-conntrack'], { env: h2.env });
      return stdout.includes('dport=5007');
    };
    await waitFor(async () => (hosts.get('h2').details().ctFlushed ?? 0) > flushedBefore && !(await sessionTracked()), 10_000, 'the agent flushed the TCP connection');
    client.stdin!.write('after\n');
    assert.equal(await listening(), false, 'new connections are refused too');
    assert.ok(!received.join('').includes('after'), 'the established session no longer passes');
  } finally {
    client?.kill();
    listener.kill();
    await restoreDefaultGroup();
  }
  assert.ok(await waitFor(() => va.ping(addrB), 15_000, 'back in the default group'));
});

test('ipv6 - a foreign source address is dropped; a VM router advertisement does not reach its peer', async (t) => {
  if (!requireE2e(t)) return;
  await va.exec('ip', ['-6', 'addr', 'add', 'fd00:61::99/64', 'dev', 'eth0', 'nodad']);
  const spoofed = await va.exec('ping', ['-n', '-c', '2', '-W', '1', '-I', 'fd00:61::99', addrB], { allowFailure: true });
  assert.notEqual(spoofed.code, 0, 'a source address the port does not own gets nothing through');
  await va.exec('ip', ['-6', 'addr', 'del', 'fd00:61::99/64', 'dev', 'eth0']);
  assert.ok(await waitFor(() => va.ping(addrB), 10_000, 'own address still works'));
  // Unicast to the peer's link-local address (which the ND responder resolves) and to all nodes.
  const peerLinkLocal = `fe80::${addrB.split('::')[1]}`;
  await va.exec('python3', [join(scratch, 'rogue-ra.py'), peerLinkLocal]);
  await va.exec('python3', [join(scratch, 'rogue-ra.py'), 'ff02::1']);
  // The RA guard flow on va's host counted them: they reached the switch and were dropped there.
  const h1 = testbed.host('h1');
  const guarded = async () => {
    const { stdout } = await run('ovs-ofctl', ['-O', 'OpenFlow14', 'dump-flows', h1.mgmtSocket('br-int'), 'table=10,icmp6,icmp_type=134'], { env: h1.env });
    return Number(/n_packets=(\d+)/.exec(stdout)?.[1] ?? 0) >= 6;
  };
  assert.ok(await waitFor(guarded, 10_000, 'rogue RAs dropped by the RA guard'));
  const routes = (await vb.exec('ip', ['-6', 'route'])).stdout;
  assert.doesNotMatch(routes, /fd00:dead/, 'the rogue prefix is not installed');
  assert.doesNotMatch((await vb.exec('ip', ['-6', 'route', 'show', 'default'])).stdout, /fe80::(?!f816:3eff:feee:1)/, 'no rogue default router');
  assert.deepEqual(await globalAddresses(vb), [addrB]);
});

test('ipv6 - routing between IPv6 subnets decrements the hop limit, router addresses answer ping6; stateless DHCPv6 gives DNS beside SLAAC', async (t) => {
  if (!requireE2e(t)) return;
  net.addVpc('net-b', 3002);
  net.addSubnet('sub-b6', 'net-b', 'fd00:62::/64', 'fd00:62::1', { mode: 'dhcpv6-stateless', dns: ['fd00:62::53'] });
  net.addRouter('r6', [
    { subnetId: 'sub-a6', ip: 'fd00:61::1', mac: 'fa:16:3e:ee:00:01' },
    { subnetId: 'sub-b6', ip: 'fd00:62::1', mac: 'fa:16:3e:ee:00:02' },
  ], true);
  const pc = net.addPort('port-c', 'sub-b6', '', testbed.host('h2'), secured);
  pc.state.fixedIps = [create(FixedIpSchema, { subnetId: 'sub-b6', ipAddress: eui64('fd00:62::/64', pc.state.macAddress) })];
  await hosts.applyAll();
  const vc = await testbed.addVm({ name: 'vc', host: 'h2', portId: 'port-c', mac: pc.state.macAddress });
  const addrC = pc.state.fixedIps[0]!.ipAddress;
  assert.deepEqual(await waitFor(async () => ((await globalAddresses(vc)).length ? globalAddresses(vc) : undefined), 30_000, 'SLAAC address of vc'), [addrC]);
  assert.ok(await waitFor(() => va.ping(addrC), 20_000, 'ping6 across the router'));
  assert.equal(await va.pingTtl(addrC), 63, 'one routing hop decrements the hop limit once');
  assert.equal(await va.pingTtl('fd00:61::1'), 255, 'the router interface address answers ping6');
  const info = await vc.exec('python3', [join(scratch, 'dhcp6.py'), 'info']);
  assert.match(info.stdout, /dns fd00:62::53/);
  assert.match(info.stdout, /type 7/);
  assert.doesNotMatch(info.stdout, /address/);
});

test('ipv6 - a stateful DHCPv6 client gets the port fixed IP', async (t) => {
  if (!requireE2e(t)) return;
  net.addVpc('net-c', 3003);
  net.addSubnet('sub-c6', 'net-c', 'fd00:63::/64', 'fd00:63::1', { mode: 'dhcpv6-stateful', dns: ['fd00:63::53'] });
  net.addRouter('r6c', [{ subnetId: 'sub-c6', ip: 'fd00:63::1', mac: 'fa:16:3e:ee:00:03' }]);
  net.addPort('port-d', 'sub-c6', 'fd00:63::55', testbed.host('h1'), secured);
  await hosts.applyAll();
  const vd = await testbed.addVm({ name: 'vd', host: 'h1', portId: 'port-d', mac: net.ports.get('port-d')!.state.macAddress });
  // Wait for the link-local address to leave DAD, then solicit.
  const answer = await waitFor(async () => {
    const r = await vd.exec('python3', [join(scratch, 'dhcp6.py'), 'solicit'], { allowFailure: true });
    return r.code === 0 ? r.stdout : undefined;
  }, 30_000, 'DHCPv6 advertise');
  assert.match(answer, /address fd00:63::55/);
  assert.match(answer, /dns fd00:63::53/);
  assert.match(answer, /type 2/, 'SOLICIT without rapid commit → ADVERTISE');
  // The RA says "managed": no SLAAC address, and no default route (the router has no gateway).
  assert.deepEqual(await globalAddresses(vd), []);
  assert.equal((await vd.exec('ip', ['-6', 'route', 'show', 'default'])).stdout.trim(), '');
});
