/**
 * Answers the IPv6 packet-ins, as OVN's controller does (no radvd or dnsmasq): neighbor solicitations
 * for known addresses (the punt flow's userdata carries the answering MAC and the router flag), router
 * solicitations (an RA for the port's network built from the goal state), and DHCPv6. Also sends
 * unsolicited RAs to every local port periodically. The port is the one the watcher mapped to the
 * in_port (its iface-id); the sender's MAC must be the port's.
 */
import type { DesiredStateView } from '../../driver.js';
import { dhcpServerMac } from './compile-network.js';
import { answerDhcp6, decodeDhcp6, encodeDhcp6 } from './dhcp6-server.js';
import { macString } from './frames.js';
import {
  buildIpv6Frame,
  buildNeighborAdvertisement,
  buildRouterAdvertisement,
  ipv6DestinationMac,
  parseIpv6Frame,
  parseNeighborSolicitation,
  parseRouterSolicitation,
  UDP,
  type RouterAdvertisement,
} from './icmp6-packets.js';
import { isIpv6, linkLocal } from './ipv6.js';
import type { PacketIn } from './openflow.js';
import { DHCP6_USERDATA, ND_USERDATA, RS_USERDATA } from './tables.js';

/** What the responder needs from the driver. */
export interface Ipv6ResponderDeps {
  view: () => DesiredStateView | undefined;
  portAt: (ofport: number) => string | undefined;
  /** Local port id → OpenFlow port. */
  ofports: () => ReadonlyMap<string, number>;
  packetOut: (ofport: number, frame: Buffer) => boolean;
}

/** Counters of the responder. */
export interface Ipv6Counters {
  ndReplies: number;
  raSent: number;
  dhcp6Replies: number;
  ipv6Ignored: number;
}

const bytes = (text: string) => Buffer.from(text.replace(/\./g, ''), 'hex');
const ND = bytes(ND_USERDATA);
const RS = bytes(RS_USERDATA);
const DHCP6 = bytes(DHCP6_USERDATA);

/** Seconds between unsolicited RAs (radvd's and OVN's default maximum interval is 600). */
export const RA_INTERVAL_MS = 200_000;
/** When a new port's initial unsolicited RAs go out, after its flows are installed. */
const INITIAL_RA_DELAYS_MS = [0, 500, 1500];

/** The RA a port's network gets: its subnets with an RA mode and a router interface; undefined if none. */
export function routerAdvertisementFor(view: DesiredStateView, portId: string): RouterAdvertisement | undefined {
  const port = view.port.get(portId);
  if (!port) return undefined;
  let ra: RouterAdvertisement | undefined;
  for (const subnet of view.subnet.values()) {
    if (subnet.vpcId !== port.vpcId || !subnet.ipv6RaMode || !isIpv6(subnet.cidr)) continue;
    for (const router of view.router.values()) {
      const ifc = router.interfaces.find((i) => i.subnetId === subnet.id);
      if (!ifc) continue;
      ra ??= {
        routerMac: ifc.macAddress.toLowerCase(),
        managed: false,
        other: false,
        routerLifetime: 0,
        mtu: view.vpc.get(port.vpcId)?.mtu ?? 0,
        prefixes: [],
        dnsServers: [],
      };
      const mode = subnet.ipv6RaMode;
      ra.managed ||= mode === 'dhcpv6-stateful';
      ra.other ||= mode === 'dhcpv6-stateful' || mode === 'dhcpv6-stateless';
      if (router.hasGateway) ra.routerLifetime = 1800;
      ra.prefixes.push({ cidr: subnet.cidr, autonomous: mode === 'slaac' || mode === 'dhcpv6-stateless' });
      ra.dnsServers.push(...subnet.dnsNameservers.filter((d) => isIpv6(d) && !ra!.dnsServers.includes(d)));
      break;
    }
  }
  return ra;
}

/** Answers IPv6 packet-ins for one bridge. */
export class Ipv6Responder {
  readonly counters: Ipv6Counters = { ndReplies: 0, raSent: 0, dhcp6Replies: 0, ipv6Ignored: 0 };
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: Ipv6ResponderDeps) {}

  /** Handles one packet-in; false when it is not an IPv6 one. */
  handle(packetIn: PacketIn): boolean {
    const data = packetIn.userdata;
    if (!data || data.length < 4) return false;
    const kind = data.subarray(0, 4);
    if (kind.equals(ND) && data.length >= 11) this.neighborSolicitation(packetIn, macString(data, 4), data[10] ?? 0);
    else if (kind.equals(RS)) this.routerSolicitation(packetIn);
    else if (kind.equals(DHCP6)) this.dhcp6(packetIn);
    else return false;
    return true;
  }

  /** Starts the periodic unsolicited RAs. */
  start(): void {
    this.timer ??= setInterval(() => this.advertiseAll(), RA_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Sends an unsolicited RA to every local port whose network has one. */
  advertiseAll(): void {
    for (const portId of this.deps.ofports().keys()) this.advertise(portId);
  }

  /**
   * A port whose interface just appeared gets its initial unsolicited RAs (three, as RFC 4861 lets a
   * router do for a new interface): the VM configures its address without waiting to solicit one.
   */
  advertiseNew(portIds: readonly string[]): void {
    for (const delay of INITIAL_RA_DELAYS_MS) {
      const send = () => portIds.forEach((id) => this.advertise(id));
      if (delay === 0) send();
      else setTimeout(send, delay).unref();
    }
  }

  private advertise(portId: string): void {
    const view = this.deps.view();
    const ofport = this.deps.ofports().get(portId);
    const ra = view && ofport !== undefined ? routerAdvertisementFor(view, portId) : undefined;
    if (ra && this.deps.packetOut(ofport!, buildRouterAdvertisement(ra, linkLocal(ra.routerMac), 'ff02::1', '33:33:00:00:00:01'))) this.counters.raSent++;
  }

  private neighborSolicitation(packetIn: PacketIn, mac: string, flags: number): void {
    const ns = parseNeighborSolicitation(packetIn.packet);
    if (!ns) return void this.counters.ipv6Ignored++;
    if (this.deps.packetOut(packetIn.inPort, buildNeighborAdvertisement(ns, mac, flags))) this.counters.ndReplies++;
  }

  /** The local port at the in_port whose MAC sent the frame. */
  private sender(packetIn: PacketIn, srcMac: string): string | undefined {
    const portId = this.deps.portAt(packetIn.inPort);
    const port = portId ? this.deps.view()?.port.get(portId) : undefined;
    return port && port.macAddress.toLowerCase() === srcMac ? portId : undefined;
  }

  private routerSolicitation(packetIn: PacketIn): void {
    const rs = parseRouterSolicitation(packetIn.packet);
    const portId = rs && this.sender(packetIn, rs.srcMac);
    const view = this.deps.view();
    const ra = portId && view ? routerAdvertisementFor(view, portId) : undefined;
    if (!rs || !ra) return void this.counters.ipv6Ignored++;
    const dst = rs.src === '::' ? 'ff02::1' : rs.src;
    if (this.deps.packetOut(packetIn.inPort, buildRouterAdvertisement(ra, linkLocal(ra.routerMac), dst, ipv6DestinationMac(dst, rs.srcMac)))) this.counters.raSent++;
  }

  private dhcp6(packetIn: PacketIn): void {
    const packet = parseIpv6Frame(packetIn.packet);
    const portId = packet && packet.nextHeader === UDP ? this.sender(packetIn, packet.srcMac) : undefined;
    const view = this.deps.view();
    const state = portId ? view?.dhcp.get(portId) : undefined;
    const subnet = state?.ipv6SubnetId ? view?.subnet.get(state.ipv6SubnetId) : undefined;
    const request = packet ? decodeDhcp6(packet.payload.subarray(8)) : undefined;
    // SLAAC subnets have no DHCPv6 (as Neutron runs none for them).
    if (!packet || !state || !subnet || !request || subnet.ipv6AddressMode === 'slaac') return void this.counters.ipv6Ignored++;
    const serverMac = dhcpServerMac(subnet.id);
    const reply = answerDhcp6(request, {
      serverMac,
      address: subnet.ipv6AddressMode === 'dhcpv6-stateless' ? undefined : state.ipv6Address,
      dnsServers: subnet.dnsNameservers,
      extraOptions: state.ipv6ExtraOptions,
    });
    if (!reply) return void this.counters.ipv6Ignored++;
    const message = encodeDhcp6(reply);
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(547, 0);
    udp.writeUInt16BE(546, 2);
    udp.writeUInt16BE(8 + message.length, 4);
    const frame = buildIpv6Frame({
      srcMac: serverMac,
      dstMac: packet.srcMac,
      src: linkLocal(serverMac),
      dst: packet.src,
      nextHeader: UDP,
      hopLimit: 255,
      payload: Buffer.concat([udp, message]),
    });
    if (this.deps.packetOut(packetIn.inPort, frame)) this.counters.dhcp6Replies++;
  }
}
