/** The network (VPC) resource as the API shows it, and its create/update inputs. Pure. */

/** Overlay or provider network type. */
export type NetworkType = 'vxlan' | 'vlan' | 'flat';

/** A Neutron network. Field names are the wire names. */
export interface Network {
  id: string;
  name: string;
  description: string;
  project_id: string;
  tenant_id: string;
  admin_state_up: boolean;
  shared: boolean;
  'router:external': boolean;
  mtu: number;
  port_security_enabled: boolean;
  status: 'ACTIVE' | 'DOWN';
  subnets: string[];
  availability_zone_hints: string[];
  availability_zones: string[];
  /** The address scope of the network's IPv4 subnets' pool, if any. */
  ipv4_address_scope: string | null;
  ipv6_address_scope: string | null;
  is_default: boolean;
  l2_adjacency: boolean;
  tags: string[];
  revision_number: number;
  created_at: string;
  updated_at: string;
  /** Provider attributes; the API hides them from non-admins. */
  'provider:network_type'?: NetworkType;
  'provider:physical_network'?: string | null;
  'provider:segmentation_id'?: number | null;
  /** Southbound channel override of the VPC (admin only); null = the controller's default mode. */
  'alcor:southbound_channel'?: SouthboundChannelMode | null;
}

/** Values of the `alcor:southbound_channel` network attribute. */
export type SouthboundChannelMode = 'grpc' | 'mq' | 'auto';

/** Body of POST /networks after schema validation. */
export interface NetworkCreate {
  name?: string;
  description?: string;
  project_id?: string;
  tenant_id?: string;
  admin_state_up?: boolean;
  shared?: boolean;
  'router:external'?: boolean;
  mtu?: number;
  port_security_enabled?: boolean;
  availability_zone_hints?: string[];
  tags?: string[];
  'provider:network_type'?: NetworkType;
  'provider:physical_network'?: string;
  'provider:segmentation_id'?: number;
  /** multi-provider form of the provider attributes: one segment. */
  segments?: NetworkSegment[];
}

/** One segment of the multi-provider extension. */
export type NetworkSegment = Pick<NetworkCreate, 'provider:network_type' | 'provider:physical_network' | 'provider:segmentation_id'>;

/** Body of PUT /networks/{id} after schema validation. */
export type NetworkUpdate = Pick<
  NetworkCreate,
  'name' | 'description' | 'admin_state_up' | 'shared' | 'router:external' | 'mtu' | 'port_security_enabled'
> & { 'alcor:southbound_channel'?: SouthboundChannelMode | null };
