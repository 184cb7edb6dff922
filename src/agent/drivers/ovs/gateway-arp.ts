/**
 * ARP for the router gateways this host carries and the floating IPs of its ports: resolves each gateway's external next hop (an ARP
 * request from the gateway address out of the physical patch, repeated every second until a reply
 * arrives; the reply reaches the agent as a packet-in with GATEWAY_ARP_USERDATA and its MAC becomes the
 * destination of the gateway's EXT_OUT flows), and announces a gateway this host has just taken
 * (three gratuitous ARPs), so the external network's switches and hosts learn where it moved on a
 * failover. Learned MACs are kept in `<stateDir>/ovs/external-macs.json`, so a restarted agent programs
 * the same flows at once (a restart changes nothing); a next hop answering from a new MAC updates it.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DesiredStateView } from '../../driver.js';
import { floatingIpMac } from './compile-fip.js';
import { providerSegment, type HostFacts } from './context.js';
import { ipBytes, ipString, macBytes, macString } from './frames.js';
import type { PacketIn } from './openflow.js';
import { GATEWAY_ARP_USERDATA_BYTES } from './tables.js';

/** A gateway carried by this host, as ARP needs it. */
export interface LocalGateway {
  ip: string;
  mac: string;
  nexthop: string;
  ofport: number;
  vlan: number;
}

/**
 * The external addresses of the desired state this host answers for and sends from: the gateways it
 * carries and the floating IPs of its ports, with the next hop each sends to.
 */
export function localGateways(view: DesiredStateView, host: HostFacts): LocalGateway[] {
  const out: LocalGateway[] = [];
  const add = (networkId: string, ip: string, mac: string, nexthop: string | undefined) => {
    const segment = providerSegment(host, view.vpc.get(networkId));
    if (nexthop && segment?.patchOfport !== undefined) out.push({ ip, mac: mac.toLowerCase(), nexthop, ofport: segment.patchOfport, vlan: segment.vlan });
  };
  for (const router of view.router.values()) {
    const gw = router.gateway;
    if (gw && gw.hostId === host.hostId) add(gw.networkId, gw.ipAddress, gw.macAddress, gw.nexthop);
  }
  for (const port of view.port.values()) {
    for (const fip of port.floatingIps) add(fip.networkId, fip.floatingIpAddress, floatingIpMac(fip.id), view.router.get(fip.routerId)?.gateway?.nexthop);
  }
  return out;
}

/** An ARP frame (request or reply), 802.1Q-tagged when `vlan` is set. */
export function arpFrame(a: { op: 1 | 2; srcMac: string; srcIp: string; dstMac: string; targetMac: string; targetIp: string; vlan: number }): Buffer {
  const tag = a.vlan ? Buffer.from([0x81, 0x00, (a.vlan >> 8) & 0x0f, a.vlan & 0xff]) : Buffer.alloc(0);
  const arp = Buffer.concat([
    Buffer.from([0x00, 0x01, 0x08, 0x00, 6, 4, 0, a.op]),
    macBytes(a.srcMac), ipBytes(a.srcIp), macBytes(a.targetMac), ipBytes(a.targetIp),
  ]);
  return Buffer.concat([macBytes(a.dstMac), macBytes(a.srcMac), tag, Buffer.from([0x08, 0x06]), arp]);
}

/** The ARP side of the gateways. */
export class GatewayArp {
  /** Next hop address → MAC. */
  readonly macs = new Map<string, string>();
  private gateways: LocalGateway[] = [];
  private timer: NodeJS.Timeout | undefined;
  readonly counters = { arpRequests: 0, arpLearned: 0, garpSent: 0 };

  constructor(
    private readonly packetOut: (ofport: number, frame: Buffer) => boolean,
    private readonly learned: (ip: string) => void,
    /** Where learned MACs persist; undefined = memory only. */
    private readonly file?: string,
  ) {
    if (!file) return;
    try {
      for (const [ip, mac] of Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>)) {
        if (/^\d+\.\d+\.\d+\.\d+$/.test(ip) && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac)) this.macs.set(ip, mac);
      }
    } catch {
      // Nothing learned yet (or an unreadable file): resolve again.
    }
  }

  /** Takes the current set of local gateways: announces new ones, resolves unknown next hops. */
  sync(gateways: LocalGateway[]): void {
    const before = new Set(this.gateways.map((g) => `${g.ip}|${g.mac}|${g.ofport}`));
    this.gateways = gateways;
    for (const g of gateways) {
      if (before.has(`${g.ip}|${g.mac}|${g.ofport}`)) continue;
      for (const delay of [0, 300, 1000]) setTimeout(() => this.announce(g), delay).unref();
    }
    this.resolve();
    if (!this.timer) {
      this.timer = setInterval(() => this.resolve(), 1000);
      this.timer.unref();
    }
  }

  /** Learns from an ARP packet-in; false when the packet-in is not ours. */
  handle(packetIn: PacketIn): boolean {
    if (!packetIn.userdata?.equals(GATEWAY_ARP_USERDATA_BYTES)) return false;
    const p = packetIn.packet;
    const at = p.readUInt16BE(12) === 0x8100 ? 18 : 14;
    if (p.length < at + 28 || p.readUInt16BE(at - 2) !== 0x0806) return true;
    const mac = macString(p, at + 8);
    const ip = ipString(p, at + 14);
    if (!this.gateways.some((g) => g.nexthop === ip) || this.macs.get(ip) === mac) return true;
    this.macs.set(ip, mac);
    this.counters.arpLearned++;
    this.save();
    this.learned(ip);
    return true;
  }

  private save(): void {
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(`${this.file}.tmp`, JSON.stringify(Object.fromEntries(this.macs)));
    renameSync(`${this.file}.tmp`, this.file);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private resolve(): void {
    for (const g of this.gateways) {
      if (this.macs.has(g.nexthop)) continue;
      const frame = arpFrame({ op: 1, srcMac: g.mac, srcIp: g.ip, dstMac: 'ff:ff:ff:ff:ff:ff', targetMac: '00:00:00:00:00:00', targetIp: g.nexthop, vlan: g.vlan });
      if (this.packetOut(g.ofport, frame)) this.counters.arpRequests++;
    }
  }

  private announce(g: LocalGateway): void {
    if (!this.gateways.includes(g)) return;
    const frame = arpFrame({ op: 1, srcMac: g.mac, srcIp: g.ip, dstMac: 'ff:ff:ff:ff:ff:ff', targetMac: '00:00:00:00:00:00', targetIp: g.ip, vlan: g.vlan });
    if (this.packetOut(g.ofport, frame)) this.counters.garpSent++;
  }
}
