/**
 * Answers DHCP packet-ins. The port a request is for is the port the interface it came in on really is:
 * its `external_ids:iface-id`. The interface watcher's map gives it for interfaces it has seen; for an
 * OpenFlow port it has not mapped yet (an interface plugged a moment ago), OVSDB is asked at packet-in
 * time. Anything else (no interface, no iface-id, two interfaces claiming the port, a port that is not
 * local, a MAC that is not the port's) gets no answer: Neutron allows the same MAC on different
 * networks, so a MAC alone never names a port. The reply goes back out of the in_port with a packet-out.
 */
import type { DhcpState } from '../../../proto/alcor/v1/goal_state_pb.js';
import type { DesiredStateView } from '../../driver.js';
import { dhcpServerMac } from './compile-network.js';
import { answerDhcp, buildDhcpReplyFrame, parseDhcpRequest } from './dhcp-server.js';
import { isIpv4 } from './flow.js';
import type { InterfaceRow } from './interface-watcher.js';
import type { PacketIn } from './openflow.js';
import { DHCP_USERDATA_BYTES, METADATA_IP } from './tables.js';

/** What the responder needs from the driver. */
export interface DhcpResponderDeps {
  view: () => DesiredStateView | undefined;
  /** Port id the interface watcher has mapped to an OpenFlow port. */
  portAt: (ofport: number) => string | undefined;
  /** The bridge's interfaces read from OVSDB now (for OpenFlow ports the watcher has not mapped yet). */
  bridgeInterfaces: () => Promise<InterfaceRow[]>;
  packetOut: (ofport: number, frame: Buffer) => boolean;
  leaseSeconds: number;
  /** Hand subnets without a router the 169.254.169.254/32 route (the agent proxies metadata). */
  isolatedMetadata?: boolean;
  log: (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

/** Counters of the responder. */
export interface DhcpCounters {
  requests: number;
  replies: number;
  ignored: number;
}

/** The local port a DHCP request is for, or why it gets no answer. */
export type DhcpPortChoice = { portId: string } | { drop: string };

/**
 * Decides which local port a request from OpenFlow port `inPort` with client MAC `chaddr` is for.
 * `mapped` is the watcher's port at `inPort`; `interfaces` (the bridge's interfaces from OVSDB) is
 * consulted only when the watcher has none.
 */
export function identifyDhcpPort(
  request: { inPort: number; chaddr: string },
  view: DesiredStateView | undefined,
  mapped: string | undefined,
  interfaces: readonly InterfaceRow[] | undefined,
): DhcpPortChoice {
  let portId = mapped;
  if (!portId) {
    const atPort = (interfaces ?? []).filter((i) => i.ofport === request.inPort);
    if (atPort.length === 0) return { drop: 'no interface at this OpenFlow port' };
    if (atPort.length > 1) return { drop: 'several interfaces at this OpenFlow port' };
    portId = atPort[0]!.ifaceId;
    if (!portId) return { drop: 'interface has no iface-id' };
    const id = portId;
    if ((interfaces ?? []).filter((i) => i.ifaceId === id).length > 1) return { drop: 'several interfaces claim this iface-id' };
  }
  const state = view?.dhcp.get(portId);
  if (!state || !view?.port.has(portId)) return { drop: 'iface-id is not a local port with DHCP' };
  if (state.macAddress.toLowerCase() !== request.chaddr) return { drop: 'client MAC is not the port MAC' };
  if (!isIpv4(state.ipAddress)) return { drop: 'port has no IPv4 address' };
  return { portId };
}

/**
 * The route to the metadata address for a subnet no router is attached to (Neutron's isolated
 * metadata): via the DHCP server's address, which is the gateway IP. A subnet with a router reaches it
 * through its default route; one whose host routes already name it keeps them; one without a gateway IP
 * gets none.
 */
export function isolatedMetadataRoutes(state: DhcpState, view: DesiredStateView): Array<{ destination: string; nexthop: string }> {
  if (!isIpv4(state.gatewayIp)) return [];
  if (state.hostRoutes.some((r) => r.destination === `${METADATA_IP}/32`)) return [];
  for (const router of view.router.values()) if (router.interfaces.some((i) => i.subnetId === state.subnetId)) return [];
  return [{ destination: `${METADATA_IP}/32`, nexthop: state.gatewayIp }];
}

/** Answers DHCP packet-ins for one bridge. */
export class DhcpResponder {
  readonly counters: DhcpCounters = { requests: 0, replies: 0, ignored: 0 };
  private lookup: Promise<InterfaceRow[]> | undefined;
  /** Last warning time per OpenFlow port, so a client retrying every second cannot flood the log. */
  private readonly warned = new Map<number, number>();

  constructor(private readonly deps: DhcpResponderDeps, private readonly warnIntervalMs = 10_000) {}

  /** Handles one packet-in (never throws: a failed lookup is a dropped request). */
  async handle(packetIn: PacketIn): Promise<void> {
    if (packetIn.userdata && !packetIn.userdata.equals(DHCP_USERDATA_BYTES)) return;
    const request = parseDhcpRequest(packetIn.packet);
    if (!request) return;
    this.counters.requests++;
    const mapped = this.deps.portAt(packetIn.inPort);
    let interfaces: InterfaceRow[] | undefined;
    if (!mapped) {
      try {
        interfaces = await this.bridgeInterfaces();
      } catch (err) {
        this.drop(packetIn.inPort, request.message.chaddr, `reading interfaces from OVSDB failed: ${String(err)}`);
        return;
      }
    }
    const view = this.deps.view();
    const choice = identifyDhcpPort({ inPort: packetIn.inPort, chaddr: request.message.chaddr }, view, this.deps.portAt(packetIn.inPort), interfaces);
    if ('drop' in choice) {
      this.drop(packetIn.inPort, request.message.chaddr, choice.drop);
      return;
    }
    const state = view!.dhcp.get(choice.portId)!;
    const server = { ip: isIpv4(state.gatewayIp) ? state.gatewayIp : '169.254.169.254', mac: dhcpServerMac(state.subnetId) };
    const extraRoutes = this.deps.isolatedMetadata === true ? isolatedMetadataRoutes(state, view!) : [];
    const reply = answerDhcp(request.message, state, server, { leaseSeconds: this.deps.leaseSeconds, extraRoutes });
    if (!reply) {
      this.counters.ignored++;
      return;
    }
    if (this.deps.packetOut(packetIn.inPort, buildDhcpReplyFrame(reply, server))) this.counters.replies++;
  }

  /** One OVSDB read shared by the requests that arrive while it runs. */
  private bridgeInterfaces(): Promise<InterfaceRow[]> {
    this.lookup ??= this.deps.bridgeInterfaces().finally(() => (this.lookup = undefined));
    return this.lookup;
  }

  private drop(inPort: number, chaddr: string, reason: string): void {
    this.counters.ignored++;
    const now = Date.now();
    if (now - (this.warned.get(inPort) ?? -Infinity) < this.warnIntervalMs) return;
    if (this.warned.size > 4096) this.warned.clear();
    this.warned.set(inPort, now);
    this.deps.log('warn', 'dhcp request not answered', { inPort, chaddr, reason });
  }
}
