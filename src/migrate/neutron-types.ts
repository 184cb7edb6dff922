/**
 * The Neutron v2.0 resources as `GET` returns them (admin view), restricted to the fields the migration
 * reads. Fields a differently configured Neutron adds (dns_name, qos_policy_id, ...) are simply ignored.
 */

/** A network with provider attributes. */
export interface NeutronNetwork {
  id: string;
  name: string;
  description?: string;
  project_id?: string;
  tenant_id?: string;
  admin_state_up: boolean;
  shared: boolean;
  'router:external'?: boolean;
  mtu?: number;
  port_security_enabled?: boolean;
  status?: string;
  'provider:network_type'?: string | null;
  'provider:physical_network'?: string | null;
  'provider:segmentation_id'?: number | null;
  /** Multi-segment networks (the segments extension) carry this instead of the provider attributes. */
  segments?: unknown[];
  tags?: string[];
  revision_number?: number;
  created_at?: string;
  updated_at?: string;
}

/** A subnet. */
export interface NeutronSubnet {
  id: string;
  name: string;
  description?: string;
  project_id?: string;
  tenant_id?: string;
  network_id: string;
  ip_version: number;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: boolean;
  ipv6_ra_mode?: string | null;
  ipv6_address_mode?: string | null;
  allocation_pools: { start: string; end: string }[];
  dns_nameservers: string[];
  host_routes: { destination: string; nexthop: string }[];
  subnetpool_id?: string | null;
  tags?: string[];
  revision_number?: number;
  created_at?: string;
  updated_at?: string;
}

/** A port with its binding. */
export interface NeutronPort {
  id: string;
  name: string;
  description?: string;
  project_id?: string;
  tenant_id?: string;
  network_id: string;
  mac_address: string;
  admin_state_up: boolean;
  status?: string;
  device_id: string;
  device_owner: string;
  fixed_ips: { subnet_id: string; ip_address: string }[];
  allowed_address_pairs?: { ip_address: string; mac_address?: string }[];
  extra_dhcp_opts?: { opt_name: string; opt_value: string; ip_version?: number }[];
  security_groups?: string[];
  port_security_enabled?: boolean;
  'binding:host_id'?: string;
  'binding:vnic_type'?: string;
  'binding:profile'?: Record<string, unknown> | null;
  tags?: string[];
  revision_number?: number;
  created_at?: string;
  updated_at?: string;
}

/** A security group rule. */
export interface NeutronRule {
  id: string;
  project_id?: string;
  tenant_id?: string;
  security_group_id: string;
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  remote_address_group_id?: string | null;
  description?: string | null;
  revision_number?: number;
  created_at?: string;
  updated_at?: string;
}

/** A security group (its embedded rules are read from the rules collection instead). */
export interface NeutronSecurityGroup {
  id: string;
  name: string;
  description?: string;
  project_id?: string;
  tenant_id?: string;
  stateful?: boolean;
  tags?: string[];
  revision_number?: number;
  created_at?: string;
  updated_at?: string;
}

/** A router. */
export interface NeutronRouter {
  id: string;
  name: string;
  description?: string;
  project_id?: string;
  tenant_id?: string;
  admin_state_up: boolean;
  status?: string;
  distributed?: boolean;
  ha?: boolean;
  external_gateway_info: {
    network_id: string;
    enable_snat?: boolean;
    external_fixed_ips?: { subnet_id: string; ip_address: string }[];
  } | null;
  routes?: { destination: string; nexthop: string }[];
  tags?: string[];
  revision_number?: number;
  created_at?: string;
  updated_at?: string;
}

/** A floating IP. */
export interface NeutronFloatingIp {
  id: string;
  description?: string;
  project_id?: string;
  tenant_id?: string;
  floating_ip_address: string;
  floating_network_id: string;
  port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
  status?: string;
  tags?: string[];
  revision_number?: number;
  created_at?: string;
  updated_at?: string;
}

/** An RBAC policy. */
export interface NeutronRbacPolicy {
  id: string;
  project_id?: string;
  tenant_id?: string;
  object_type: string;
  object_id: string;
  action: string;
  target_tenant: string;
}

/** The effective limits of one project that has overrides. */
export interface NeutronProjectQuota {
  project_id: string;
  limits: Record<string, number>;
}

/** Everything read from one Neutron, as one consistent-enough snapshot. */
export interface NeutronExport {
  networks: NeutronNetwork[];
  subnets: NeutronSubnet[];
  ports: NeutronPort[];
  securityGroups: NeutronSecurityGroup[];
  securityGroupRules: NeutronRule[];
  routers: NeutronRouter[];
  floatingIps: NeutronFloatingIp[];
  rbacPolicies: NeutronRbacPolicy[];
  /** Projects with overrides (Neutron's `GET /v2.0/quotas`), with their effective limits. */
  quotas: NeutronProjectQuota[];
  /** Neutron's default limits (`GET /v2.0/quotas/<project>/default`), or undefined when no project has overrides. */
  quotaDefaults?: Record<string, number>;
}

/** The owner of a Neutron resource: project_id, else tenant_id, else ''. */
export function ownerOf(resource: { project_id?: string; tenant_id?: string }): string {
  return resource.project_id ?? resource.tenant_id ?? '';
}
