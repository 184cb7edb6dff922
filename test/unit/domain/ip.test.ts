import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cidrsOverlap, formatCidr, normalizeIp, parseCidr, type Cidr } from '../../../src/domain/ip.js';

test('ip - IPv6 canonical form compresses the longest zero run (RFC 5952)', () => {
  assert.equal(normalizeIp('FD00:00A1:0000:0000:0000:0000:0000:0001'), 'fd00:a1::1');
  assert.equal(normalizeIp('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(normalizeIp('::ffff:10.0.0.1'), '::ffff:a00:1');
  assert.equal(normalizeIp('::'), '::');
  assert.equal(normalizeIp('10.0.0.256'), undefined);
  assert.equal(normalizeIp('1.2.3'), undefined);
});

test('ip - CIDRs are normalised and host bits are detected', () => {
  assert.equal(parseCidr('10.0.0.1/24', true), 'host-bits');
  assert.equal(formatCidr(parseCidr('10.0.0.1/24', false) as Cidr), '10.0.0.0/24');
  assert.equal(parseCidr('10.0.0.0/33', true), 'syntax');
  assert.equal(parseCidr('10.0.0.0/-1', true), 'syntax');
  assert.equal(formatCidr(parseCidr('FD00::/64', true) as Cidr), 'fd00::/64');
  const a = parseCidr('10.0.0.0/16', true) as Cidr;
  const b = parseCidr('10.0.128.0/24', true) as Cidr;
  const c = parseCidr('10.1.0.0/24', true) as Cidr;
  assert.ok(cidrsOverlap(a, b));
  assert.ok(!cidrsOverlap(a, c));
});
