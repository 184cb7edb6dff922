/**
 * The agent's DHCPv4 server logic: answers a VM's DISCOVER, REQUEST (selecting, init-reboot, renewing
 * and rebinding — renewals without a server id are answered, unlike Alcor's agent), and INFORM from the
 * port's DhcpState; NAKs a request for any other address. Pure: returns the reply frame or nothing.
 */
import type { DhcpState } from '../../../proto/alcor/v1/goal_state_pb.js';
import { decodeDhcp, DhcpType, encodeClasslessRoutes, encodeDhcp, messageType, Opt, optionIp, prefixToMask, type DhcpMessage } from './dhcp-packet.js';
import { buildUdpFrame, ipBytes, parseUdpFrame } from './frames.js';
import { ipv4ToNumber, isIpv4 } from './flow.js';

/** Who the server is in a subnet. */
export interface DhcpServerIdentity {
  ip: string;
  mac: string;
}

/** Server settings. */
export interface DhcpServerOptions {
  /** Lease time handed out, seconds. @default 86400 */
  leaseSeconds: number;
  /** Routes added to the subnet's host routes (option 121), e.g. the isolated-metadata route. */
  extraRoutes?: ReadonlyArray<{ destination: string; nexthop: string }>;
}

/** Option codes that hold lists of IPv4 addresses, for extra_dhcp_opts values. */
const IP_LIST_OPTIONS = new Set([3, 4, 5, 6, 7, 9, 41, 42, 44, 45, 48, 49, 65, 69, 70, 71, 72, 73, 74, 75, 76, 150]);
/** Neutron/dnsmasq extra_dhcp_opts names the agent understands. */
const OPTION_NAMES: Record<string, number> = {
  netmask: 1, router: 3, 'dns-server': 6, 'log-server': 7, hostname: 12, 'host-name': 12, 'domain-name': 15,
  'root-path': 17, mtu: 26, 'interface-mtu': 26, 'ntp-server': 42, 'netbios-ns': 44, 'lease-time': 51,
  'tftp-server': 66, 'bootfile-name': 67, 'tftp-server-address': 150, 'server-ip-address': 150,
};

/** Encodes one extra_dhcp_opts entry; undefined when the name is not understood. */
export function extraOption(name: string, value: string): [number, Buffer] | undefined {
  const bare = name.replace(/^(tag:[^,]+,)+/, '').replace(/^option:/, '');
  const code = /^\d+$/.test(bare) ? Number(bare) : OPTION_NAMES[bare];
  if (code === undefined || code <= 0 || code >= 255) return undefined;
  if (IP_LIST_OPTIONS.has(code)) {
    const ips = value.split(/[,\s]+/).filter(isIpv4);
    return ips.length ? [code, Buffer.concat(ips.map(ipBytes))] : undefined;
  }
  if (code === 26) return [code, Buffer.from([(Number(value) >> 8) & 0xff, Number(value) & 0xff])];
  if (code === 51) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(Number(value) >>> 0, 0);
    return [code, b];
  }
  return [code, Buffer.from(value, 'utf8')];
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

/** The options of an OFFER/ACK for the port. */
function leaseOptions(state: DhcpState, server: DhcpServerIdentity, type: number, options: DhcpServerOptions): Map<number, Buffer> {
  const o = new Map<number, Buffer>();
  o.set(Opt.MESSAGE_TYPE, Buffer.from([type]));
  o.set(Opt.SERVER_ID, ipBytes(server.ip));
  if (type !== DhcpType.NAK) {
    const lease = options.leaseSeconds;
    o.set(Opt.LEASE_TIME, u32(lease));
    o.set(Opt.RENEWAL_TIME, u32(Math.floor(lease / 2)));
    o.set(Opt.REBINDING_TIME, u32(Math.floor((lease * 7) / 8)));
    o.set(Opt.SUBNET_MASK, ipBytes(prefixToMask(state.prefixLength)));
    const mask = ipv4ToNumber(prefixToMask(state.prefixLength));
    const broadcast = ((ipv4ToNumber(state.ipAddress) & mask) | (~mask >>> 0)) >>> 0;
    o.set(Opt.BROADCAST, u32(broadcast));
    if (isIpv4(state.gatewayIp)) o.set(Opt.ROUTER, ipBytes(state.gatewayIp));
    const dns = state.dnsNameservers.filter(isIpv4);
    if (dns.length) o.set(Opt.DNS, Buffer.concat(dns.map(ipBytes)));
    if (state.mtu) o.set(Opt.MTU, Buffer.from([(state.mtu >> 8) & 0xff, state.mtu & 0xff]));
    const routes = [...state.hostRoutes, ...(options.extraRoutes ?? [])].filter((r) => isIpv4(r.nexthop) && isIpv4(r.destination));
    if (routes.length) {
      // RFC 3442: a client that gets option 121 ignores option 3, so the default route goes in too.
      const all = isIpv4(state.gatewayIp) && !routes.some((r) => r.destination === '0.0.0.0/0')
        ? [...routes, { destination: '0.0.0.0/0', nexthop: state.gatewayIp }]
        : routes;
      o.set(Opt.CLASSLESS_ROUTES, encodeClasslessRoutes(all));
    }
    for (const [name, value] of Object.entries(state.extraOptions)) {
      const option = extraOption(name, value);
      if (option) o.set(option[0], option[1]);
    }
  }
  o.delete(Opt.END);
  return o;
}

/** Decides the answer to one request; undefined when the server stays silent. */
export function answerDhcp(request: DhcpMessage, state: DhcpState, server: DhcpServerIdentity, options: DhcpServerOptions): DhcpMessage | undefined {
  if (request.op !== 1) return undefined;
  const type = messageType(request);
  const base = { op: 2 as const, xid: request.xid, secs: 0, flags: request.flags, ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: server.ip, giaddr: request.giaddr, chaddr: request.chaddr };
  switch (type) {
    case DhcpType.DISCOVER:
      return { ...base, yiaddr: state.ipAddress, options: leaseOptions(state, server, DhcpType.OFFER, options) };
    case DhcpType.REQUEST: {
      const serverId = optionIp(request, Opt.SERVER_ID);
      if (serverId && serverId !== server.ip) return undefined; // The client picked another server's offer.
      const requested = optionIp(request, Opt.REQUESTED_IP) ?? (request.ciaddr !== '0.0.0.0' ? request.ciaddr : undefined);
      if (requested !== state.ipAddress) return { ...base, siaddr: '0.0.0.0', options: leaseOptions(state, server, DhcpType.NAK, options) };
      return { ...base, ciaddr: request.ciaddr, yiaddr: state.ipAddress, options: leaseOptions(state, server, DhcpType.ACK, options) };
    }
    case DhcpType.INFORM: {
      const o = leaseOptions(state, server, DhcpType.ACK, options);
      for (const code of [Opt.LEASE_TIME, Opt.RENEWAL_TIME, Opt.REBINDING_TIME]) o.delete(code);
      return { ...base, ciaddr: request.ciaddr, options: o };
    }
    default:
      return undefined;
  }
}

/** Parses a frame from a VM as a DHCP request: the client's MAC and the message. */
export function parseDhcpRequest(frame: Buffer): { srcMac: string; message: DhcpMessage } | undefined {
  const udp = parseUdpFrame(frame);
  if (!udp || udp.dstPort !== 67 || udp.srcPort !== 68) return undefined;
  const message = decodeDhcp(udp.payload);
  return message ? { srcMac: udp.srcMac, message } : undefined;
}

/** Builds the Ethernet frame carrying a reply to a client. */
export function buildDhcpReplyFrame(reply: DhcpMessage, server: DhcpServerIdentity): Buffer {
  const nak = messageType(reply) === DhcpType.NAK;
  const broadcastFlag = (reply.flags & 0x8000) !== 0;
  let dstIp = reply.yiaddr;
  if (reply.ciaddr !== '0.0.0.0' && !nak) dstIp = reply.ciaddr;
  else if (nak || broadcastFlag || reply.yiaddr === '0.0.0.0') dstIp = '255.255.255.255';
  return buildUdpFrame({ srcMac: server.mac, dstMac: reply.chaddr, srcIp: server.ip, dstIp, srcPort: 67, dstPort: 68, payload: encodeDhcp(reply) });
}
