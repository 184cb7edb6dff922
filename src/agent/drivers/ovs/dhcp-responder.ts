/**
 * Answers DHCP packet-ins: finds the local port by the packet's OpenFlow in_port, checks the client MAC
 * against the port's DhcpState, and sends the reply back out of that port with a packet-out.
 */
import type { DesiredStateView } from '../../driver.js';
import { dhcpServerMac } from './compile-network.js';
import { answerDhcp, buildDhcpReplyFrame, parseDhcpRequest } from './dhcp-server.js';
import { isIpv4 } from './flow.js';
import type { PacketIn } from './openflow.js';
import { DHCP_USERDATA_BYTES } from './tables.js';

/** What the responder needs from the driver. */
export interface DhcpResponderDeps {
  view: () => DesiredStateView | undefined;
  /** Port id plugged at an OpenFlow port. */
  portAt: (ofport: number) => string | undefined;
  /** True when the port's interface is known (has an OpenFlow port). */
  plugged: (portId: string) => boolean;
  packetOut: (ofport: number, frame: Buffer) => boolean;
  leaseSeconds: number;
  log: (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

/** Counters of the responder. */
export interface DhcpCounters {
  requests: number;
  replies: number;
  ignored: number;
}

/** Handles one packet-in; returns what happened (for counters and tests). */
export function handleDhcpPacketIn(packetIn: PacketIn, deps: DhcpResponderDeps, counters: DhcpCounters): void {
  if (packetIn.userdata && !packetIn.userdata.equals(DHCP_USERDATA_BYTES)) return;
  const request = parseDhcpRequest(packetIn.packet);
  if (!request) return;
  counters.requests++;
  const view = deps.view();
  let portId = deps.portAt(packetIn.inPort);
  if (!portId && view) {
    // An interface discovered a moment ago: find its port by MAC among local ports not plugged yet.
    for (const [id, dhcp] of view.dhcp) {
      if (dhcp.macAddress.toLowerCase() === request.message.chaddr && view.port.has(id) && !deps.plugged(id)) portId = id;
    }
  }
  const state = portId ? view?.dhcp.get(portId) : undefined;
  if (!state || state.macAddress.toLowerCase() !== request.message.chaddr || !isIpv4(state.ipAddress)) {
    counters.ignored++;
    deps.log('debug', 'dhcp request without a matching port', { inPort: packetIn.inPort, portId, chaddr: request.message.chaddr });
    return;
  }
  const server = { ip: isIpv4(state.gatewayIp) ? state.gatewayIp : '169.254.169.254', mac: dhcpServerMac(state.subnetId) };
  const reply = answerDhcp(request.message, state, server, { leaseSeconds: deps.leaseSeconds });
  if (!reply) {
    counters.ignored++;
    return;
  }
  if (deps.packetOut(packetIn.inPort, buildDhcpReplyFrame(reply, server))) counters.replies++;
}
