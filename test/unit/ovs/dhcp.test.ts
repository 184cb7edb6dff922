import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { decodeClasslessRoutes, decodeDhcp, DhcpType, encodeDhcp, messageType, Opt, optionIp, type DhcpMessage } from '../../../src/agent/drivers/ovs/dhcp-packet.js';
import { answerDhcp, buildDhcpReplyFrame, extraOption, parseDhcpRequest } from '../../../src/agent/drivers/ovs/dhcp-server.js';
import { buildUdpFrame, internetChecksum, parseUdpFrame } from '../../../src/agent/drivers/ovs/frames.js';
import { DhcpStateSchema } from '../../../src/proto/alcor/v1/goal_state_pb.js';

const server = { ip: '10.0.1.1', mac: 'fa:16:3f:00:00:01' };
const state = create(DhcpStateSchema, {
  id: 'p1', subnetId: 's1', macAddress: 'fa:16:3e:00:00:01', ipAddress: '10.0.1.10', gatewayIp: '10.0.1.1', prefixLength: 24, mtu: 1450,
  dnsNameservers: ['8.8.8.8', '1.1.1.1'], hostRoutes: [{ destination: '172.16.0.0/12', nexthop: '10.0.1.254' }],
  extraOptions: { 'ntp-server': '10.0.0.123', '252': 'http://wpad/' },
});

function clientFrame(type: number, extra: Array<[number, Buffer]> = [], ciaddr = '0.0.0.0'): Buffer {
  const options = new Map<number, Buffer>([[Opt.MESSAGE_TYPE, Buffer.from([type])], ...extra]);
  const message: DhcpMessage = { op: 1, xid: 0x1234abcd, secs: 0, flags: 0, ciaddr, yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0', chaddr: state.macAddress, options };
  return buildUdpFrame({ srcMac: state.macAddress, dstMac: 'ff:ff:ff:ff:ff:ff', srcIp: ciaddr, dstIp: '255.255.255.255', srcPort: 68, dstPort: 67, payload: encodeDhcp(message) });
}

function answer(frame: Buffer): DhcpMessage | undefined {
  const request = parseDhcpRequest(frame);
  assert.ok(request);
  return answerDhcp(request.message, state, server, { leaseSeconds: 600 });
}

test('ovs dhcp - DISCOVER gets an OFFER with address, mask, router, MTU, DNS and classless routes', () => {
  const offer = answer(clientFrame(DhcpType.DISCOVER));
  assert.ok(offer);
  assert.equal(messageType(offer), DhcpType.OFFER);
  assert.equal(offer.yiaddr, '10.0.1.10');
  assert.equal(offer.xid, 0x1234abcd);
  assert.equal(optionIp(offer, Opt.SUBNET_MASK), '255.255.255.0');
  assert.equal(optionIp(offer, Opt.ROUTER), '10.0.1.1');
  assert.equal(optionIp(offer, Opt.SERVER_ID), '10.0.1.1');
  assert.equal(optionIp(offer, Opt.BROADCAST), '10.0.1.255');
  assert.equal(offer.options.get(Opt.MTU)!.readUInt16BE(0), 1450);
  assert.equal(offer.options.get(Opt.LEASE_TIME)!.readUInt32BE(0), 600);
  assert.equal(offer.options.get(Opt.RENEWAL_TIME)!.readUInt32BE(0), 300);
  assert.equal(offer.options.get(Opt.DNS)!.length, 8);
  assert.deepEqual(decodeClasslessRoutes(offer.options.get(Opt.CLASSLESS_ROUTES)!), [
    { destination: '172.16.0.0/12', nexthop: '10.0.1.254' },
    { destination: '0.0.0.0/0', nexthop: '10.0.1.1' },
  ]);
  assert.equal(optionIp(offer, 42), '10.0.0.123');
  assert.equal(offer.options.get(252)!.toString(), 'http://wpad/');
});

test('ovs dhcp - REQUEST for the offered address is ACKed, for another address NAKed, for another server ignored', () => {
  const ip = (s: string) => Buffer.from(s.split('.').map(Number));
  const ack = answer(clientFrame(DhcpType.REQUEST, [[Opt.REQUESTED_IP, ip('10.0.1.10')], [Opt.SERVER_ID, ip('10.0.1.1')]]));
  assert.equal(messageType(ack!), DhcpType.ACK);
  assert.equal(ack!.yiaddr, '10.0.1.10');
  const nak = answer(clientFrame(DhcpType.REQUEST, [[Opt.REQUESTED_IP, ip('10.0.1.99')]]));
  assert.equal(messageType(nak!), DhcpType.NAK);
  assert.equal(nak!.yiaddr, '0.0.0.0');
  assert.equal(answer(clientFrame(DhcpType.REQUEST, [[Opt.REQUESTED_IP, ip('10.0.1.10')], [Opt.SERVER_ID, ip('10.9.9.9')]])), undefined);
  assert.equal(answer(clientFrame(DhcpType.RELEASE)), undefined);
});

test('ovs dhcp - a renewal (ciaddr set, no server id) is ACKed and unicast to the client', () => {
  const ack = answer(clientFrame(DhcpType.REQUEST, [], '10.0.1.10'));
  assert.equal(messageType(ack!), DhcpType.ACK);
  const frame = buildDhcpReplyFrame(ack!, server);
  const udp = parseUdpFrame(frame)!;
  assert.equal(udp.dstIp, '10.0.1.10');
  assert.equal(udp.dstMac, state.macAddress);
  assert.equal(udp.srcMac, server.mac);
  assert.equal(udp.srcPort, 67);
});

test('ovs dhcp - reply frames carry valid IPv4 and UDP checksums and decode back', () => {
  const offer = answer(clientFrame(DhcpType.DISCOVER))!;
  const frame = buildDhcpReplyFrame(offer, server);
  assert.equal(internetChecksum(frame.subarray(14, 34)), 0, 'IPv4 header checksum');
  const udpPart = frame.subarray(34);
  const pseudo = Buffer.concat([frame.subarray(26, 34), Buffer.from([0, 17, udpPart.length >> 8, udpPart.length & 0xff])]);
  assert.equal(internetChecksum(Buffer.concat([pseudo, udpPart])), 0, 'UDP checksum');
  const decoded = decodeDhcp(parseUdpFrame(frame)!.payload)!;
  assert.equal(decoded.yiaddr, '10.0.1.10');
  assert.equal(messageType(decoded), DhcpType.OFFER);
});

test('ovs dhcp - extra_dhcp_opts names, numbers and dnsmasq tags are encoded', () => {
  assert.deepEqual(extraOption('tag:foo,dns-server', '1.2.3.4,5.6.7.8'), [6, Buffer.from([1, 2, 3, 4, 5, 6, 7, 8])]);
  assert.deepEqual(extraOption('interface-mtu', '9000'), [26, Buffer.from([0x23, 0x28])]);
  assert.deepEqual(extraOption('bootfile-name', 'pxelinux.0'), [67, Buffer.from('pxelinux.0')]);
  assert.equal(extraOption('no-such-option', 'x'), undefined);
});
