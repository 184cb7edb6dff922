import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredStateView } from '../../../src/agent/driver.js';
import { answerDhcp6, decodeDhcp6, encodeDhcp6, extraOption6, Msg, Opt6, serverDuid, type Dhcp6Message } from '../../../src/agent/drivers/ovs/dhcp6-server.js';
import { FlowEngine } from '../../../src/agent/drivers/ovs/flow-engine.js';
import { internetChecksum } from '../../../src/agent/drivers/ovs/frames.js';
import {
  buildIpv6Frame,
  buildNeighborAdvertisement,
  buildRouterAdvertisement,
  ICMP6,
  NA_ROUTER,
  parseIpv6Frame,
  parseNeighborSolicitation,
} from '../../../src/agent/drivers/ovs/icmp6-packets.js';
import { routerAdvertisementFor } from '../../../src/agent/drivers/ovs/ipv6-responder.js';
import { canonicalIpv6, ipv6InCidr, ipv6ToBytes, linkLocal } from '../../../src/agent/drivers/ovs/ipv6.js';
import { richInputs, richView } from './fixtures.js';

/** True when the upper-layer checksum of an IPv6 frame verifies. */
function checksumOk(frame: Buffer): boolean {
  const p = parseIpv6Frame(frame)!;
  const pseudo = Buffer.alloc(40);
  ipv6ToBytes(p.src).copy(pseudo, 0);
  ipv6ToBytes(p.dst).copy(pseudo, 16);
  pseudo.writeUInt32BE(p.payload.length, 32);
  pseudo[39] = p.nextHeader;
  return internetChecksum(Buffer.concat([pseudo, p.payload])) === 0;
}

function solicitation(src: string, target: string): Buffer {
  const ns = Buffer.alloc(32);
  ns[0] = 135;
  ipv6ToBytes(target).copy(ns, 8);
  ns[24] = 1;
  ns[25] = 1;
  Buffer.from([0xfa, 0x16, 0x3e, 0, 0, 1]).copy(ns, 26);
  return buildIpv6Frame({ srcMac: 'fa:16:3e:00:00:01', dstMac: '33:33:ff:00:00:03', src, dst: 'ff02::1:ff00:3', nextHeader: ICMP6, hopLimit: 255, payload: ns });
}

test('ovs ipv6 - address helpers: canonical text, EUI-64 link-local, prefix membership', () => {
  assert.equal(canonicalIpv6('FD00:0A:0:0:0:0:0:1'), 'fd00:a::1');
  assert.equal(canonicalIpv6('2001:db8:0:1:0:0:0:0'), '2001:db8:0:1::');
  assert.equal(canonicalIpv6('1:0:0:2:0:0:0:3'), '1:0:0:2::3', 'the longest zero run is compressed');
  assert.equal(linkLocal('fa:16:3e:12:34:56'), 'fe80::f816:3eff:fe12:3456');
  assert.ok(ipv6InCidr('fd00:a::5', 'fd00:a::/64'));
  assert.ok(!ipv6InCidr('fd00:b::5', 'fd00:a::/64'));
});

test('ovs ipv6 - a neighbor solicitation gets a solicited, overriding advertisement with the target MAC and a valid checksum', () => {
  const ns = parseNeighborSolicitation(solicitation('fd00:a::f816:3eff:fe00:1', 'fd00:a::f816:3eff:fe00:3'));
  assert.ok(ns);
  assert.equal(ns.target, 'fd00:a::f816:3eff:fe00:3');
  const frame = buildNeighborAdvertisement(ns, 'fa:16:3e:00:00:03', 0);
  const na = parseIpv6Frame(frame)!;
  assert.equal(na.dstMac, 'fa:16:3e:00:00:01');
  assert.equal(na.srcMac, 'fa:16:3e:00:00:03');
  assert.equal(na.src, 'fd00:a::f816:3eff:fe00:3');
  assert.equal(na.dst, 'fd00:a::f816:3eff:fe00:1');
  assert.equal(na.hopLimit, 255);
  assert.equal(na.payload[0], 136);
  assert.equal(na.payload[4], 0x60, 'solicited + override, not router');
  assert.deepEqual([...na.payload.subarray(24, 32)], [2, 1, 0xfa, 0x16, 0x3e, 0, 0, 3]);
  assert.ok(checksumOk(frame));
  assert.equal(parseIpv6Frame(buildNeighborAdvertisement(ns, 'fa:16:3e:aa:00:01', NA_ROUTER))!.payload[4], 0xe0);
});

test('ovs ipv6 - router advertisements: A flag for SLAAC, M and O for stateful, lifetime 0 without gateway, MTU, RDNSS', () => {
  const view = richView();
  const slaac = routerAdvertisementFor(view as DesiredStateView, 'p1')!;
  assert.deepEqual(slaac.prefixes, [{ cidr: 'fd00:a::/64', autonomous: true }]);
  assert.equal(slaac.routerMac, 'fa:16:3e:aa:00:01');
  assert.equal(slaac.routerLifetime, 0, 'no external gateway: not a default router');
  assert.equal(slaac.mtu, 1450);
  assert.equal(routerAdvertisementFor(view as DesiredStateView, 'p2')!.managed, true);
  view.router.get('r1')!.hasGateway = true;
  view.subnet.get('sub-a6')!.dnsNameservers = ['fd00:a::53', '10.0.0.53'];
  const ra = routerAdvertisementFor(view as DesiredStateView, 'p1')!;
  assert.equal(ra.routerLifetime, 1800);
  const frame = buildRouterAdvertisement(ra, linkLocal(ra.routerMac), 'ff02::1', '33:33:00:00:00:01');
  assert.ok(checksumOk(frame));
  const p = parseIpv6Frame(frame)!.payload;
  assert.equal(p[0], 134);
  assert.equal(p[5], 0, 'SLAAC: neither M nor O');
  assert.equal(p.readUInt16BE(6), 1800);
  // Options after the 16-byte header: source link-layer (8), MTU (8), prefix (32), RDNSS (24).
  assert.deepEqual([p[16], p[24], p[32], p[64]], [1, 5, 3, 25]);
  assert.equal(p.readUInt32BE(28), 1450);
  assert.equal(p[35], 0xc0, 'on-link and autonomous');
  assert.equal(canonicalIpv6(p.subarray(72, 88).toString('hex').replace(/(.{4})(?!$)/g, '$1:')), 'fd00:a::53');
  view.subnet.get('sub-a6')!.ipv6RaMode = '';
  assert.equal(routerAdvertisementFor(view as DesiredStateView, 'p1'), undefined, 'no RA mode: the agent sends no RA');
});

const serverMac = 'fa:16:3f:00:00:09';
const clientId = Buffer.from('0003000102000000000a', 'hex');
const lease = { serverMac, address: 'fd00:b::40', dnsServers: ['fd00:b::53'], extraOptions: { 'option6:domain-search': 'example.org' } };
function request(type: number, options: Array<[number, Buffer]>): Dhcp6Message {
  return decodeDhcp6(encodeDhcp6({ type, xid: 0xabcdef, options }))!;
}

test('ovs dhcpv6 - stateful: SOLICIT → ADVERTISE (or REPLY with rapid commit) with the fixed IP; REQUEST for another server is ignored', () => {
  const ia: [number, Buffer] = [Opt6.IA_NA, Buffer.alloc(12, 0)];
  const advertise = answerDhcp6(request(Msg.SOLICIT, [[Opt6.CLIENTID, clientId], ia]), lease)!;
  assert.equal(advertise.type, Msg.ADVERTISE);
  assert.equal(advertise.xid, 0xabcdef);
  const opts = new Map(advertise.options);
  assert.deepEqual(opts.get(Opt6.CLIENTID), clientId);
  assert.deepEqual(opts.get(Opt6.SERVERID), serverDuid(serverMac));
  const iaNa = opts.get(Opt6.IA_NA)!;
  assert.equal(iaNa.readUInt16BE(12), Opt6.IAADDR);
  assert.equal(canonicalIpv6(iaNa.subarray(16, 32).toString('hex').replace(/(.{4})(?!$)/g, '$1:')), 'fd00:b::40');
  assert.deepEqual(opts.get(Opt6.DNS_SERVERS), ipv6ToBytes('fd00:b::53'));
  assert.deepEqual(opts.get(Opt6.DOMAIN_LIST), Buffer.from('076578616d706c65036f726700', 'hex'));
  const rapid = answerDhcp6(request(Msg.SOLICIT, [[Opt6.CLIENTID, clientId], ia, [Opt6.RAPID_COMMIT, Buffer.alloc(0)]]), lease)!;
  assert.equal(rapid.type, Msg.REPLY);
  const reply = answerDhcp6(request(Msg.REQUEST, [[Opt6.CLIENTID, clientId], [Opt6.SERVERID, serverDuid(serverMac)], ia]), lease)!;
  assert.equal(reply.type, Msg.REPLY);
  assert.equal(answerDhcp6(request(Msg.REQUEST, [[Opt6.CLIENTID, clientId], [Opt6.SERVERID, serverDuid('fa:16:3f:00:00:01')], ia]), lease), undefined);
});

test('ovs dhcpv6 - stateless: INFORMATION-REQUEST gets DNS, SOLICIT gets nothing; extra options by name or code', () => {
  const stateless = { ...lease, address: undefined };
  assert.equal(answerDhcp6(request(Msg.SOLICIT, [[Opt6.CLIENTID, clientId], [Opt6.IA_NA, Buffer.alloc(12)]]), stateless), undefined);
  const info = answerDhcp6(request(Msg.INFORMATION_REQUEST, [[Opt6.CLIENTID, clientId]]), stateless)!;
  assert.equal(info.type, Msg.REPLY);
  assert.equal(new Map(info.options).get(Opt6.IA_NA), undefined);
  assert.deepEqual(new Map(info.options).get(Opt6.DNS_SERVERS), ipv6ToBytes('fd00:b::53'));
  assert.deepEqual(extraOption6('dns-server', '[fd00::1],[fd00::2]'), [23, Buffer.concat([ipv6ToBytes('fd00::1'), ipv6ToBytes('fd00::2')])]);
  assert.equal(extraOption6('dns-server', 'not-an-address'), undefined);
  assert.deepEqual(extraOption6('tag:x,59', 'http://boot/'), [59, Buffer.from('http://boot/')]);
});

test('ovs ipv6 - flows: anti-spoofing with RA guard, ND responder entries, router link-local with the router flag, v6 routing', () => {
  const engine = new FlowEngine();
  engine.recompute(richInputs());
  const texts = [...engine.desired().values()].map((f) => f.text);
  const has = (part: string) => assert.ok(texts.some((t) => t.includes(part)), part);
  has('priority=120,in_port=1,icmp6,icmp_type=134 actions=drop');
  has('priority=110,in_port=1,icmp6,icmp_type=136 actions=drop');
  has('priority=115,in_port=1,dl_src=fa:16:3e:00:00:01,icmp6,icmp_type=136,nd_target=fd00:a::f816:3eff:fe00:1 actions=goto_table:20');
  has('priority=100,in_port=1,dl_src=fa:16:3e:00:00:01,ipv6,ipv6_src=fe80::f816:3eff:fe00:1 actions=goto_table:20');
  has('priority=100,in_port=1,dl_src=fa:16:3e:00:00:01,ipv6,ipv6_src=fd00:a:0:0:1::/80 actions=goto_table:20');
  has('icmp6,icmp_type=135,nd_target=fd00:b::40 actions=controller(userdata=dc.b0.00.02.fa.16.3e.00.00.04.00');
  has('icmp6,icmp_type=135,nd_target=fe80::f816:3eff:feaa:1 actions=controller(userdata=dc.b0.00.02.fa.16.3e.aa.00.01.80');
  has('dl_dst=fa:16:3e:aa:00:01,ipv6,ipv6_dst=fd00:b::/64 actions=dec_ttl,set_field:fa:16:3e:bb:00:01->eth_src,load:200->NXM_NX_REG6[]');
  has('reg6=200,ipv6,ipv6_dst=fd00:b::40 actions=set_field:fa:16:3e:00:00:04->eth_dst');
  has('reg6=100,icmp6,icmp_type=128,icmp_code=0,ipv6_dst=fd00:a::1 actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:fa:16:3e:aa:00:01->eth_src');
  assert.ok(!texts.some((t) => t.includes('in_port=2') && t.includes('icmp_type=134')), 'no RA guard without port security');
});
