/**
 * The metadata path. The agent's proxy listens on a kernel interface whose other end is an OVS port on
 * br-int (the metadata port). A VM's TCP to 169.254.169.254:80 is rewritten statelessly on its way
 * there: its source becomes the port's own address in the metadata range (base + 2 + the VM's OpenFlow
 * port, unique on the host), its destination the proxy's address (base + 1). The proxy maps that source
 * back to the OpenFlow port, hence to the port: the instance is named by the port the packet came in on,
 * never by anything the VM sends, and VMs of different projects may share an IP. Replies are rewritten
 * back and enter the VM's network at INGRESS_CT, where the connection the VM's egress committed lets
 * them through. The metadata port answers ARP for the port addresses (the proxy's kernel asks).
 */
import type { PortState } from '../../../proto/alcor/v1/goal_state_pb.js';
import { arpReplyActions } from './compile-addresses.js';
import { dhcpServerMac } from './compile-network.js';
import type { CompileContext } from './context.js';
import { derivedMac, ipv4InCidr, ipv4ToNumber, isIpv4, type FlowSpec } from './flow.js';
import { METADATA_IP, Table } from './tables.js';

/** Where the metadata proxy sits on this host. */
export interface MetadataFacts {
  /** OpenFlow port of the metadata port. */
  ofport: number;
  /** The metadata range, `a.b.c.d/len`. */
  cidr: string;
  /** MAC of the kernel interface the proxy listens on. */
  interfaceMac: string;
}

/** Number → dotted IPv4. */
function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 0xff).join('.');
}

function rangeOf(cidr: string): { base: number; size: number } {
  const [address = '', len = '32'] = cidr.split('/');
  const bits = Number(len);
  const size = 2 ** (32 - bits);
  return { base: (ipv4ToNumber(address) & ~(size - 1)) >>> 0, size };
}

/** The proxy's address: the first usable address of the range. */
export function metadataProxyIp(cidr: string): string {
  return numberToIpv4(rangeOf(cidr).base + 1);
}

/** The address a VM at `ofport` appears from to the proxy; undefined when the range is too small for it. */
export function metadataPortIp(cidr: string, ofport: number): string | undefined {
  const { base, size } = rangeOf(cidr);
  return ofport > 0 && ofport + 2 < size - 1 ? numberToIpv4(base + 2 + ofport) : undefined;
}

/** The OpenFlow port whose VM appears from `ip`; undefined outside the port addresses of the range. */
export function metadataOfport(cidr: string, ip: string): number | undefined {
  if (!isIpv4(ip) || !ipv4InCidr(ip, cidr)) return undefined;
  const ofport = ipv4ToNumber(ip) - rangeOf(cidr).base - 2;
  return ofport > 0 && metadataPortIp(cidr, ofport) === ip ? ofport : undefined;
}

/** MAC the metadata port's side answers ARP with and sends from. */
export const METADATA_PEER_MAC = derivedMac('metadata');

/** The fixed IP a port's metadata requests come from: its first IPv4 address. */
export function metadataFixedIp(port: PortState): { subnetId: string; ipAddress: string } | undefined {
  return port.fixedIps.find((f) => isIpv4(f.ipAddress) && !f.ipAddress.includes('/'));
}

/** The metadata flows of a local port (empty without a metadata proxy, an IPv4 fixed IP or a free address). */
export function metadataFlows(ctx: CompileContext, port: PortState, ofport: number, vni: number): FlowSpec[] {
  const md = ctx.host.metadata;
  const fixed = metadataFixedIp(port);
  const portIp = md ? metadataPortIp(md.cidr, ofport) : undefined;
  if (!md || !fixed || !portIp) return [];
  const proxyIp = metadataProxyIp(md.cidr);
  const vmMac = port.macAddress.toLowerCase();
  return [
    {
      table: Table.METADATA,
      priority: 100,
      match: `reg5=${ofport},tcp,nw_src=${fixed.ipAddress},nw_dst=${METADATA_IP},tp_dst=80`,
      actions: [
        `set_field:${METADATA_PEER_MAC}->eth_src`,
        `set_field:${md.interfaceMac}->eth_dst`,
        `set_field:${portIp}->ip_src`,
        `set_field:${proxyIp}->ip_dst`,
        `output:${md.ofport}`,
      ].join(','),
    },
    {
      table: Table.CLASSIFY,
      priority: 110,
      match: `in_port=${md.ofport},tcp,nw_src=${proxyIp},nw_dst=${portIp},tp_src=80`,
      actions: [
        `set_field:${dhcpServerMac(fixed.subnetId)}->eth_src`,
        `set_field:${vmMac}->eth_dst`,
        `set_field:${METADATA_IP}->ip_src`,
        `set_field:${fixed.ipAddress}->ip_dst`,
        `load:${vni}->NXM_NX_REG6[]`,
        `load:${ofport}->NXM_NX_REG7[]`,
        `goto_table:${Table.INGRESS_CT}`,
      ].join(','),
    },
    {
      table: Table.CLASSIFY,
      priority: 110,
      match: `in_port=${md.ofport},arp,arp_op=1,arp_tpa=${portIp}`,
      actions: arpReplyActions(METADATA_PEER_MAC, portIp),
    },
  ];
}
