/**
 * Binary OpenFlow 1.4 flow-mods from the flows the compilers produce. The compilers write ovs-ofctl
 * syntax (that text is also what cookies hash and logs show, so it stays the one description of a
 * flow); this module and flow-actions.ts encode exactly the subset they use — OXM/NXM matches,
 * OpenFlow actions and the Nicira extensions (move, load, output to a register, ct, ct_clear,
 * conjunction, controller with userdata, resubmit to a table) — the way ovs-ofctl would, so `ovs-ofctl dump-flows` shows
 * the same flows either way (tested against real OVS). Anything else throws UnsupportedFlowError.
 */
import { writeInstructions } from './flow-actions.js';
import type { FlowMod } from './flow.js';
import type { ByteWriter } from './byte-writer.js';
import {
  CT_STATE_BITS,
  fieldHeader,
  ICMP_FIELDS,
  L4_FIELDS,
  MATCH_FIELDS,
  parseNumber,
  PROTOCOLS,
  UnsupportedFlowError,
  writeField,
  writeMask,
  type NxmField,
} from './nxm-fields.js';

const OFPP_ANY = 0xffffffff;
const OFPTT_ALL = 0xff;
const OFPFC_ADD = 0;
const OFPFC_DELETE = 3;
const ETH_TYPE = MATCH_FIELDS.dl_type!;
const IP_PROTO = MATCH_FIELDS.nw_proto!;

/** Appends the body (after the OpenFlow header) of the OFPT_FLOW_MOD for one modification. */
export function writeFlowMod(w: ByteWriter, mod: FlowMod): void {
  if (mod.op === 'delete') {
    // Delete by exact cookie in every table: the cookie names the flow (flow.ts).
    flowModHead(w, mod.cookie, 0xffffffffffffffffn, OFPTT_ALL, OFPFC_DELETE, 0);
    w.u16(1); // empty OXM match
    w.u16(4);
    w.zeros(4);
  } else {
    const space = mod.text.indexOf(' actions=');
    if (space < 0) throw new UnsupportedFlowError(`no actions in ${mod.text}`);
    const match = parseMatch(mod.text.slice(0, space));
    flowModHead(w, mod.cookie, 0n, match.table, OFPFC_ADD, match.priority);
    writeMatch(w, match);
    writeInstructions(w, mod.text.slice(space + 9));
  }
}

function flowModHead(w: ByteWriter, cookie: bigint, cookieMask: bigint, table: number, command: number, priority: number): void {
  w.u64(cookie);
  w.u64(cookieMask);
  w.u8(table);
  w.u8(command);
  w.zeros(4); // idle and hard timeouts
  w.u16(priority);
  w.u32(0xffffffff); // no buffer
  w.u32(OFPP_ANY);
  w.u32(OFPP_ANY); // OFPG_ANY
  w.zeros(4); // flags, importance
}

/** A parsed `table=..,priority=..,<fields>`. */
interface ParsedMatch {
  table: number;
  priority: number;
  ethType: number | undefined;
  ipProto: number | undefined;
  /** name=value pairs other than the protocol. */
  fields: Array<[string, string]>;
}

function parseMatch(text: string): ParsedMatch {
  const m: ParsedMatch = { table: 0, priority: 0x8000, ethType: undefined, ipProto: undefined, fields: [] };
  for (const token of text.split(',')) {
    if (!token) continue;
    const eq = token.indexOf('=');
    if (eq < 0) {
      const protocol = PROTOCOLS[token];
      if (!protocol) throw new UnsupportedFlowError(`unsupported match keyword ${token}`);
      m.ethType = protocol.ethType;
      m.ipProto = protocol.ipProto ?? m.ipProto;
      continue;
    }
    const name = token.slice(0, eq);
    const value = token.slice(eq + 1);
    if (name === 'table') m.table = parseNumber(value);
    else if (name === 'priority') m.priority = parseNumber(value);
    else if (name === 'nw_proto') m.ipProto = parseNumber(value);
    else m.fields.push([name, value]);
  }
  return m;
}

/** ofp_match of type OXM, prerequisites first (eth_type, then ip_proto), padded to 8 bytes. */
function writeMatch(w: ByteWriter, m: ParsedMatch): void {
  const start = w.length;
  w.u16(1); // OFPMT_OXM
  w.u16(0);
  if (m.ethType !== undefined) {
    w.u32(fieldHeader(ETH_TYPE));
    w.u16(m.ethType);
  }
  if (m.ipProto !== undefined) {
    w.u32(fieldHeader(IP_PROTO));
    w.u8(m.ipProto);
  }
  for (const [name, value] of m.fields) {
    if (name === 'ct_state') writeCtState(w, value);
    else writeMatchField(w, matchField(name, m.ipProto), value);
  }
  w.buffer.writeUInt16BE(w.length - start, start + 2);
  w.pad8(start);
}

function writeMatchField(w: ByteWriter, field: NxmField, value: string): void {
  const slash = value.indexOf('/');
  w.u32(fieldHeader(field, slash >= 0));
  if (slash < 0) writeField(w, field, value);
  else {
    writeField(w, field, value.slice(0, slash));
    writeMask(w, field, value.slice(slash + 1));
  }
}

function matchField(name: string, ipProto: number | undefined): NxmField {
  const l4 = ipProto === undefined ? undefined : L4_FIELDS[ipProto];
  const icmp = ipProto === undefined ? undefined : ICMP_FIELDS[ipProto];
  const field =
    name === 'tp_src' ? l4?.src : name === 'tp_dst' ? l4?.dst : name === 'icmp_type' ? icmp?.type : name === 'icmp_code' ? icmp?.code : MATCH_FIELDS[name];
  if (!field) throw new UnsupportedFlowError(`unsupported match field ${name}${ipProto === undefined ? '' : ` (ip proto ${ipProto})`}`);
  return field;
}

/** `+new+trk-est` → value/mask of NXM_NX_CT_STATE. */
function writeCtState(w: ByteWriter, text: string): void {
  let value = 0;
  let mask = 0;
  for (const [, sign, flag] of text.matchAll(/([+-])([a-z]+)/g)) {
    const bit = CT_STATE_BITS[flag!];
    if (bit === undefined) throw new UnsupportedFlowError(`unsupported ct_state flag ${flag}`);
    mask |= bit;
    if (sign === '+') value |= bit;
  }
  w.u32(fieldHeader(MATCH_FIELDS.ct_state!, true));
  w.u32(value);
  w.u32(mask);
}
