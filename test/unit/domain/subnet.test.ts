import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInput } from '../../../src/domain/errors.js';
import { parseCidr, type Cidr } from '../../../src/domain/ip.js';
import { eui64Address, formatPools, subnetLayout } from '../../../src/domain/subnet.js';
import { formatIp } from '../../../src/domain/ip.js';

test('subnet - an explicit gateway inside the range splits the default pool', () => {
  const layout = subnetLayout({ network_id: 'n', cidr: '10.0.0.0/28', ip_version: 4, gateway_ip: '10.0.0.5' });
  assert.deepEqual(formatPools(4, layout.pools), [
    { start: '10.0.0.1', end: '10.0.0.4' },
    { start: '10.0.0.6', end: '10.0.0.14' },
  ]);
});

test('subnet - overlapping pools and a gateway inside a pool are rejected', () => {
  assert.throws(
    () => subnetLayout({ network_id: 'n', cidr: '10.0.0.0/24', ip_version: 4, allocation_pools: [{ start: '10.0.0.2', end: '10.0.0.20' }, { start: '10.0.0.10', end: '10.0.0.30' }] }),
    InvalidInput,
  );
  assert.throws(() => subnetLayout({ network_id: 'n', cidr: '10.0.0.0/24', ip_version: 4, gateway_ip: '10.0.0.5', allocation_pools: [{ start: '10.0.0.2', end: '10.0.0.20' }] }), InvalidInput);
});

test('subnet - EUI-64 address from a MAC (as neutron computes SLAAC addresses)', () => {
  const cidr = parseCidr('fd00:a1::/64', true) as Cidr;
  assert.equal(formatIp({ version: 6, value: eui64Address(cidr, 'fa:16:3e:4b:5b:06') }), 'fd00:a1::f816:3eff:fe4b:5b06');
});
