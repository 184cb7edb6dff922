// Test responses are arbitrary JSON.
/* eslint-disable @typescript-eslint/no-explicit-any */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { runAlcor } from '../../harness/alcor-cli.js';
import { waitFor } from '../../harness/wait-for.js';
import { withSouthbound, type TestStack } from '../southbound/harness.js';

const alcor = runAlcor;

async function create(s: TestStack, collection: string, key: string, body: Record<string, unknown>): Promise<any> {
  const res = await s.request('POST', `/v2.0/${collection}`, { [key]: body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body[key];
}

const trace = async (s: TestStack, query: Record<string, string>) => s.request('GET', `/alcor/v1/trace?${new URLSearchParams(query).toString()}`);

test('alcor trace - allow and deny through security groups, routing and delivery, over the compiled goal states', async () => {
  await withSouthbound(async (f) => {
    const s = await f.stack();
    await f.agent(s.address, 'tr-h1');
    await f.agent(s.address, 'tr-h2');
    await waitFor(async () => (await s.request('GET', '/alcor/v1/hosts')).body.hosts.filter((h: any) => h.live).length === 2, 10_000, 'two hosts live');
    const netA = await create(s, 'networks', 'network', { name: 'a' });
    const subA = await create(s, 'subnets', 'subnet', { network_id: netA.id, cidr: '10.43.0.0/24', ip_version: 4 });
    const netB = await create(s, 'networks', 'network', { name: 'b' });
    const subB = await create(s, 'subnets', 'subnet', { network_id: netB.id, cidr: '10.44.0.0/24', ip_version: 4 });
    const router = await create(s, 'routers', 'router', { name: 'r' });
    for (const subnet of [subA, subB]) assert.equal((await s.request('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: subnet.id })).status, 200);
    const closed = await create(s, 'security-groups', 'security_group', { name: 'closed' });
    const p1 = await create(s, 'ports', 'port', { network_id: netA.id, 'binding:host_id': 'tr-h1' });
    const p2 = await create(s, 'ports', 'port', { network_id: netA.id, 'binding:host_id': 'tr-h2' });
    const p3 = await create(s, 'ports', 'port', { network_id: netA.id, 'binding:host_id': 'tr-h2', security_groups: [closed.id] });
    const p4 = await create(s, 'ports', 'port', { network_id: netB.id, 'binding:host_id': 'tr-h2' });
    const unbound = await create(s, 'ports', 'port', { network_id: netA.id });
    for (const p of [p1, p2, p3, p4]) await waitFor(async () => (await s.request('GET', `/v2.0/ports/${p.id}`)).body.port.status === 'ACTIVE', 10_000, `port ${p.id} ACTIVE`);
    const ip = (p: any) => p.fixed_ips[0].ip_address as string;
    const rules = (await s.request('GET', `/v2.0/security-group-rules?security_group_id=${p1.security_groups[0]}`)).body.security_group_rules;
    const defaultEgress = rules.find((r: any) => r.direction === 'egress' && r.ethertype === 'IPv4');
    const defaultIngress = rules.find((r: any) => r.direction === 'ingress' && r.ethertype === 'IPv4');

    // Same network, default groups: egress allow-all, ingress from members of the same group.
    const same = (await trace(s, { from_port: p1.id, to: ip(p2), proto: 'icmp' })).body.trace;
    assert.equal(same.verdict, 'allow', JSON.stringify(same));
    assert.deepEqual(same.steps.map((x: any) => x.stage), ['port', 'port-security', 'egress', 'routing', 'destination', 'tunnel', 'ingress']);
    assert.equal(same.steps[2].ids.rule, defaultEgress.id);
    assert.equal(same.steps[6].ids.rule, defaultIngress.id);
    assert.equal(same.steps[4].ids.port, p2.id);
    assert.match(same.steps[5].detail, /^VXLAN VNI \d+ to host tr-h2 at 192\.0\.2\.1$/);

    // A group without ingress rules drops at the destination; a rule for tcp/22 opens exactly that.
    const denied = (await trace(s, { from_port: p1.id, to: ip(p3), proto: 'icmp' })).body.trace;
    assert.equal(denied.verdict, 'drop');
    assert.equal(denied.steps.at(-1).stage, 'ingress');
    assert.match(denied.reason, new RegExp(`no ingress rule of security group ${closed.id} of port ${p3.id} allows icmp`));
    const ssh = await create(s, 'security-group-rules', 'security_group_rule', { security_group_id: closed.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22 });
    await waitFor(async () => (await trace(s, { from_port: p1.id, to: ip(p3), proto: 'tcp', dport: '22' })).body.trace.verdict === 'allow', 10_000, 'ssh rule compiled');
    const allowed = (await trace(s, { from_port: p1.id, to: ip(p3), proto: 'tcp', dport: '22' })).body.trace;
    assert.equal(allowed.steps.at(-1).ids.rule, ssh.id);
    assert.equal((await trace(s, { from_port: p1.id, to: ip(p3), proto: 'tcp', dport: '23' })).body.trace.verdict, 'drop');
    assert.equal((await trace(s, { from_port: p1.id, to: ip(p3), proto: 'udp', dport: '22' })).body.trace.verdict, 'drop');

    // Across the router to the other network, and the router's own address.
    const routed = (await trace(s, { from_port: p1.id, to: ip(p4), proto: 'icmp' })).body.trace;
    assert.equal(routed.verdict, 'allow', JSON.stringify(routed));
    const routing = routed.steps.find((x: any) => x.stage === 'routing');
    assert.deepEqual(routing.ids, { router: router.id, subnet: subB.id });
    const gateway = (await trace(s, { from_port: p1.id, to: subA.gateway_ip, proto: 'icmp' })).body.trace;
    assert.equal(gateway.verdict, 'allow', JSON.stringify(gateway));
    assert.match(gateway.steps.at(-1).detail, /the router answers the echo request/);

    // Addresses nothing answers: inside the subnet with no port, outside every subnet.
    const nobody = (await trace(s, { from_port: p1.id, to: '10.43.0.250', proto: 'icmp' })).body.trace;
    assert.equal(nobody.verdict, 'drop');
    assert.match(nobody.reason, /no port of network .* has address 10\.43\.0\.250/);
    const outside = (await trace(s, { from_port: p1.id, to: '192.168.99.9', proto: 'icmp' })).body.trace;
    assert.equal(outside.verdict, 'drop');
    assert.match(outside.reason, /^no route to 192\.168\.99\.9: it is outside every subnet of router /);

    // Input the trace cannot run on.
    assert.equal((await trace(s, { from_port: 'no-such-port', to: ip(p2), proto: 'icmp' })).body.NeutronError.type, 'PortNotFound');
    for (const bad of <Record<string, string>[]>[
      { from_port: p1.id, to: 'nonsense', proto: 'icmp' },
      { from_port: p1.id, to: ip(p2), proto: 'tcp' },
      { from_port: p1.id, to: ip(p2), proto: 'gre' },
      { from_port: p1.id, to: ip(p2), proto: 'tcp', dport: '70000' },
      { from_port: unbound.id, to: ip(p2), proto: 'icmp' },
      { from_port: p1.id, to: 'fd00::1', proto: 'icmp' },
    ]) {
      const res = await trace(s, bad);
      assert.equal(res.status, 400, `${JSON.stringify(bad)}: ${JSON.stringify(res.body)}`);
      assert.ok(res.body.NeutronError.message.length > 0);
    }

    // Whatever the query, the answer is a trace or a 4xx NeutronError, never a 5xx.
    const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom(p1.id, unbound.id, ip(p2), '10.43.0.1', '::1', '0.0.0.0', '255.255.255.255', '10.43.0.2/24', ''));
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom('from_port', 'to', 'proto', 'dport', 'extra'), fc.oneof(text, fc.constantFrom('icmp', 'tcp', 'udp', '22', '0', '65536'))), async (query) => {
        const res = await trace(s, query);
        assert.ok(res.status === 200 || (res.status >= 400 && res.status < 500 && typeof res.body.NeutronError?.message === 'string'), `${JSON.stringify(query)} → ${res.status} ${JSON.stringify(res.body)}`);
      }),
      { numRuns: 150 },
    );

    // The CLI prints the steps and exits like ping: 0 delivered, 1 dropped, 2 cannot trace.
    const ok = await alcor(['trace', '--url', s.url, '--from-port', p1.id, '--to', ip(p2), '--proto', 'icmp']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`^ 3\\. egress\\s+allowed by rule ${defaultEgress.id} `, 'm'));
    assert.match(ok.stdout, /^verdict: ALLOW$/m);
    const drop = await alcor(['trace', '--url', s.url, '--from-port', p1.id, '--to', '192.168.99.9', '--proto', 'icmp', '--json']);
    assert.equal(drop.code, 1);
    assert.equal(JSON.parse(drop.stdout).verdict, 'drop');
    const unknown = await alcor(['trace', '--url', s.url, '--from-port', 'no-such-port', '--to', ip(p2), '--proto', 'icmp']);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, 'alcor: Port no-such-port could not be found.\n');
  });
});
