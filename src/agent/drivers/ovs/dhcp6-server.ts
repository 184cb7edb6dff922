/**
 * The agent's DHCPv6 server logic (RFC 8415), per port: stateful subnets get an IA_NA with the port's
 * fixed IPv6 address (SOLICIT → ADVERTISE, or REPLY with rapid commit; REQUEST, RENEW, REBIND → REPLY),
 * stateless ones answer INFORMATION-REQUEST with DNS servers; CONFIRM, RELEASE and DECLINE get a
 * success status. extra_dhcp_opts with ip_version 6 add options (dnsmasq names or numeric codes).
 * Pure: returns the reply message or nothing.
 */
import { canonicalIpv6, ipv6ToBytes, isIpv6 } from './ipv6.js';
import { macBytes } from './frames.js';

export const Msg = { SOLICIT: 1, ADVERTISE: 2, REQUEST: 3, CONFIRM: 4, RENEW: 5, REBIND: 6, REPLY: 7, RELEASE: 8, DECLINE: 9, INFORMATION_REQUEST: 11 } as const;
export const Opt6 = { CLIENTID: 1, SERVERID: 2, IA_NA: 3, IAADDR: 5, STATUS_CODE: 13, RAPID_COMMIT: 14, DNS_SERVERS: 23, DOMAIN_LIST: 24 } as const;

/** A DHCPv6 message: type, transaction id, options in order (a code may repeat). */
export interface Dhcp6Message {
  type: number;
  xid: number;
  options: Array<[number, Buffer]>;
}

/** What the server knows about the port. */
export interface Dhcp6Lease {
  serverMac: string;
  /** The port's address when the subnet is stateful; undefined for stateless (information only). */
  address: string | undefined;
  dnsServers: string[];
  extraOptions: Record<string, string>;
}

/** Lease lifetimes (seconds). */
const PREFERRED = 43200;
const VALID = 86400;

export function decodeDhcp6(payload: Buffer): Dhcp6Message | undefined {
  if (payload.length < 4) return undefined;
  const options: Array<[number, Buffer]> = [];
  for (let at = 4; at + 4 <= payload.length; ) {
    const code = payload.readUInt16BE(at);
    const length = payload.readUInt16BE(at + 2);
    if (at + 4 + length > payload.length) return undefined;
    options.push([code, payload.subarray(at + 4, at + 4 + length)]);
    at += 4 + length;
  }
  return { type: payload[0] ?? 0, xid: payload.readUIntBE(1, 3), options };
}

export function encodeDhcp6(m: Dhcp6Message): Buffer {
  const head = Buffer.alloc(4);
  head[0] = m.type;
  head.writeUIntBE(m.xid, 1, 3);
  return Buffer.concat([head, ...m.options.map(([code, value]) => option(code, value))]);
}

function option(code: number, value: Buffer): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(code, 0);
  b.writeUInt16BE(value.length, 2);
  return Buffer.concat([b, value]);
}

/** The server's DUID: DUID-LL (type 3, Ethernet) of its MAC. */
export function serverDuid(mac: string): Buffer {
  return Buffer.concat([Buffer.from([0, 3, 0, 1]), macBytes(mac)]);
}

function find(m: Dhcp6Message, code: number): Buffer | undefined {
  return m.options.find(([c]) => c === code)?.[1];
}

function status(code: number, text: string): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code, 0);
  return Buffer.concat([b, Buffer.from(text, 'utf8')]);
}

/** DNS wire encoding of a domain search list (RFC 1035 names, uncompressed). */
function domainList(names: string[]): Buffer {
  return Buffer.concat(
    names.map((n) => Buffer.concat([...n.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])), Buffer.from([0])])),
  );
}

/** Neutron/dnsmasq option6 names the agent understands. */
const OPTION6_NAMES: Record<string, number> = { 'dns-server': 23, 'domain-search': 24, 'sntp-server': 31, 'ntp-server': 56 };

/** Encodes one ip_version 6 extra_dhcp_opts entry; undefined when the name is not understood. */
export function extraOption6(name: string, value: string): [number, Buffer] | undefined {
  const bare = name.replace(/^(tag:[^,]+,)+/, '').replace(/^option6:/, '');
  const code = /^\d+$/.test(bare) ? Number(bare) : OPTION6_NAMES[bare];
  if (code === undefined || code <= 0 || code > 0xffff || code === 56) return undefined;
  if (code === 24) return [code, domainList(value.split(/[,\s]+/).filter(Boolean))];
  const ips = value.split(/[,\s]+/).map((v) => v.replace(/^\[|\]$/g, '')).filter(Boolean);
  if (ips.length && ips.every(isIpv6)) return [code, Buffer.concat(ips.map(ipv6ToBytes))];
  return code === 23 || code === 31 ? undefined : [code, Buffer.from(value, 'utf8')];
}

function iaNa(iaid: Buffer, address: string): Buffer {
  const times = Buffer.alloc(8);
  times.writeUInt32BE(PREFERRED / 2, 0);
  times.writeUInt32BE((PREFERRED * 4) / 5, 4);
  const lifetimes = Buffer.alloc(8);
  lifetimes.writeUInt32BE(PREFERRED, 0);
  lifetimes.writeUInt32BE(VALID, 4);
  return Buffer.concat([iaid, times, option(Opt6.IAADDR, Buffer.concat([ipv6ToBytes(address), lifetimes]))]);
}

/** The configuration options every reply carries (DNS, extra options). */
function configOptions(lease: Dhcp6Lease): Array<[number, Buffer]> {
  const out = new Map<number, Buffer>();
  const dns = lease.dnsServers.filter(isIpv6).map(canonicalIpv6);
  if (dns.length) out.set(Opt6.DNS_SERVERS, Buffer.concat(dns.map(ipv6ToBytes)));
  for (const [name, value] of Object.entries(lease.extraOptions)) {
    const o = extraOption6(name, value);
    if (o) out.set(o[0], o[1]);
  }
  return [...out];
}

/** Decides the answer to one client message; undefined when the server stays silent. */
export function answerDhcp6(request: Dhcp6Message, lease: Dhcp6Lease): Dhcp6Message | undefined {
  const clientId = find(request, Opt6.CLIENTID);
  const serverId = serverDuid(lease.serverMac);
  const askedServer = find(request, Opt6.SERVERID);
  if (askedServer && !askedServer.equals(serverId)) return undefined;
  const reply = (type: number, extra: Array<[number, Buffer]>): Dhcp6Message => ({
    type,
    xid: request.xid,
    options: [...(clientId ? ([[Opt6.CLIENTID, clientId]] as Array<[number, Buffer]>) : []), [Opt6.SERVERID, serverId], ...extra],
  });
  const ia = find(request, Opt6.IA_NA);
  const addressed = (): Array<[number, Buffer]> =>
    lease.address && ia && ia.length >= 4 ? [[Opt6.IA_NA, iaNa(ia.subarray(0, 4), lease.address)], ...configOptions(lease)] : configOptions(lease);
  switch (request.type) {
    case Msg.SOLICIT: {
      if (!clientId || !lease.address || !ia) return undefined;
      if (find(request, Opt6.RAPID_COMMIT)) return reply(Msg.REPLY, [[Opt6.RAPID_COMMIT, Buffer.alloc(0)], ...addressed()]);
      return reply(Msg.ADVERTISE, addressed());
    }
    case Msg.REQUEST:
    case Msg.RENEW:
      if (!clientId || !askedServer || !lease.address) return undefined;
      return reply(Msg.REPLY, addressed());
    case Msg.REBIND:
      if (!clientId || !lease.address) return undefined;
      return reply(Msg.REPLY, addressed());
    case Msg.CONFIRM:
    case Msg.RELEASE:
    case Msg.DECLINE:
      if (!clientId || !lease.address) return undefined;
      return reply(Msg.REPLY, [[Opt6.STATUS_CODE, status(0, 'success')]]);
    case Msg.INFORMATION_REQUEST:
      return reply(Msg.REPLY, configOptions(lease));
    default:
      return undefined;
  }
}
