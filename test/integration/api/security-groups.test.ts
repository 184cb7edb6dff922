import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fault, startTestApi, type TestApi } from '../../harness/api-server.js';

describe('security groups', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.close());


  test('security groups - default group with Neutron default rules is created on first use and cannot be removed', async () => {
    const list = await api.request('GET', '/v2.0/security-groups', { project: 'sg-p1' });
    assert.equal(list.status, 200);
    assert.equal(list.body.security_groups.length, 1);
    const def = list.body.security_groups[0];
    assert.equal(def.name, 'default');
    assert.equal(def.project_id, 'sg-p1');
    const rules = def.security_group_rules as { direction: string; ethertype: string; remote_group_id: string | null; protocol: null }[];
    assert.equal(rules.length, 4);
    for (const ethertype of ['IPv4', 'IPv6']) {
      assert.ok(rules.some((r) => r.direction === 'egress' && r.ethertype === ethertype && r.remote_group_id === null && r.protocol === null));
      assert.ok(rules.some((r) => r.direction === 'ingress' && r.ethertype === ethertype && r.remote_group_id === def.id));
    }
    const again = await api.request('GET', '/v2.0/security-groups', { project: 'sg-p1' });
    assert.equal(again.body.security_groups.length, 1, 'only one default group');
    assert.deepEqual(fault(await api.request('DELETE', `/v2.0/security-groups/${def.id}`, { project: 'sg-p1' })), [409, 'SecurityGroupCannotRemoveDefault']);
    const rename = await api.request('PUT', `/v2.0/security-groups/${def.id}`, { project: 'sg-p1', body: { security_group: { name: 'x' } } });
    assert.deepEqual(fault(rename), [409, 'SecurityGroupCannotUpdateDefault']);
    const desc = await api.request('PUT', `/v2.0/security-groups/${def.id}`, { project: 'sg-p1', body: { security_group: { description: 'd' } } });
    assert.equal(desc.status, 200);
    assert.equal(desc.body.security_group.revision_number, 1);
    const named = await api.request('POST', '/v2.0/security-groups', { project: 'sg-p1', body: { security_group: { name: 'default' } } });
    assert.deepEqual(fault(named), [409, 'SecurityGroupDefaultAlreadyExists']);
  });

  test('security groups - create, update, rules lifecycle, visibility and delete', async () => {
    const created = await api.request('POST', '/v2.0/security-groups', { project: 'sg-p2', body: { security_group: { name: 'web', description: 'w', tags: ['t1'] } } });
    assert.equal(created.status, 201);
    const sg = created.body.security_group;
    assert.equal(sg.stateful, true);
    assert.deepEqual(sg.tags, ['t1']);
    assert.equal(sg.security_group_rules.length, 2, 'two egress rules');
    assert.ok(sg.security_group_rules.every((r: { direction: string }) => r.direction === 'egress'));
    const groups = await api.request('GET', '/v2.0/security-groups?name=web', { project: 'sg-p2' });
    assert.equal(groups.body.security_groups.length, 1);
    const all = await api.request('GET', '/v2.0/security-groups', { project: 'sg-p2' });
    assert.equal(all.body.security_groups.length, 2, 'web plus the default group created with it');

    const rule = await api.request('POST', '/v2.0/security-group-rules', {
      project: 'sg-p2',
      body: { security_group_rule: { security_group_id: sg.id, direction: 'ingress', protocol: 'TCP', port_range_min: 80, port_range_max: 443, remote_ip_prefix: '10.1.2.3/16' } },
    });
    assert.equal(rule.status, 201);
    assert.equal(rule.body.security_group_rule.protocol, 'tcp');
    assert.equal(rule.body.security_group_rule.remote_ip_prefix, '10.1.0.0/16', 'prefix normalised');
    assert.equal(rule.body.security_group_rule.ethertype, 'IPv4');
    const dup = await api.request('POST', '/v2.0/security-group-rules', {
      project: 'sg-p2',
      body: { security_group_rule: { security_group_id: sg.id, direction: 'ingress', protocol: '6', port_range_min: 80, port_range_max: 443, remote_ip_prefix: '10.1.0.0/16' } },
    });
    assert.deepEqual(fault(dup), [409, 'SecurityGroupRuleExists'], 'tcp and 6 are the same protocol');
    const anyEgress = await api.request('POST', '/v2.0/security-group-rules', {
      project: 'sg-p2',
      body: { security_group_rule: { security_group_id: sg.id, direction: 'egress', ethertype: 'IPv4', remote_ip_prefix: '0.0.0.0/0' } },
    });
    assert.deepEqual(fault(anyEgress), [409, 'SecurityGroupRuleExists'], '0.0.0.0/0 equals no prefix');
    const icmp = await api.request('POST', '/v2.0/security-group-rules', {
      project: 'sg-p2',
      body: { security_group_rule: { security_group_id: sg.id, direction: 'ingress', protocol: 'icmp', port_range_min: 8, port_range_max: 0 } },
    });
    assert.equal(icmp.status, 201);
    const shown = await api.request('GET', `/v2.0/security-groups/${sg.id}`, { project: 'sg-p2' });
    assert.equal(shown.body.security_group.security_group_rules.length, 4);
    assert.equal(shown.body.security_group.revision_number, 2, 'each rule bumps the group revision');
    const filtered = await api.request('GET', `/v2.0/security-group-rules?security_group_id=${sg.id}&direction=ingress`, { project: 'sg-p2' });
    assert.equal(filtered.body.security_group_rules.length, 2);

    assert.equal((await api.request('GET', `/v2.0/security-groups/${sg.id}`, { project: 'other' })).body.NeutronError.type, 'SecurityGroupNotFound');
    assert.deepEqual(fault(await api.request('GET', `/v2.0/security-group-rules/${rule.body.security_group_rule.id}`, { project: 'other' })), [404, 'SecurityGroupRuleNotFound']);
    const foreign = await api.request('POST', '/v2.0/security-group-rules', {
      project: 'other',
      body: { security_group_rule: { security_group_id: sg.id, direction: 'ingress' } },
    });
    assert.deepEqual(fault(foreign), [404, 'SecurityGroupNotFound']);

    assert.equal((await api.request('DELETE', `/v2.0/security-group-rules/${rule.body.security_group_rule.id}`, { project: 'sg-p2' })).status, 204);
    assert.deepEqual(fault(await api.request('DELETE', `/v2.0/security-group-rules/${rule.body.security_group_rule.id}`, { project: 'sg-p2' })), [404, 'SecurityGroupRuleNotFound']);
    const renamed = await api.request('PUT', `/v2.0/security-groups/${sg.id}`, { project: 'sg-p2', body: { security_group: { name: 'web2', stateful: false } } });
    assert.equal(renamed.body.security_group.name, 'web2');
    assert.equal(renamed.body.security_group.stateful, false);
    assert.equal((await api.request('DELETE', `/v2.0/security-groups/${sg.id}`, { project: 'sg-p2' })).status, 204);
    assert.deepEqual(fault(await api.request('DELETE', `/v2.0/security-groups/${sg.id}`, { project: 'sg-p2' })), [404, 'SecurityGroupNotFound']);
    const changes = await api.store.read((q) => q.all<{ resource_type: string; operation: string }>("SELECT resource_type, operation FROM changes WHERE resource_type LIKE 'security_group%'"));
    assert.ok(changes.some((c) => c.resource_type === 'security_group' && c.operation === 'delete'));
    assert.ok(changes.some((c) => c.resource_type === 'security_group_rule' && c.operation === 'create'));
  });

  test('security groups - remote group rules, exclusivity and cascade on group delete', async () => {
    const a = (await api.request('POST', '/v2.0/security-groups', { project: 'sg-p3', body: { security_group: { name: 'a' } } })).body.security_group;
    const b = (await api.request('POST', '/v2.0/security-groups', { project: 'sg-p3', body: { security_group: { name: 'b' } } })).body.security_group;
    const both = await api.request('POST', '/v2.0/security-group-rules', {
      project: 'sg-p3',
      body: { security_group_rule: { security_group_id: a.id, direction: 'ingress', remote_group_id: b.id, remote_ip_prefix: '10.0.0.0/8' } },
    });
    assert.deepEqual(fault(both), [400, 'SecurityGroupRemoteGroupAndRemoteIpPrefix']);
    const remote = await api.request('POST', '/v2.0/security-group-rules', {
      project: 'sg-p3',
      body: { security_group_rule: { security_group_id: a.id, direction: 'ingress', remote_group_id: b.id, protocol: 'udp', port_range_min: 53, port_range_max: 53 } },
    });
    assert.equal(remote.status, 201);
    assert.equal((await api.request('DELETE', `/v2.0/security-groups/${b.id}`, { project: 'sg-p3' })).status, 204);
    const left = await api.request('GET', `/v2.0/security-groups/${a.id}`, { project: 'sg-p3' });
    assert.equal(left.body.security_group.security_group_rules.length, 2, 'the rule referencing b went with it');
  });

  test('security groups - invalid rules answer Neutron error types', async () => {
    const sg = (await api.request('POST', '/v2.0/security-groups', { project: 'sg-p4', body: { security_group: { name: 'bad' } } })).body.security_group;
    const cases: [Record<string, unknown>, number, string][] = [
      [{ direction: 'sideways' }, 400, 'InvalidInput'],
      [{ direction: 'ingress', protocol: 'bogus' }, 400, 'SecurityGroupRuleInvalidProtocol'],
      [{ direction: 'ingress', protocol: 256 }, 400, 'SecurityGroupRuleInvalidProtocol'],
      [{ direction: 'ingress', ethertype: 'IPv5' }, 400, 'SecurityGroupRuleInvalidEtherType'],
      [{ direction: 'ingress', protocol: 'tcp', port_range_min: 90, port_range_max: 80 }, 400, 'SecurityGroupInvalidPortRange'],
      [{ direction: 'ingress', protocol: 'tcp', port_range_min: 90 }, 400, 'SecurityGroupInvalidPortRange'],
      [{ direction: 'ingress', protocol: 'tcp', port_range_min: 0, port_range_max: 10 }, 400, 'SecurityGroupInvalidPortValue'],
      [{ direction: 'ingress', protocol: 'tcp', port_range_min: 1, port_range_max: 70000 }, 400, 'SecurityGroupInvalidPortValue'],
      [{ direction: 'ingress', port_range_min: 1, port_range_max: 2 }, 400, 'SecurityGroupProtocolRequiredWithPorts'],
      [{ direction: 'ingress', protocol: 'gre', port_range_min: 1, port_range_max: 2 }, 400, 'SecurityGroupInvalidProtocolForPort'],
      [{ direction: 'ingress', protocol: 'icmp', port_range_min: 300 }, 400, 'SecurityGroupInvalidIcmpValue'],
      [{ direction: 'ingress', protocol: 'icmp', port_range_max: 3 }, 400, 'SecurityGroupMissingIcmpType'],
      [{ direction: 'ingress', protocol: 'ipv6-icmp', ethertype: 'IPv4' }, 400, 'SecurityGroupEthertypeConflictWithProtocol'],
      [{ direction: 'ingress', protocol: 'ipv6-frag', ethertype: 'IPv4' }, 400, 'SecurityGroupEthertypeConflictWithProtocol'],
      [{ direction: 'ingress', remote_ip_prefix: '2001:db8::/32' }, 400, 'SecurityGroupRuleParameterConflict'],
      [{ direction: 'ingress', remote_ip_prefix: '10.0.0.0/33' }, 400, 'InvalidInput'],
      [{ direction: 'ingress', remote_group_id: '7d0a54a2-6f62-4d0b-9fd3-2f7f1b8c0c11' }, 404, 'SecurityGroupNotFound'],
      [{ direction: 'ingress', unknown: 1 }, 400, 'HTTPBadRequest'],
    ];
    for (const [extra, status, type] of cases) {
      const r = await api.request('POST', '/v2.0/security-group-rules', { project: 'sg-p4', body: { security_group_rule: { security_group_id: sg.id, ...extra } } });
      assert.deepEqual(fault(r), [status, type], JSON.stringify(extra));
    }
    const missing = await api.request('POST', '/v2.0/security-group-rules', {
      project: 'sg-p4',
      body: { security_group_rule: { security_group_id: '7d0a54a2-6f62-4d0b-9fd3-2f7f1b8c0c11', direction: 'ingress' } },
    });
    assert.deepEqual(fault(missing), [404, 'SecurityGroupNotFound']);
    assert.deepEqual(fault(await api.request('POST', '/v2.0/security-group-rules', { project: 'sg-p4', body: { security_group_rule: { security_group_id: 'nope', direction: 'ingress' } } })), [400, 'HTTPBadRequest']);
    assert.deepEqual(fault(await api.request('PUT', `/v2.0/security-group-rules/${sg.security_group_rules[0].id}`, { project: 'sg-p4', body: {} })), [405, 'HTTPMethodNotAllowed']);
    assert.deepEqual(fault(await api.request('POST', '/v2.0/security-groups', { project: 'sg-p4', body: { security_group: { name: 5 } } })), [400, 'HTTPBadRequest']);
    assert.deepEqual(fault(await api.request('GET', '/v2.0/security-groups?bogus=1', { project: 'sg-p4' })), [400, 'HTTPBadRequest']);
    const bulk = await api.request('POST', '/v2.0/security-group-rules', {
      project: 'sg-p4',
      body: { security_group_rules: [{ security_group_id: sg.id, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22 }, { security_group_id: sg.id, direction: 'ingress', protocol: 'bogus' }] },
    });
    assert.deepEqual(fault(bulk), [400, 'SecurityGroupRuleInvalidProtocol']);
    const after = await api.request('GET', `/v2.0/security-group-rules?security_group_id=${sg.id}`, { project: 'sg-p4' });
    assert.equal(after.body.security_group_rules.length, 2, 'a failed bulk create leaves nothing behind');
    const twice = { security_group_id: sg.id, direction: 'ingress', protocol: 'udp', port_range_min: 53, port_range_max: 53 };
    assert.deepEqual(fault(await api.request('POST', '/v2.0/security-group-rules', { project: 'sg-p4', body: { security_group_rules: [twice, twice] } })), [409, 'DuplicateSecurityGroupRuleInPost']);
    const legacy = await api.request('POST', '/v2.0/security-group-rules', { project: 'sg-p4', body: { security_group_rule: { security_group_id: sg.id, direction: 'ingress', ethertype: 'IPv6', protocol: 'icmp' } } });
    assert.equal(legacy.body.security_group_rule.protocol, 'ipv6-icmp', 'legacy ICMP names with IPv6 mean ICMPv6');
  });

  test('security groups - ports get the default group, a used group answers 409 SecurityGroupInUse', async () => {
    const net = (await api.request('POST', '/v2.0/networks', { project: 'sg-p5', body: { network: { name: 'sgn' } } })).body.network;
    await api.request('POST', '/v2.0/subnets', { project: 'sg-p5', body: { subnet: { network_id: net.id, cidr: '10.77.0.0/24', ip_version: 4 } } });
    const plain = (await api.request('POST', '/v2.0/ports', { project: 'sg-p5', body: { port: { network_id: net.id } } })).body.port;
    const def = (await api.request('GET', '/v2.0/security-groups?name=default', { project: 'sg-p5' })).body.security_groups[0];
    assert.deepEqual(plain.security_groups, [def.id]);
    const sg = (await api.request('POST', '/v2.0/security-groups', { project: 'sg-p5', body: { security_group: { name: 'used' } } })).body.security_group;
    const port = (await api.request('POST', '/v2.0/ports', { project: 'sg-p5', body: { port: { network_id: net.id, security_groups: [sg.id] } } })).body.port;
    assert.deepEqual(port.security_groups, [sg.id]);
    assert.deepEqual(fault(await api.request('DELETE', `/v2.0/security-groups/${sg.id}`, { project: 'sg-p5' })), [409, 'SecurityGroupInUse']);
    const foreign = (await api.request('POST', '/v2.0/security-groups', { project: 'sg-p6', body: { security_group: { name: 'theirs' } } })).body.security_group;
    const invisible = await api.request('PUT', `/v2.0/ports/${port.id}`, { project: 'sg-p5', body: { port: { security_groups: [foreign.id] } } });
    assert.deepEqual(fault(invisible), [404, 'SecurityGroupNotFound']);
    assert.equal((await api.request('PUT', `/v2.0/ports/${port.id}`, { project: 'sg-p5', body: { port: { security_groups: [] } } })).status, 200);
    assert.equal((await api.request('DELETE', `/v2.0/security-groups/${sg.id}`, { project: 'sg-p5' })).status, 204);
    const aliased = await api.request('GET', '/project/sg-p5/security-groups');
    assert.equal(aliased.status, 200);
    assert.deepEqual(aliased.body.security_groups.map((g: { name: string }) => g.name), ['default'], 'Alcor project-scoped alias');
  });
});
