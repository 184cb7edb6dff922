import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeRule, ruleKey } from '../../../src/domain/security-group.js';
import { normalizeRoutes } from '../../../src/domain/router.js';
import { compileServerOptions } from '../../../src/config.js';

const base = { security_group_id: 'g', direction: 'ingress' };

test('security group rules - protocol names and numbers normalise to one key', () => {
  const byName = normalizeRule({ ...base, protocol: 'TCP', port_range_min: 22, port_range_max: 22 });
  const byNumber = normalizeRule({ ...base, protocol: 6, port_range_min: '22', port_range_max: '22' });
  assert.equal(byName.protocol, 'tcp');
  assert.equal(byNumber.protocol, '6');
  assert.equal(ruleKey(byName), ruleKey(byNumber));
  assert.equal(normalizeRule({ ...base, protocol: 'any' }).protocol, null);
});

test('security group rules - any-address prefixes equal no prefix; prefixes are canonical', () => {
  const any = normalizeRule({ ...base, ethertype: 'ipv6', remote_ip_prefix: '::/0' });
  assert.equal(any.ethertype, 'IPv6');
  assert.equal(ruleKey(any), ruleKey(normalizeRule({ ...base, ethertype: 'IPv6' })));
  assert.equal(normalizeRule({ ...base, remote_ip_prefix: '10.1.2.3' }).remote_ip_prefix, '10.1.2.3/32');
  assert.equal(normalizeRule({ ...base, ethertype: 'IPv6', remote_ip_prefix: '2001:DB8:0:0::1/64' }).remote_ip_prefix, '2001:db8::/64');
});

test('security group rules - ICMP type and code ride in the port range', () => {
  const rule = normalizeRule({ ...base, protocol: 'icmp', port_range_min: 8, port_range_max: 0 });
  assert.deepEqual([rule.port_range_min, rule.port_range_max], [8, 0]);
  assert.throws(() => normalizeRule({ ...base, protocol: 'icmp', port_range_max: 0 }), { name: 'SecurityGroupMissingIcmpType' });
  assert.throws(() => normalizeRule({ ...base, protocol: 'ipv6-icmp' }), { name: 'SecurityGroupEthertypeConflictWithProtocol' });
});

test('router routes - canonical, deduplicated, family-checked', () => {
  assert.deepEqual(normalizeRoutes([{ destination: '10.0.0.9/8', nexthop: '192.168.0.1' }, { destination: '10.0.0.0/8', nexthop: '192.168.0.1' }]), [
    { destination: '10.0.0.0/8', nexthop: '192.168.0.1' },
  ]);
  assert.throws(() => normalizeRoutes([{ destination: '10.0.0.0/8', nexthop: '::1' }]), { name: 'InvalidRoutes' });
  assert.throws(() => normalizeRoutes([{ destination: 'nope', nexthop: '10.0.0.1' }]), { name: 'InvalidRoutes' });
});

test('config - quota defaults and keystone settings are validated at start-up', () => {
  const config = compileServerOptions({ quotaDefaults: 'network=5, port=-1' });
  assert.equal(config.quotaDefaults.network, 5);
  assert.equal(config.quotaDefaults.port, -1);
  assert.equal(config.quotaDefaults.router, 10);
  assert.throws(() => compileServerOptions({ quotaDefaults: 'widgets=1' }), { name: 'ConfigError' });
  assert.throws(() => compileServerOptions({ quotaDefaults: 'network=-2' }), { name: 'ConfigError' });
  assert.throws(() => compileServerOptions({ auth: 'keystone', keystonePassword: 'x' }), { name: 'ConfigError' });
  assert.throws(() => compileServerOptions({ auth: 'keystone', keystoneUrl: 'http://k:5000' }), { name: 'ConfigError' });
  const ks = compileServerOptions({ auth: 'keystone', keystoneUrl: 'http://k:5000/', keystonePassword: 'x' });
  assert.equal(ks.keystone.url, 'http://k:5000');
  assert.equal(ks.keystone.cacheSeconds, 300);
});
