import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import type { DesiredStateView } from '../../../src/agent/driver.js';
import { decodeDhcp, DhcpType, encodeDhcp, Opt, optionIp, type DhcpMessage } from '../../../src/agent/drivers/ovs/dhcp-packet.js';
import { DhcpResponder } from '../../../src/agent/drivers/ovs/dhcp-responder.js';
import { buildUdpFrame, parseUdpFrame } from '../../../src/agent/drivers/ovs/frames.js';
import type { InterfaceRow } from '../../../src/agent/drivers/ovs/interface-watcher.js';
import { DhcpStateSchema, PortStateSchema } from '../../../src/proto/alcor/v1/goal_state_pb.js';
import { DHCP_USERDATA_BYTES } from '../../../src/agent/drivers/ovs/tables.js';
import { emptyView } from './fixtures.js';

const SHARED_MAC = 'fa:16:3e:12:34:56';

/** Ports A and B of two projects on two networks, both local, sharing one MAC (Neutron allows it). */
function sharedMacView(): DesiredStateView {
  const v = emptyView();
  const ports = [
    { id: 'port-a', vpcId: 'net-a', subnetId: 'sub-a', ip: '10.0.0.10', gateway: '10.0.0.1', dns: ['10.0.0.2'] },
    { id: 'port-b', vpcId: 'net-b', subnetId: 'sub-b', ip: '10.0.0.77', gateway: '10.0.0.254', dns: ['192.0.2.99'] },
  ];
  for (const p of ports) {
    v.port.set(p.id, create(PortStateSchema, { id: p.id, vpcId: p.vpcId, macAddress: SHARED_MAC, adminStateUp: true, fixedIps: [{ subnetId: p.subnetId, ipAddress: p.ip }] }));
    v.dhcp.set(p.id, create(DhcpStateSchema, { id: p.id, subnetId: p.subnetId, macAddress: SHARED_MAC, ipAddress: p.ip, gatewayIp: p.gateway, prefixLength: 24, dnsNameservers: p.dns }));
  }
  return v;
}

function discoverFrom(inPort: number, mac = SHARED_MAC) {
  const message: DhcpMessage = {
    op: 1, xid: 42, secs: 0, flags: 0, ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0', chaddr: mac,
    options: new Map([[Opt.MESSAGE_TYPE, Buffer.from([DhcpType.DISCOVER])]]),
  };
  const packet = buildUdpFrame({ srcMac: mac, dstMac: 'ff:ff:ff:ff:ff:ff', srcIp: '0.0.0.0', dstIp: '255.255.255.255', srcPort: 68, dstPort: 67, payload: encodeDhcp(message) });
  return { inPort, tableId: 0, reason: 1, userdata: DHCP_USERDATA_BYTES, packet };
}

/** A responder over `view` whose watcher has mapped `mapped` and whose OVSDB holds `interfaces`. */
function responder(options: { mapped?: Map<number, string>; interfaces?: InterfaceRow[]; view?: DesiredStateView } = {}) {
  const sent: Array<{ ofport: number; reply: DhcpMessage }> = [];
  const warnings: string[] = [];
  let lookups = 0;
  const dhcp = new DhcpResponder({
    view: () => options.view ?? sharedMacView(),
    portAt: (ofport) => options.mapped?.get(ofport),
    bridgeInterfaces: () => {
      lookups++;
      return Promise.resolve(options.interfaces ?? []);
    },
    packetOut: (ofport, frame) => {
      sent.push({ ofport, reply: decodeDhcp(parseUdpFrame(frame)!.payload)! });
      return true;
    },
    leaseSeconds: 600,
    log: (level, message, fields) => warnings.push(`${level} ${message} ${String(fields?.reason)}`),
  });
  return { dhcp, sent, warnings, lookups: () => lookups };
}

const tap = (name: string, ofport: number | undefined, ifaceId: string | undefined): InterfaceRow => ({ name, ofport, ifaceId });

test('ovs dhcp identity - an interface the watcher has not mapped gets the lease of its own iface-id, not of another port with its MAC', async () => {
  // B is bound to the same host but its VM is not plugged; A's interface has just appeared at ofport 7.
  const { dhcp, sent, lookups } = responder({ interfaces: [tap('br-int', undefined, undefined), tap('tapa', 7, 'port-a')] });
  await dhcp.handle(discoverFrom(7));
  assert.equal(lookups(), 1, 'OVSDB is asked for the unmapped OpenFlow port');
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.ofport, 7);
  assert.equal(sent[0]!.reply.yiaddr, '10.0.0.10', 'A gets its own address');
  assert.equal(optionIp(sent[0]!.reply, Opt.ROUTER), '10.0.0.1');
  // The same holds whichever of the two ports the interface is.
  const other = responder({ interfaces: [tap('tapb', 9, 'port-b')] });
  await other.dhcp.handle(discoverFrom(9));
  assert.equal(other.sent[0]!.reply.yiaddr, '10.0.0.77');
});

test('ovs dhcp identity - a mapped interface is answered without asking OVSDB', async () => {
  const { dhcp, sent, lookups } = responder({ mapped: new Map([[7, 'port-b']]) });
  await dhcp.handle(discoverFrom(7));
  assert.equal(lookups(), 0);
  assert.equal(sent[0]!.reply.yiaddr, '10.0.0.77');
});

test('ovs dhcp identity - unknown or ambiguous interfaces get no answer, and the drop is logged rate-limited', async () => {
  const cases: Array<[string, InterfaceRow[], number, string?]> = [
    ['no interface at the ofport', [tap('tapa', 8, 'port-a')], 7],
    ['interface without iface-id', [tap('tapx', 7, undefined)], 7],
    ['two interfaces claim the iface-id', [tap('tapa', 7, 'port-a'), tap('tapa2', 8, 'port-a')], 7],
    ['two interfaces at the ofport', [tap('tapa', 7, 'port-a'), tap('tapb', 7, 'port-b')], 7],
    ['iface-id of a port not bound here', [tap('tapc', 7, 'port-c')], 7],
    ['client MAC is not the port MAC', [tap('tapa', 7, 'port-a')], 7, 'fa:16:3e:00:00:99'],
  ];
  for (const [name, interfaces, inPort, mac] of cases) {
    const { dhcp, sent, warnings } = responder({ interfaces });
    for (let i = 0; i < 3; i++) await dhcp.handle(discoverFrom(inPort, mac));
    assert.equal(sent.length, 0, `${name}: no reply`);
    assert.equal(dhcp.counters.ignored, 3, `${name}: counted`);
    assert.equal(warnings.length, 1, `${name}: logged once for three requests (${warnings.join('; ')})`);
  }
});

test('ovs dhcp identity - a failed OVSDB read drops the request instead of guessing', async () => {
  const sent: number[] = [];
  const dhcp = new DhcpResponder({
    view: () => sharedMacView(),
    portAt: () => undefined,
    bridgeInterfaces: () => Promise.reject(new Error('ovsdb-server is not running')),
    packetOut: (ofport) => sent.push(ofport) > 0,
    leaseSeconds: 600,
    log: () => undefined,
  });
  await dhcp.handle(discoverFrom(7));
  assert.deepEqual(sent, []);
  assert.equal(dhcp.counters.ignored, 1);
});
