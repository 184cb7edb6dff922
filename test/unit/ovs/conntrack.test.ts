import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import type { ResourceChange } from '../../../src/agent/driver.js';
import { flushArgs, flushTuple, governedPorts, groupMembership, mayRevokeConnections, parseConntrackDump, staleEntries, type CtEntry } from '../../../src/agent/drivers/ovs/conntrack.js';
import { SecurityGroupRuleSchema, SecurityGroupStateSchema } from '../../../src/proto/alcor/v1/goal_state_pb.js';
import { sampleView, type MutableView } from './fixtures.js';

const DUMP = [
  'icmp,orig=(src=10.0.1.30,dst=10.0.1.10,id=4242,type=8,code=0),reply=(src=10.0.1.10,dst=10.0.1.30,id=4242,type=0,code=0),zone=100',
  'tcp,orig=(src=192.0.2.7,dst=10.0.1.10,sport=40000,dport=22),reply=(src=10.0.1.10,dst=192.0.2.7,sport=22,dport=40000),zone=100,protoinfo=(state=ESTABLISHED)',
  'tcp,orig=(src=192.0.2.7,dst=10.0.1.10,sport=40001,dport=80),reply=(src=10.0.1.10,dst=192.0.2.7,sport=80,dport=40001),zone=100,protoinfo=(state=ESTABLISHED)',
  'udp,orig=(src=10.0.1.10,dst=10.0.1.30,sport=5353,dport=53),reply=(src=10.0.1.30,dst=10.0.1.10,sport=53,dport=5353),zone=100',
  'tcp,orig=(src=fd00::1,dst=fd00::2,sport=1,dport=2),reply=(src=fd00::2,dst=fd00::1,sport=2,dport=1),zone=100',
].join('\n');

function stale(view: MutableView, entries: CtEntry[], ofports = new Map([['p1', 1], ['p2', 2]])): CtEntry[] {
  const ports = governedPorts(view, ofports).get(100) ?? [];
  return staleEntries(entries, ports, groupMembership(view));
}

test('ovs conntrack - dump lines parse into IPv4 and IPv6 entries and exact flush tuples', () => {
  const entries = parseConntrackDump(DUMP);
  assert.equal(entries.length, 5);
  assert.equal(flushTuple(entries[4]!), 'ct_ipv6_src=fd00::1,ct_ipv6_dst=fd00::2,ct_nw_proto=6,ct_tp_src=1,ct_tp_dst=2');
  assert.deepEqual(entries[0], { zone: 100, proto: 1, src: '10.0.1.30', dst: '10.0.1.10', sport: 0, dport: 0, icmpId: 4242, icmpType: 8, icmpCode: 0 });
  assert.equal(flushTuple(entries[0]!), 'ct_nw_src=10.0.1.30,ct_nw_dst=10.0.1.10,ct_nw_proto=1,icmp_id=4242,icmp_type=8,icmp_code=0');
  assert.equal(flushTuple(entries[1]!), 'ct_nw_src=192.0.2.7,ct_nw_dst=10.0.1.10,ct_nw_proto=6,ct_tp_src=40000,ct_tp_dst=22');
});

test('ovs conntrack - only the connections no remaining rule allows are stale, and a second sweep finds none', () => {
  const view = sampleView();
  const entries = parseConntrackDump(DUMP);
  // sg-1 of p1: all egress, ingress from members of sg-1 (n3 = 10.0.1.30), ingress tcp 22 from anywhere.
  assert.deepEqual(stale(view, entries).map(flushTuple), [flushTuple(entries[2]!)], 'tcp 80 was never allowed');
  // Delete the SSH rule and the remote-group rule: SSH and the ICMP from the member go too; egress UDP stays.
  const sg = view.securityGroup.get('sg-1')!;
  view.securityGroup.set('sg-1', create(SecurityGroupStateSchema, { ...sg, rules: sg.rules.filter((r) => r.id === 'r-eg') }));
  const gone = stale(view, entries);
  assert.deepEqual(gone.map((e) => e.proto === 1 ? 'icmp' : `${e.proto}/${e.dport}`).sort(), ['6/22', '6/80', 'icmp']);
  const kept = entries.filter((e) => !gone.includes(e));
  assert.deepEqual(stale(view, kept), [], 'second sweep is empty');
});

test('ovs conntrack - a remote-group member that leaves the group loses its connections; ports without port security or with stateless groups are not governed', () => {
  const view = sampleView();
  const entries = parseConntrackDump(DUMP);
  const icmp = entries[0]!;
  assert.ok(!stale(view, [icmp]).length, 'member n3 may ping p1');
  view.neighbor.set('n3', { ...view.neighbor.get('n3')!, securityGroupIds: [] });
  assert.equal(stale(view, [icmp]).length, 1, 'n3 left sg-1');
  view.port.set('p1', { ...view.port.get('p1')!, portSecurityEnabled: false });
  assert.equal(stale(view, [icmp]).length, 0, 'port security off: nothing is governed');
  view.port.set('p1', { ...view.port.get('p1')!, portSecurityEnabled: true, securityGroupIds: ['sg-sl'] });
  view.securityGroup.set('sg-sl', create(SecurityGroupStateSchema, { id: 'sg-sl', stateful: false, rules: [create(SecurityGroupRuleSchema, { id: 'x', direction: 'egress', ethertype: 'IPv4' })] }));
  assert.equal(stale(view, [icmp]).length, 0, 'stateless groups do not use conntrack');
  assert.equal(stale(view, [icmp], new Map()).length, 0, 'an unplugged port is not governed');
});

test('ovs conntrack - only changes that can take an allowance away cost a sweep', () => {
  const view = sampleView();
  const sg = view.securityGroup.get('sg-1')!;
  const fewer = create(SecurityGroupStateSchema, { ...sg, rules: sg.rules.slice(1) });
  const more = create(SecurityGroupStateSchema, { ...sg, rules: [...sg.rules, create(SecurityGroupRuleSchema, { id: 'new', direction: 'ingress', ethertype: 'IPv4' })] });
  const n3 = view.neighbor.get('n3')!;
  const port = view.port.get('p1')!;
  const cases: Array<[string, ResourceChange, boolean]> = [
    ['rule deleted', { kind: 'securityGroup', id: 'sg-1', previous: sg, desired: fewer }, true],
    ['rule added', { kind: 'securityGroup', id: 'sg-1', previous: sg, desired: more }, false],
    ['group state unknown', { kind: 'securityGroup', id: 'sg-1', previous: undefined, desired: sg }, true],
    ['group deleted', { kind: 'securityGroup', id: 'sg-1', previous: sg, desired: undefined }, true],
    ['new local port', { kind: 'port', id: 'p9', previous: undefined, desired: port }, false],
    ['local port changed', { kind: 'port', id: 'p1', previous: port, desired: port }, true],
    ['new neighbor', { kind: 'neighbor', id: 'n9', previous: undefined, desired: n3 }, false],
    ['neighbor moved host only', { kind: 'neighbor', id: 'n3', previous: n3, desired: { ...n3, hostIp: '192.168.250.99' } }, false],
    ['neighbor left a group', { kind: 'neighbor', id: 'n3', previous: n3, desired: { ...n3, securityGroupIds: [] } }, true],
    ['neighbor deleted', { kind: 'neighbor', id: 'n3', previous: n3, desired: undefined }, true],
  ];
  for (const [name, change, expected] of cases) assert.equal(mayRevokeConnections(change), expected, name);
});

test('ovs conntrack - IPv6: an ICMPv6 echo allowed by a type-128 rule is kept, and goes stale when the rule goes', () => {
  const view = sampleView();
  view.port.get('p1')!.fixedIps.push({ $typeName: 'alcor.v1.FixedIp', subnetId: 'sub-a6', ipAddress: 'fd00:a:0:0::10' });
  const sg = view.securityGroup.get('sg-1')!;
  const echo = create(SecurityGroupRuleSchema, { id: 'r-echo6', direction: 'ingress', ethertype: 'IPv6', protocol: 'ipv6-icmp', portRangeMin: 128, remoteIpPrefix: 'fd00::/16' });
  view.securityGroup.set('sg-1', create(SecurityGroupStateSchema, { ...sg, rules: [...sg.rules, echo] }));
  const entries = parseConntrackDump([
    'icmpv6,orig=(src=fd00:b::7,dst=fd00:a::10,id=7,type=128,code=0),reply=(src=fd00:a::10,dst=fd00:b::7,id=7,type=129,code=0),zone=100',
    'icmpv6,orig=(src=2001:db8::7,dst=fd00:a::10,id=8,type=128,code=0),reply=(src=fd00:a::10,dst=2001:db8::7,id=8,type=129,code=0),zone=100',
  ].join('\n'));
  assert.equal(entries[0]!.proto, 58);
  const gone = stale(view, entries);
  assert.deepEqual(gone.map((e) => e.src), ['2001:db8::7'], 'outside the rule prefix');
  // ICMPv6 entries are judged but never flushed: flushing one makes ovs-vswitchd 3.1 exit.
  assert.equal(flushArgs(gone[0]!), undefined);
  assert.deepEqual(flushArgs(parseConntrackDump(DUMP)[4]!), ['ct_ipv6_src=fd00::1,ct_ipv6_dst=fd00::2,ct_nw_proto=6,ct_tp_src=1,ct_tp_dst=2']);
  view.securityGroup.set('sg-1', create(SecurityGroupStateSchema, { ...sg }));
  assert.equal(stale(view, entries).length, 2, 'without the rule both go');
});
