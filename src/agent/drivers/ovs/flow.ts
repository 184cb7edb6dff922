/**
 * Flows as the OVS driver computes them: a table, a priority, a match and actions in ovs-ofctl syntax
 * (flow-encoder.ts turns them into binary flow-mods; bundleLine() renders a modification for logs).
 * A flow's identity in OVS is (table, priority, match); its cookie is `hash(owner) << 32 | hash(flow
 * text)`, so the cookie both names the resource that owns the flow and changes whenever the flow's
 * content changes. Reconciliation therefore compares cookies only: it never has to parse OVS's
 * normalised rendering of a flow back.
 */

/** One desired flow. */
export interface FlowSpec {
  table: number;
  priority: number;
  /** ovs-ofctl match fields, comma-separated, without table/priority/cookie; '' matches everything. */
  match: string;
  /** ovs-ofctl actions. */
  actions: string;
}

/** A flow with the cookie it is installed under. */
export interface InstalledFlow {
  cookie: bigint;
  /** `table=..,priority=..,<match> actions=..` without the cookie. */
  text: string;
}

/** One change of the installed flow set. */
export type FlowMod = { op: 'add'; cookie: bigint; text: string; owner: string } | { op: 'delete'; cookie: bigint; owner: string };

/** The identity of a flow in OVS. */
export function matchKey(flow: FlowSpec): string {
  return flow.match ? `table=${flow.table},priority=${flow.priority},${flow.match}` : `table=${flow.table},priority=${flow.priority}`;
}

/** The flow without its cookie. */
export function flowText(flow: FlowSpec, key = matchKey(flow)): string {
  return `${key} actions=${flow.actions}`;
}

/** 32-bit FNV-1a of a string. */
export function fnv32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The high 32 bits of every cookie of an owner (e.g. `port/<id>`). */
export function ownerCookie(owner: string): bigint {
  return BigInt(fnv32(owner) || 1) << 32n;
}

let lastOwner = '';
let lastOwnerCookie = 0n;

/** The cookie a flow of `owner` is installed under. */
export function flowCookie(owner: string, text: string): bigint {
  // Flows are computed owner by owner: remember the last owner's half instead of re-hashing it.
  if (owner !== lastOwner) {
    lastOwner = owner;
    lastOwnerCookie = ownerCookie(owner);
  }
  return lastOwnerCookie | BigInt(fnv32(text) || 1);
}

/** Renders a cookie as ovs-ofctl writes it. */
export function hexCookie(cookie: bigint): string {
  return `0x${cookie.toString(16)}`;
}

/** One modification in ovs-ofctl add-flows file syntax (error messages; tests feed it to ovs-ofctl). */
export function bundleLine(mod: FlowMod): string {
  if (mod.op === 'delete') return `delete cookie=${hexCookie(mod.cookie)}/-1`;
  const space = mod.text.indexOf(' actions=');
  const head = mod.text.slice(0, space);
  return `add ${head},cookie=${hexCookie(mod.cookie)}${mod.text.slice(space)}`;
}

/**
 * Splits an inclusive port range into value/mask pairs OVS can match (`tp_dst=0x1000/0xf000`), the
 * standard prefix decomposition: at most 2 * 16 entries, usually a handful.
 */
export function portRangeMasks(min: number, max: number): string[] {
  if (min <= 0 && max >= 65535) return [];
  if (min === max) return [String(min)];
  const out: string[] = [];
  let start = min;
  while (start <= max) {
    let size = 1;
    while ((start & (size * 2 - 1)) === 0 && start + size * 2 - 1 <= max && size < 65536) size *= 2;
    out.push(size === 1 ? String(start) : `0x${start.toString(16)}/0x${(0xffff & ~(size - 1)).toString(16)}`);
    start += size;
  }
  return out;
}

/** A MAC address as the 48-bit hex number `load:` wants. */
export function macToHex(mac: string): string {
  return `0x${mac.replace(/:/g, '').toLowerCase()}`;
}

/** An IPv4 address as the 32-bit hex number `load:` wants. */
export function ipv4ToHex(ip: string): string {
  return `0x${ipv4ToNumber(ip).toString(16).padStart(8, '0')}`;
}

/** Dotted IPv4 to an unsigned number. */
export function ipv4ToNumber(ip: string): number {
  const parts = ip.split('.').map(Number);
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

/** True when IPv4 `ip` lies in IPv4 `cidr` (`a.b.c.d/len`). */
export function ipv4InCidr(ip: string, cidr: string): boolean {
  const [base = '', len = '32'] = cidr.split('/');
  const bits = Number(len);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((ipv4ToNumber(ip) & mask) >>> 0) === ((ipv4ToNumber(base) & mask) >>> 0);
}

/** True for a dotted-quad IPv4 address (optionally with /len). */
export function isIpv4(address: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(address);
}

/** A MAC derived from a string, locally administered, for agent-owned addresses (DHCP server). */
export function derivedMac(seed: string): string {
  const h = fnv32(seed);
  const bytes = [0xfa, 0x16, 0x3f, (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
