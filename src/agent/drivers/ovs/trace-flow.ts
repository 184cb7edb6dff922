/**
 * The flow `ovs-appctl ofproto/trace` takes for one packet of `alcor trace --on-host`: the packet as it
 * enters the integration bridge from a VM port (IPv4 or IPv6; an ICMP echo request, or the first
 * segment of a TCP/UDP exchange from an ephemeral port). Every field is checked, so nothing a request
 * carries can add match fields or options to the tool's argument.
 */
import { isIP } from 'node:net';
import type { DatapathTracePacket } from '../../driver.js';

/** Source port of traced TCP and UDP packets (an ephemeral port). */
const SOURCE_PORT = 40000;

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** The ofproto/trace flow of `packet` entering the bridge at OpenFlow port `inPort`; throws on a malformed field. */
export function ofprotoTraceFlow(inPort: number, packet: DatapathTracePacket): string {
  if (!Number.isInteger(inPort) || inPort < 1 || inPort > 0xfeff) throw new TypeError(`${inPort} is not an OpenFlow port`);
  for (const mac of [packet.sourceMac, packet.destinationMac]) if (!MAC.test(mac)) throw new TypeError(`"${mac}" is not a MAC address`);
  const version = isIP(packet.sourceIp);
  if (version === 0 || isIP(packet.destinationIp) !== version) throw new TypeError(`"${packet.sourceIp}" and "${packet.destinationIp}" are not addresses of one IP version`);
  const v6 = version === 6;
  const fields = [`in_port=${inPort}`];
  if (packet.protocol === 'icmp') fields.push(v6 ? 'icmp6' : 'icmp');
  else if (packet.protocol === 'tcp' || packet.protocol === 'udp') fields.push(`${packet.protocol}${v6 ? '6' : ''}`);
  else throw new TypeError(`"${String(packet.protocol)}" is not icmp, tcp or udp`);
  fields.push(`dl_src=${packet.sourceMac.toLowerCase()}`, `dl_dst=${packet.destinationMac.toLowerCase()}`);
  fields.push(v6 ? `ipv6_src=${packet.sourceIp}` : `nw_src=${packet.sourceIp}`, v6 ? `ipv6_dst=${packet.destinationIp}` : `nw_dst=${packet.destinationIp}`, 'nw_ttl=64');
  if (packet.protocol === 'icmp') {
    fields.push(v6 ? 'icmpv6_type=128' : 'icmp_type=8', v6 ? 'icmpv6_code=0' : 'icmp_code=0');
  } else {
    const dport = packet.destinationPort;
    if (!Number.isInteger(dport) || dport < 1 || dport > 65535) throw new TypeError(`${dport} is not a ${packet.protocol} port`);
    fields.push(`tp_src=${SOURCE_PORT}`, `tp_dst=${dport}`);
  }
  return fields.join(',');
}
