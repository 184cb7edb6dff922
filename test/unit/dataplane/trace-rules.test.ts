import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { parseIp } from '../../../src/domain/ip.js';
import { SecurityGroupRuleSchema, SecurityGroupStateSchema, type SecurityGroupRule } from '../../../src/proto/alcor/v1/goal_state_pb.js';
import { matchRule, type TracePacket } from '../../../src/dataplane/trace-rules.js';

const ip = (text: string) => parseIp(text)!;
const packet = (proto: TracePacket['proto'], dport?: number, to = '10.0.0.9'): TracePacket => ({ proto, dport, source: ip('10.0.0.5'), destination: ip(to) });
const rule = (fields: { direction?: string; ethertype?: string; protocol?: string; portRangeMin?: number; portRangeMax?: number; remoteIpPrefix?: string; remoteGroupId?: string }) => create(SecurityGroupRuleSchema, { id: 'r', direction: 'egress', ethertype: 'IPv4', ...fields });
const allows = (r: SecurityGroupRule, p: TracePacket, options: { stateful?: boolean; remoteGroups?: string[] } = {}) =>
  matchRule([create(SecurityGroupStateSchema, { id: 'g', rules: [r], stateful: options.stateful ?? true })], p, { direction: 'egress', remoteGroups: new Set(options.remoteGroups ?? []) }) !== undefined;

test('trace rules - protocols, port ranges and ICMP type/code mean what the agent flows make of them', () => {
  assert.ok(allows(rule({}), packet('udp', 53)), 'no protocol: any IP packet');
  assert.ok(allows(rule({ protocol: 'any' }), packet('icmp')));
  assert.ok(allows(rule({ protocol: '6', portRangeMin: 20, portRangeMax: 25 }), packet('tcp', 22)));
  assert.ok(!allows(rule({ protocol: 'tcp', portRangeMin: 20, portRangeMax: 25 }), packet('tcp', 26)));
  assert.ok(!allows(rule({ protocol: 'tcp' }), packet('udp', 22)));
  assert.ok(allows(rule({ protocol: 'tcp' }), packet('tcp', 65535)), 'no range: every port');
  assert.ok(allows(rule({ protocol: 'udp', portRangeMin: 53 }), packet('udp', 53)), 'a minimum alone is one port');
  assert.ok(allows(rule({ protocol: 'icmp', portRangeMin: 8 }), packet('icmp')), 'type 8: echo request');
  assert.ok(!allows(rule({ protocol: 'icmp', portRangeMin: 3 }), packet('icmp')), 'type 3 is not an echo request');
  assert.ok(!allows(rule({ protocol: 'icmp', portRangeMin: 8, portRangeMax: 1 }), packet('icmp')), 'code 1 is not code 0');
  assert.ok(!allows(rule({ ethertype: 'IPv6' }), packet('icmp')), 'an IPv6 rule does not match IPv4');
  assert.ok(!allows(rule({ direction: 'ingress' }), packet('icmp')), 'wrong direction');
});

test('trace rules - remote prefixes and remote groups', () => {
  assert.ok(allows(rule({ remoteIpPrefix: '10.0.0.0/28' }), packet('icmp')));
  assert.ok(!allows(rule({ remoteIpPrefix: '10.0.1.0/24' }), packet('icmp')));
  assert.ok(allows(rule({ remoteGroupId: 'web' }), packet('icmp'), { remoteGroups: ['web'] }));
  assert.ok(!allows(rule({ remoteGroupId: 'web' }), packet('icmp'), { remoteGroups: ['db'] }));
  assert.ok(!allows(rule({ remoteGroupId: 'web' }), packet('icmp'), { remoteGroups: ['web'], stateful: false }), 'stateless groups: remote-group rules allow nothing');
});
