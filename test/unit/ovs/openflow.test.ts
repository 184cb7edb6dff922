import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteWriter } from '../../../src/agent/drivers/ovs/byte-writer.js';
import {
  BundleControl,
  decodePacketIn,
  encodeBundleControl,
  encodeMessage,
  encodePacketOut,
  encodeSetConfig,
  encodeSetPacketInFormat,
  NX_VENDOR_ID,
  NXT_PACKET_IN2,
  OFP14_VERSION,
  OfMessageReader,
  OfType,
  writeBundleAdd,
} from '../../../src/agent/drivers/ovs/openflow.js';

function prop(type: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(4 + payload.length, 2);
  const padded = Math.ceil((4 + payload.length) / 8) * 8;
  return Buffer.concat([head, payload, Buffer.alloc(padded - 4 - payload.length)]);
}

test('ovs openflow - the reader reassembles messages split and coalesced across chunks', () => {
  const a = encodeMessage(OfType.ECHO_REQUEST, 7, Buffer.from('hello'));
  const b = encodeSetConfig(8);
  const stream = Buffer.concat([a, b]);
  const reader = new OfMessageReader();
  const out = [...reader.push(stream.subarray(0, 3)), ...reader.push(stream.subarray(3, 15)), ...reader.push(stream.subarray(15))];
  assert.deepEqual(out.map((m) => [m.type, m.xid, m.body.length]), [[OfType.ECHO_REQUEST, 7, 5], [OfType.SET_CONFIG, 8, 4]]);
  assert.equal(out[1]!.body.readUInt16BE(2), 0xffff, 'miss_send_len');
});

test('ovs openflow - NXT_PACKET_IN2 yields in_port, table, userdata and the packet', () => {
  const oxmInPort = Buffer.from([0x80, 0x00, 0x00, 0x04, 0, 0, 0, 3]);
  const packet = Buffer.from('frame-bytes');
  const props = Buffer.concat([prop(0, packet), prop(3, Buffer.from([35])), prop(5, Buffer.from([1])), prop(6, oxmInPort), prop(7, Buffer.from([0xdc, 0xb0, 0, 1]))]);
  const nx = Buffer.alloc(8);
  nx.writeUInt32BE(NX_VENDOR_ID, 0);
  nx.writeUInt32BE(NXT_PACKET_IN2, 4);
  const reader = new OfMessageReader();
  const [message] = reader.push(encodeMessage(OfType.EXPERIMENTER, 1, Buffer.concat([nx, props])));
  const pin = decodePacketIn(message!);
  assert.ok(pin);
  assert.equal(pin.inPort, 3);
  assert.equal(pin.tableId, 35);
  assert.equal(pin.reason, 1);
  assert.deepEqual(pin.userdata, Buffer.from([0xdc, 0xb0, 0, 1]));
  assert.deepEqual(pin.packet, packet);
});

test('ovs openflow - OFPT_PACKET_IN (OF1.3) yields in_port from its OXM match and the packet', () => {
  const match = Buffer.from([0, 1, 0, 12, 0x80, 0x00, 0x00, 0x04, 0, 0, 0, 9, 0, 0, 0, 0]);
  const head = Buffer.alloc(16);
  head.writeUInt32BE(0xffffffff, 0);
  head.writeUInt8(1, 6);
  head.writeUInt8(35, 7);
  const body = Buffer.concat([head, match, Buffer.alloc(2), Buffer.from('pkt')]);
  const pin = decodePacketIn({ version: 4, type: OfType.PACKET_IN, xid: 1, body });
  assert.equal(pin?.inPort, 9);
  assert.equal(pin?.packet.toString(), 'pkt');
});

test('ovs openflow - PACKET_OUT and SET_PACKET_IN_FORMAT are framed as OVS expects', () => {
  const out = encodePacketOut(5, 3, Buffer.from('abc'));
  assert.equal(out.readUInt8(0), OFP14_VERSION);
  assert.equal(out.readUInt8(1), OfType.PACKET_OUT);
  assert.equal(out.readUInt16BE(2), out.length);
  assert.equal(out.readUInt32BE(8), 0xffffffff, 'no buffer');
  assert.equal(out.readUInt32BE(12), 0xfffffffd, 'in_port CONTROLLER');
  assert.equal(out.readUInt16BE(16), 16, 'actions length');
  assert.equal(out.readUInt32BE(28), 3, 'output port');
  assert.equal(out.subarray(40).toString(), 'abc');
  const fmt = encodeSetPacketInFormat(6);
  assert.equal(fmt.readUInt32BE(8), NX_VENDOR_ID);
  assert.equal(fmt.readUInt32BE(12), 16);
  assert.equal(fmt.readUInt32BE(16), 2);
});

test('ovs openflow - flow stats request asks for all tables; reply parts yield cookies and the more flag', async () => {
  const { encodeFlowStatsRequest, flowStatsCookies, multipartHasMore } = await import('../../../src/agent/drivers/ovs/openflow.js');
  const req = encodeFlowStatsRequest(9);
  assert.equal(req.readUInt8(1), OfType.MULTIPART_REQUEST);
  assert.equal(req.readUInt16BE(8), 1, 'OFPMP_FLOW');
  assert.equal(req.readUInt8(16), 0xff, 'all tables');
  const entry = (cookie: bigint) => {
    const e = Buffer.alloc(56);
    e.writeUInt16BE(56, 0);
    e.writeBigUInt64BE(cookie, 24);
    return e;
  };
  const head = Buffer.alloc(8);
  head.writeUInt16BE(1, 0);
  head.writeUInt16BE(1, 2);
  const part = { version: 4, type: OfType.MULTIPART_REPLY, xid: 9, body: Buffer.concat([head, entry(0x1234567800000001n), entry(0n)]) };
  const cookies = new Set<bigint>();
  flowStatsCookies(part, cookies);
  assert.deepEqual([...cookies], [0x1234567800000001n, 0n]);
  assert.equal(multipartHasMore(part), true);
});

test('ovs openflow - bundle messages: control with atomic+ordered flags, adds wrapping messages with matching xids', () => {
  const control = encodeBundleControl(9, 77, BundleControl.COMMIT);
  assert.deepEqual([control.readUInt8(0), control.readUInt8(1), control.readUInt16BE(2)], [OFP14_VERSION, OfType.BUNDLE_CONTROL, 16]);
  assert.deepEqual([control.readUInt32BE(8), control.readUInt16BE(12), control.readUInt16BE(14)], [77, BundleControl.COMMIT, 3]);
  const w = new ByteWriter(8);
  [Buffer.alloc(48, 1), Buffer.alloc(56, 2)].forEach((body, i) => writeBundleAdd(w, 100 + i, 77, OfType.FLOW_MOD, (into) => into.append(body)));
  const messages = new OfMessageReader().push(w.bytes());
  assert.deepEqual(messages.map((m) => [m.type, m.xid, m.body.length]), [[OfType.BUNDLE_ADD_MESSAGE, 100, 8 + 8 + 48], [OfType.BUNDLE_ADD_MESSAGE, 101, 8 + 8 + 56]]);
  for (const m of messages) {
    assert.equal(m.body.readUInt32BE(0), 77, 'bundle id');
    assert.equal(m.body.readUInt16BE(6), 3, 'flags');
    const inner = new OfMessageReader().push(m.body.subarray(8))[0]!;
    assert.deepEqual([inner.version, inner.type, inner.xid], [OFP14_VERSION, OfType.FLOW_MOD, m.xid]);
  }
  assert.deepEqual([...messages[1]!.body.subarray(16, 20)], [2, 2, 2, 2]);
});
