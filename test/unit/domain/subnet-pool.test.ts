import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IllegalSubnetPoolPrefixBounds } from '../../../src/domain/errors.js';
import { formatCidr, parseCidr, type Cidr } from '../../../src/domain/ip.js';
import { findFreePrefix, mergeCidrs, prefixBounds, quotaUnits, subtractCidr } from '../../../src/domain/subnet-pool.js';

const c = (text: string) => parseCidr(text, false) as Cidr;
const texts = (cidrs: Cidr[]) => cidrs.map(formatCidr);

test('subnet pool - merging drops contained prefixes and joins aligned halves, but not unaligned neighbours', () => {
  assert.deepEqual(texts(mergeCidrs([c('10.0.1.0/24'), c('10.0.0.0/24'), c('10.0.0.128/25')])), ['10.0.0.0/23']);
  assert.deepEqual(texts(mergeCidrs([c('10.0.1.0/24'), c('10.0.2.0/24')])), ['10.0.1.0/24', '10.0.2.0/24'], '10.0.1/24 + 10.0.2/24 is not a /23');
  assert.deepEqual(texts(mergeCidrs([c('10.0.0.0/26'), c('10.0.0.64/26'), c('10.0.0.128/25')])), ['10.0.0.0/24'], 'merges repeatedly');
  assert.deepEqual(texts(mergeCidrs([c('2001:db8::/33'), c('2001:db8:8000::/33')])), ['2001:db8::/32']);
});

test('subnet pool - the lowest free aligned prefix, stepping over allocations', () => {
  const pool = [c('10.0.0.0/22')];
  assert.equal(formatCidr(findFreePrefix(pool, [], 24) as Cidr), '10.0.0.0/24');
  assert.equal(formatCidr(findFreePrefix(pool, [c('10.0.0.0/26')], 24) as Cidr), '10.0.1.0/24');
  assert.equal(formatCidr(findFreePrefix(pool, [c('10.0.0.0/26')], 26) as Cidr), '10.0.0.64/26');
  assert.equal(formatCidr(findFreePrefix(pool, [c('10.0.0.0/23')], 23) as Cidr), '10.0.2.0/23');
  assert.equal(findFreePrefix(pool, [c('10.0.0.0/24'), c('10.0.2.0/24')], 23), undefined);
  assert.equal(findFreePrefix(pool, [], 21), undefined, 'larger than the pool');
  const v6 = findFreePrefix([c('2001:db8::/32')], [c('2001:db8::/64')], 64) as Cidr;
  assert.equal(formatCidr(v6), '2001:db8:0:1::/64');
});

test('subnet pool - subtracting a prefix splits the rest into the fewest CIDRs', () => {
  assert.deepEqual(texts(subtractCidr(c('10.0.0.0/22'), c('10.0.1.0/24'))), ['10.0.0.0/24', '10.0.2.0/23']);
  assert.deepEqual(texts(subtractCidr(c('10.0.0.0/24'), c('10.0.0.0/16'))), []);
  assert.deepEqual(texts(subtractCidr(c('10.0.0.0/24'), c('10.1.0.0/24'))), ['10.0.0.0/24']);
});

test('subnet pool - prefix bounds default as in Neutron and must be ordered', () => {
  assert.deepEqual(prefixBounds(4, {}), { min: 8, max: 32, default: 8 });
  assert.deepEqual(prefixBounds(6, { default: 80 }), { min: 64, max: 128, default: 80 });
  assert.deepEqual(prefixBounds(4, { min: 20 }, { min: 16, max: 28, default: 24 }), { min: 20, max: 28, default: 24 });
  assert.throws(() => prefixBounds(4, { min: 24, max: 20 }), IllegalSubnetPoolPrefixBounds);
  assert.throws(() => prefixBounds(4, { default: 4 }), IllegalSubnetPoolPrefixBounds);
  assert.throws(() => prefixBounds(4, { max: 33 }), IllegalSubnetPoolPrefixBounds);
});

test('subnet pool - quota units are addresses for IPv4 and /64 networks for IPv6', () => {
  assert.equal(quotaUnits(4, 24), 256n);
  assert.equal(quotaUnits(6, 64), 1n);
  assert.equal(quotaUnits(6, 56), 256n);
  assert.equal(quotaUnits(6, 120), 1n);
});
