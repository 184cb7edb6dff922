/**
 * The instructions of a binary flow-mod from an ovs-ofctl action list (flow-encoder.ts explains why
 * text): apply-actions with OpenFlow and Nicira actions, then goto-table. Only the actions the
 * compilers emit are known; anything else throws UnsupportedFlowError.
 */
import type { ByteWriter } from './byte-writer.js';
import { fieldHeader, MATCH_FIELDS, NXM_FIELDS, parseNumber, UnsupportedFlowError, writeField } from './nxm-fields.js';
import { NX_VENDOR_ID, OFPP_IN_PORT } from './openflow.js';

const OFPAT_OUTPUT = 0;
const OFPAT_PUSH_VLAN = 17;
const OFPAT_POP_VLAN = 18;
const OFPAT_DEC_NW_TTL = 24;
const OFPAT_SET_FIELD = 25;
const OFPIT_GOTO_TABLE = 1;
const OFPIT_APPLY_ACTIONS = 4;
const NXAST_REG_MOVE = 6;
const NXAST_REG_LOAD = 7;
const NXAST_RESUBMIT_TABLE = 14;
/** nx_action_resubmit names ports the OpenFlow 1.0 way: 16-bit, OFPP_IN_PORT = 0xfff8. */
const OFPP10_IN_PORT = 0xfff8;
const NXAST_OUTPUT_REG = 15;
const NXAST_CONJUNCTION = 34;
const NXAST_CT = 35;
const NXAST_CONTROLLER2 = 37;
const NXAST_CT_CLEAR = 43;
const NXAST_NAT = 36;
const NX_NAT_F_SRC = 1;
const NX_NAT_F_DST = 2;
const NX_NAT_RANGE_IPV4_MIN = 1;
const NXAC2PT_MAX_LEN = 0;
const NXAC2PT_USERDATA = 3;
const NX_CT_F_COMMIT = 1;
const NX_CT_RECIRC_NONE = 0xff;

/** Splits an action list at top-level commas. */
function splitActions(text: string): string[] {
  if (!text.includes('(')) return text.split(',');
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41) depth--;
    else if (c === 44 && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/** Apply-actions then goto-table instructions; `drop` is no instruction at all. */
export function writeInstructions(w: ByteWriter, text: string): void {
  let gotoTable: number | undefined;
  let apply = -1;
  for (const action of splitActions(text)) {
    if (gotoTable !== undefined) throw new UnsupportedFlowError(`action after goto_table in ${text}`);
    if (action.startsWith('goto_table:')) gotoTable = parseNumber(action.slice(11));
    else if (action !== 'drop') {
      if (apply < 0) {
        apply = w.length;
        w.u16(OFPIT_APPLY_ACTIONS);
        w.zeros(6);
      }
      writeAction(w, action);
    }
  }
  if (apply >= 0) w.buffer.writeUInt16BE(w.length - apply, apply + 2);
  if (gotoTable !== undefined) {
    w.u16(OFPIT_GOTO_TABLE);
    w.u16(8);
    w.u8(gotoTable);
    w.zeros(3);
  }
}

function writeAction(w: ByteWriter, action: string): void {
  const colon = action.indexOf(':');
  const paren = action.indexOf('(');
  const byColon = colon >= 0 && (paren < 0 || colon < paren);
  const name = byColon ? action.slice(0, colon) : paren >= 0 ? action.slice(0, paren) : action;
  const arg = byColon ? action.slice(colon + 1) : paren >= 0 ? action.slice(paren + 1, -1) : '';
  switch (name) {
    case 'in_port':
      return output(w, OFPP_IN_PORT);
    case 'output':
      return arg.includes('[') ? outputReg(w, arg) : output(w, parseNumber(arg));
    case 'dec_ttl':
      w.u16(OFPAT_DEC_NW_TTL);
      w.u16(8);
      w.zeros(4);
      return;
    case 'push_vlan':
      w.u16(OFPAT_PUSH_VLAN);
      w.u16(8);
      w.u16(parseNumber(arg));
      w.zeros(2);
      return;
    case 'pop_vlan':
      w.u16(OFPAT_POP_VLAN);
      w.u16(8);
      w.zeros(4);
      return;
    case 'set_field':
      return setField(w, arg);
    case 'load':
      return regLoad(w, arg);
    case 'move':
      return regMove(w, arg);
    case 'ct':
      return conntrack(w, arg);
    case 'ct_clear':
      nicira(w, NXAST_CT_CLEAR, () => w.zeros(6));
      return;
    case 'conjunction':
      return conjunction(w, arg);
    case 'controller':
      return controller(w, arg);
    case 'resubmit':
      return resubmit(w, arg);
    default:
      throw new UnsupportedFlowError(`unsupported action ${action}`);
  }
}

function output(w: ByteWriter, port: number): void {
  w.u16(OFPAT_OUTPUT);
  w.u16(16);
  w.u32(port);
  w.zeros(8); // max_len 0, pad
}

/** `resubmit(,T)`: look the packet up in table T (from its current in_port) and come back. */
function resubmit(w: ByteWriter, arg: string): void {
  const m = /^,(\d+)$/.exec(arg);
  if (!m) throw new UnsupportedFlowError(`unsupported resubmit(${arg})`);
  nicira(w, NXAST_RESUBMIT_TABLE, () => {
    w.u16(OFPP10_IN_PORT);
    w.u8(Number(m[1]));
    w.zeros(3);
  });
}

/** A Nicira action: experimenter header and subtype, the payload, padded to 8 bytes. */
function nicira(w: ByteWriter, subtype: number, payload: () => void): void {
  const start = w.length;
  w.u16(0xffff);
  w.u16(0);
  w.u32(NX_VENDOR_ID);
  w.u16(subtype);
  payload();
  w.pad8(start);
  w.buffer.writeUInt16BE(w.length - start, start + 2);
}

/** `NXM_NX_REG6[0..15]`, `NXM_NX_REG6[3]` or `NXM_NX_REG6[]`. */
function subfield(text: string): { header: number; ofs: number; nBits: number } {
  const m = /^([A-Z0-9_]+)\[(?:(\d+)(?:\.\.(\d+))?)?\]$/.exec(text);
  const field = m ? NXM_FIELDS[m[1]!] : undefined;
  if (!m || !field) throw new UnsupportedFlowError(`unsupported field reference ${text}`);
  const ofs = m[2] === undefined ? 0 : Number(m[2]);
  const end = m[2] === undefined ? field.bytes * 8 - 1 : Number(m[3] ?? m[2]);
  if (end < ofs || end >= field.bytes * 8) throw new UnsupportedFlowError(`bad bit range ${text}`);
  return { header: fieldHeader(field), ofs, nBits: end - ofs + 1 };
}

function ofsNbits(ofs: number, nBits: number): number {
  return (ofs << 6) | (nBits - 1);
}

function outputReg(w: ByteWriter, arg: string): void {
  const src = subfield(arg);
  nicira(w, NXAST_OUTPUT_REG, () => {
    w.u16(ofsNbits(src.ofs, src.nBits));
    w.u32(src.header);
    w.u16(0xffff); // max_len
  });
}

function splitArrow(arg: string): [string, string] {
  const arrow = arg.indexOf('->');
  if (arrow < 0) throw new UnsupportedFlowError(`expected a->b in ${arg}`);
  return [arg.slice(0, arrow), arg.slice(arrow + 2)];
}

function regLoad(w: ByteWriter, arg: string): void {
  const [value, dst] = splitArrow(arg);
  const to = subfield(dst);
  const v = parseNumber(value);
  if (v >= 2 ** to.nBits) throw new UnsupportedFlowError(`load value ${value} does not fit ${dst}`);
  nicira(w, NXAST_REG_LOAD, () => {
    w.u16(ofsNbits(to.ofs, to.nBits));
    w.u32(to.header);
    w.u64(BigInt(v));
  });
}

function regMove(w: ByteWriter, arg: string): void {
  const [srcText, dstText] = splitArrow(arg);
  const src = subfield(srcText);
  const dst = subfield(dstText);
  if (src.nBits !== dst.nBits) throw new UnsupportedFlowError(`move of unequal widths ${arg}`);
  nicira(w, NXAST_REG_MOVE, () => {
    w.u16(src.nBits);
    w.u16(src.ofs);
    w.u16(dst.ofs);
    w.u32(src.header);
    w.u32(dst.header);
  });
}

function setField(w: ByteWriter, arg: string): void {
  const [value, name] = splitArrow(arg);
  const field = MATCH_FIELDS[name];
  if (!field) throw new UnsupportedFlowError(`unsupported set_field target ${name}`);
  const start = w.length;
  w.u16(OFPAT_SET_FIELD);
  w.u16(0);
  w.u32(fieldHeader(field));
  writeField(w, field, value);
  w.pad8(start);
  w.buffer.writeUInt16BE(w.length - start, start + 2);
}

/**
 * `ct(commit,zone=NXM_NX_REG6[0..15],table=21)`, optionally with one nested `nat` (un-NAT a tracked
 * connection) or `nat(src=IP)` / `nat(dst=IP)` action.
 */
function conntrack(w: ByteWriter, arg: string): void {
  let flags = 0;
  let zoneSrc = 0;
  let zone = 0;
  let table = NX_CT_RECIRC_NONE;
  let nat: { flags: number; ip?: string } | undefined;
  for (const option of splitActions(arg)) {
    if (option === 'commit') flags |= NX_CT_F_COMMIT;
    else if (option.startsWith('table=')) table = parseNumber(option.slice(6));
    else if (option.startsWith('zone=') && option.includes('[')) {
      const src = subfield(option.slice(5));
      zoneSrc = src.header;
      zone = ofsNbits(src.ofs, src.nBits);
    } else if (option.startsWith('zone=')) zone = parseNumber(option.slice(5));
    else if (option === 'nat') nat = { flags: 0 };
    else if (/^nat\((src|dst)=[\d.]+\)$/.test(option)) nat = { flags: option.startsWith('nat(src') ? NX_NAT_F_SRC : NX_NAT_F_DST, ip: option.slice(8, -1) };
    else throw new UnsupportedFlowError(`unsupported ct option ${option}`);
  }
  nicira(w, NXAST_CT, () => {
    w.u16(flags);
    w.u32(zoneSrc);
    w.u16(zone);
    w.u8(table);
    w.zeros(5); // pad, alg
    if (nat) {
      const natAction = nat;
      nicira(w, NXAST_NAT, () => {
        w.zeros(2);
        w.u16(natAction.flags);
        w.u16(natAction.ip ? NX_NAT_RANGE_IPV4_MIN : 0);
        if (natAction.ip) writeField(w, MATCH_FIELDS.nw_src!, natAction.ip);
      });
    }
  });
}

/** `conjunction(id,k/n)`. */
function conjunction(w: ByteWriter, arg: string): void {
  const m = /^(\d+),(\d+)\/(\d+)$/.exec(arg);
  if (!m) throw new UnsupportedFlowError(`bad conjunction ${arg}`);
  nicira(w, NXAST_CONJUNCTION, () => {
    w.u8(Number(m[2]) - 1);
    w.u8(Number(m[3]));
    w.u32(Number(m[1]));
  });
}

/** `controller(userdata=aa.bb,max_len=N)` as NXAST_CONTROLLER2 with properties. */
function controller(w: ByteWriter, arg: string): void {
  let maxLen = 0xffff;
  let userdata: Buffer | undefined;
  for (const option of arg.split(',')) {
    if (option.startsWith('max_len=')) maxLen = parseNumber(option.slice(8));
    else if (option.startsWith('userdata=')) userdata = Buffer.from(option.slice(9).replace(/\./g, ''), 'hex');
    else throw new UnsupportedFlowError(`unsupported controller option ${option}`);
  }
  nicira(w, NXAST_CONTROLLER2, () => {
    w.zeros(6);
    if (maxLen !== 0xffff) {
      w.u16(NXAC2PT_MAX_LEN);
      w.u16(6);
      w.u16(maxLen);
      w.zeros(2);
    }
    if (userdata) {
      const start = w.length;
      w.u16(NXAC2PT_USERDATA);
      w.u16(4 + userdata.length);
      w.append(userdata);
      w.pad8(start);
    }
  });
}
