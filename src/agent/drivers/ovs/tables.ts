/**
 * The br-int pipeline: table numbers and register use. docs/dataplane.md describes each table.
 *
 *   0 CLASSIFY → 10 PORT_SECURITY → 20 EGRESS_CT → 21 EGRESS_RULES → 30 ARP → 35 DHCP → 37 METADATA
 *   → 40 ROUTING → 45 L3_RESOLVE → 50 L2 → 60 INGRESS_CT → 61 INGRESS_RULES → 70 OUTPUT
 *   (on a router's gateway host, ROUTING → 41 SNAT_OUT → 42 EXT_OUT → physical bridge, and physical
 *   bridge → 80 PHYS_IN → 43 UNSNAT → 45 L3_RESOLVE)
 *   (46 NEXTHOP is not a stage: router extra routes resubmit to it to look up their next hop's MAC)
 *
 * Packets from the tunnel enter at L2 (the sending host already did egress security and routing).
 * Packets from a physical bridge (provider networks) enter at PHYS_IN, then L2.
 * Replies of the metadata proxy enter at CLASSIFY from the metadata port and go to INGRESS_CT.
 */
export const Table = {
  CLASSIFY: 0,
  PORT_SECURITY: 10,
  EGRESS_CT: 20,
  EGRESS_RULES: 21,
  ARP: 30,
  DHCP: 35,
  METADATA: 37,
  ROUTING: 40,
  SNAT_OUT: 41,
  EXT_OUT: 42,
  UNSNAT: 43,
  L3_RESOLVE: 45,
  NEXTHOP: 46,
  FIP_OUT: 47,
  FIP_EXT_OUT: 48,
  L2: 50,
  INGRESS_CT: 60,
  INGRESS_RULES: 61,
  OUTPUT: 70,
  PHYS_IN: 80,
} as const;

/** reg5 = OpenFlow port the packet came from (0 for the tunnel). */
export const REG_IN_PORT = 'NXM_NX_REG5[]';
/** reg6 = VNI of the network the packet is in (rewritten by routing); its low 16 bits are the conntrack zone. */
export const REG_VNI = 'NXM_NX_REG6[]';
/** reg4 = IPv4 next hop of a router extra route, looked up in NEXTHOP. */
export const REG_NEXTHOP = 'NXM_NX_REG4[]';
/** reg3 = SNAT conntrack zone of the router whose gateway address a packet from outside was sent to. */
export const REG_SNAT_ZONE = 'NXM_NX_REG3[]';
/** reg7 = OpenFlow port to deliver to, chosen by L2. */
export const REG_OUT_PORT = 'NXM_NX_REG7[]';
/** The conntrack zone of the packet's network. */
export const CT_ZONE = 'NXM_NX_REG6[0..15]';

/** Userdata the DHCP punt flow attaches, so the agent can tell DHCP packet-ins from anything else. */
export const DHCP_USERDATA = 'dc.b0.00.01';
/** The same userdata as bytes. */
export const DHCP_USERDATA_BYTES = Buffer.from([0xdc, 0xb0, 0x00, 0x01]);

/** The address VMs reach the metadata service at (TCP port 80). */
export const METADATA_IP = '169.254.169.254';

/** Userdata of ARP replies to a gateway address: the agent learns the external next hop's MAC from them. */
export const GATEWAY_ARP_USERDATA = 'dc.b0.00.05';
/** The same userdata as bytes. */
export const GATEWAY_ARP_USERDATA_BYTES = Buffer.from([0xdc, 0xb0, 0x00, 0x05]);

/** Userdata prefix of the neighbor-solicitation punt (followed by the answering MAC and the NA flags byte). */
export const ND_USERDATA = 'dc.b0.00.02';
/** Userdata of the router-solicitation punt. */
export const RS_USERDATA = 'dc.b0.00.03';
/** Userdata of the DHCPv6 punt. */
export const DHCP6_USERDATA = 'dc.b0.00.04';
/** ICMPv6 types of neighbor discovery (RS, RA, NS, NA, redirect) and MLD (query, reports, done, v2 report). */
export const ND_TYPES = [133, 134, 135, 136, 137] as const;
export const MLD_TYPES = [130, 131, 132, 143] as const;
