import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ofprotoTraceFlow } from '../../../src/agent/drivers/ovs/trace-flow.js';
import type { DatapathTracePacket } from '../../../src/agent/driver.js';

const v4: DatapathTracePacket = {
  portId: 'p1',
  sourceMac: 'FA:16:3E:00:00:01',
  sourceIp: '10.0.0.5',
  destinationMac: 'fa:16:3e:00:00:02',
  destinationIp: '10.0.1.7',
  protocol: 'icmp',
  destinationPort: 0,
};
const v6: DatapathTracePacket = { ...v4, sourceIp: 'fd00::5', destinationIp: 'fd00:1::7' };

test('ofproto/trace flow - ICMP echo, TCP and UDP, IPv4 and IPv6, entering at the port', () => {
  assert.equal(ofprotoTraceFlow(7, v4), 'in_port=7,icmp,dl_src=fa:16:3e:00:00:01,dl_dst=fa:16:3e:00:00:02,nw_src=10.0.0.5,nw_dst=10.0.1.7,nw_ttl=64,icmp_type=8,icmp_code=0');
  assert.equal(ofprotoTraceFlow(7, { ...v4, protocol: 'tcp', destinationPort: 22 }), 'in_port=7,tcp,dl_src=fa:16:3e:00:00:01,dl_dst=fa:16:3e:00:00:02,nw_src=10.0.0.5,nw_dst=10.0.1.7,nw_ttl=64,tp_src=40000,tp_dst=22');
  assert.equal(ofprotoTraceFlow(3, { ...v4, protocol: 'udp', destinationPort: 53 }).split(',').slice(0, 2).join(','), 'in_port=3,udp');
  assert.equal(ofprotoTraceFlow(7, v6), 'in_port=7,icmp6,dl_src=fa:16:3e:00:00:01,dl_dst=fa:16:3e:00:00:02,ipv6_src=fd00::5,ipv6_dst=fd00:1::7,nw_ttl=64,icmpv6_type=128,icmpv6_code=0');
  assert.match(ofprotoTraceFlow(7, { ...v6, protocol: 'udp', destinationPort: 547 }), /^in_port=7,udp6,.*,tp_dst=547$/);
});

test('ofproto/trace flow - malformed fields are refused, so nothing can add match fields or options', () => {
  const bad: [number, Partial<DatapathTracePacket>][] = [
    [0, {}],
    [0xff00, {}],
    [1.5, {}],
    [7, { sourceMac: 'fa:16:3e:00:00:01,in_port=1' }],
    [7, { destinationMac: 'ff:ff:ff:ff:ff' }],
    [7, { sourceIp: '10.0.0.5,tp_dst=1' }],
    [7, { destinationIp: 'fd00::7' }],
    [7, { protocol: 'gre' as 'icmp' }],
    [7, { protocol: 'tcp', destinationPort: 0 }],
    [7, { protocol: 'udp', destinationPort: 65536 }],
  ];
  for (const [port, change] of bad) assert.throws(() => ofprotoTraceFlow(port, { ...v4, ...change }), TypeError, JSON.stringify(change));
});
