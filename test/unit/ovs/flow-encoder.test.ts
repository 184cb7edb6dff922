import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteWriter } from '../../../src/agent/drivers/ovs/byte-writer.js';
import { writeFlowMod } from '../../../src/agent/drivers/ovs/flow-encoder.js';
import { FlowEngine } from '../../../src/agent/drivers/ovs/flow-engine.js';
import type { FlowMod } from '../../../src/agent/drivers/ovs/flow.js';
import { UnsupportedFlowError } from '../../../src/agent/drivers/ovs/nxm-fields.js';
import { richInputs } from './fixtures.js';

function encodeFlowMod(mod: FlowMod): Buffer {
  const w = new ByteWriter(16);
  writeFlowMod(w, mod);
  return w.bytes();
}

/** Walks a flow-mod body and checks every length field adds up; returns what it found. */
function walk(body: Buffer): { table: number; priority: number; oxmFields: number[]; instructions: number[]; actions: number[] } {
  assert.ok(body.length >= 48, 'fixed part and match header');
  const matchLength = body.readUInt16BE(42);
  assert.equal(body.readUInt16BE(40), 1, 'OXM match');
  const oxmFields: number[] = [];
  for (let at = 44; at < 40 + matchLength; ) {
    const header = body.readUInt32BE(at);
    oxmFields.push(header >>> 9);
    at += 4 + (header & 0xff);
    assert.ok(at <= 40 + matchLength, 'OXM entry inside the match');
  }
  let at = 40 + Math.ceil(matchLength / 8) * 8;
  const instructions: number[] = [];
  const actions: number[] = [];
  while (at < body.length) {
    const type = body.readUInt16BE(at);
    const length = body.readUInt16BE(at + 2);
    assert.ok(length >= 8 && length % 8 === 0, `instruction length ${length}`);
    instructions.push(type);
    if (type === 4) {
      for (let a = at + 8; a < at + length; ) {
        const actionLength = body.readUInt16BE(a + 2);
        assert.ok(actionLength >= 8 && actionLength % 8 === 0, `action length ${actionLength}`);
        actions.push(body.readUInt16BE(a) === 0xffff ? 0x10000 + body.readUInt16BE(a + 8) : body.readUInt16BE(a));
        a += actionLength;
        assert.ok(a <= at + length, 'action inside its instruction');
      }
    }
    at += length;
  }
  assert.equal(at, body.length, 'instructions fill the message');
  return { table: body.readUInt8(16), priority: body.readUInt16BE(22), oxmFields, instructions, actions };
}

test('ovs flow encoder - every flow the compilers produce for a rich desired state encodes, with consistent lengths', () => {
  const engine = new FlowEngine();
  const mods = engine.recompute(richInputs());
  const texts = mods.map((m) => (m.op === 'add' ? m.text : ''));
  // The fixture must exercise every construct the compilers can emit.
  for (const construct of ['ct_state=+new+trk', 'conj_id=', 'conjunction(', 'tp_dst=0x', 'ipv6_src=2001:db8::/32', 'icmp_type=8', 'icmp6', 'nw_proto=47', 'sctp', 'controller(userdata=', 'dec_ttl', 'output:NXM_NX_REG7[0..15]', 'move:', 'load:', 'set_field:', 'ct_clear', 'ct(commit', 'ct(table=', 'in_port', 'arp_sha=', 'nw_dst=10.0.2.0/24', 'nw_src=0.0.0.0', 'resubmit(,46)', 'reg4=0x0a000228', 'push_vlan:0x8100', 'pop_vlan', 'vlan_vid=0x1078', 'vlan_vid=0 ', 'nat(src=203.0.113.5)', 'nat(dst=', 'nat(src=203.0.113.20)', ',nat)', 'reg3=', 'resubmit(,50)']) {
    assert.ok(texts.some((t) => t.includes(construct)), `fixture produces ${construct}`);
  }
  assert.ok(mods.length > 100, `${mods.length} flows`);
  for (const mod of mods) {
    let found;
    try {
      found = walk(encodeFlowMod(mod));
    } catch (err) {
      assert.fail(`${mod.op === 'add' ? mod.text : 'delete'}: ${String(err)}`);
    }
    const text = mod.op === 'add' ? mod.text : '';
    assert.equal(found.table, Number(/table=(\d+)/.exec(text)![1]));
    assert.equal(found.priority, Number(/priority=(\d+)/.exec(text)![1]));
    assert.equal(found.instructions.includes(1), text.includes('goto_table:'), text);
    assert.equal(found.instructions.length === 0, text.endsWith('actions=drop'), text);
  }
});

test('ovs flow encoder - matches put prerequisites first and actions are encoded as ovs-ofctl does', () => {
  const body = encodeFlowMod({ op: 'add', cookie: 0x1234n, owner: 'x', text: 'table=61,priority=60,ct_state=+new+trk,reg7=3,tcp,tp_dst=0x1000/0xf000 actions=conjunction(7,1/2)' });
  assert.equal(body.readBigUInt64BE(0), 0x1234n);
  const found = walk(body);
  // eth_type, ip_proto, then ct_state (NXM_NX 105), reg7, tcp_dst.
  assert.deepEqual(found.oxmFields, [(0x8000 << 7) | 5, (0x8000 << 7) | 10, (1 << 7) | 105, (1 << 7) | 7, (0x8000 << 7) | 14]);
  assert.deepEqual(found.actions, [0x10000 + 34]);
  const conj = body.subarray(body.length - 16);
  assert.deepEqual([conj.readUInt8(10), conj.readUInt8(11), conj.readUInt32BE(12)], [0, 2, 7], 'clause k-1, n clauses, id');

  const del = encodeFlowMod({ op: 'delete', cookie: 0xabcdn, owner: 'x' });
  assert.equal(del.length, 48);
  assert.equal(del.readBigUInt64BE(0), 0xabcdn);
  assert.equal(del.readBigUInt64BE(8), 0xffffffffffffffffn, 'exact cookie');
  assert.deepEqual([del.readUInt8(16), del.readUInt8(17)], [0xff, 3], 'all tables, OFPFC_DELETE');

  const routed = walk(encodeFlowMod({ op: 'add', cookie: 1n, owner: 'x', text: 'table=40,priority=124,reg6=100,ip,nw_dst=10.0.2.0/24 actions=dec_ttl,set_field:fa:16:3e:bb:00:01->eth_src,load:200->NXM_NX_REG6[],goto_table:45' }));
  assert.deepEqual(routed.instructions, [4, 1]);
  assert.deepEqual(routed.actions, [24, 25, 0x10000 + 7]);
});

test('ovs flow encoder - syntax outside the supported subset is refused, never guessed', () => {
  const bad = (text: string) => () => encodeFlowMod({ op: 'add', cookie: 1n, owner: 'x', text } satisfies FlowMod);
  assert.throws(bad('table=0,priority=1,vlan_tci=0x1000 actions=drop'), UnsupportedFlowError);
  assert.throws(bad('table=0,priority=1,mpls actions=drop'), UnsupportedFlowError);
  assert.throws(bad('table=0,priority=1 actions=mod_vlan_vid:5'), UnsupportedFlowError);
  assert.throws(bad('table=0,priority=1,tp_dst=80 actions=drop'), /tp_dst/, 'tp_dst without a protocol');
  assert.throws(bad('table=0,priority=1,nw_dst=10.0.0.256 actions=drop'), /bad IPv4/);
  assert.throws(bad('table=0,priority=1 actions=load:0x1ffff->NXM_NX_REG6[0..15]'), /does not fit/);
  assert.throws(bad('table=0,priority=1 actions=goto_table:5,drop'), /after goto_table/);
  assert.throws(bad('table=0,priority=1 actions=ct(commit,nat(src=10.0.0.1-10.0.0.9))'), /ct option/);
});
