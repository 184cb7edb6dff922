/**
 * Neutron API extensions this controller implements: `GET /v2.0/extensions` must list exactly these, since
 * clients (openstacksdk, Horizon, Nova) switch behaviour on them. Add an entry only with its feature.
 */
import { ExtensionNotFound } from '../domain/errors.js';

/** One extension descriptor as Neutron shows it. */
export interface Extension {
  alias: string;
  name: string;
  description: string;
  updated: string;
  links: never[];
}

const UPDATED = '2026-11-24T00:00:00-00:00';

const IMPLEMENTED: [alias: string, name: string, description: string][] = [
  ['address-scope', 'Address scope', 'Address scopes: pools of one scope have unique prefixes; networks show ipv4/ipv6_address_scope'],
  ['agent', 'agent', 'The agents resource: hosts registered by their Alcor agents'],
  ['allowed-address-pairs', 'Allowed Address Pairs', 'Extra MAC/IP pairs a port may send from'],
  ['binding', 'Port Binding', 'Host, VNIC and VIF type of a port'],
  ['binding-extended', 'Port Bindings Extended', 'Multiple bindings per port (/ports/{id}/bindings), for live migration'],
  ['default-subnetpools', 'Default Subnetpools', 'One is_default pool per IP version, used by subnet creates with use_default_subnetpool'],
  ['external-net', 'Neutron external network', 'router:external networks for gateways and floating IPs'],
  ['extra_dhcp_opt', 'Neutron Extra DHCP options', 'Per-port extra DHCP options'],
  ['extraroute', 'Neutron Extra Route', 'Static routes on routers'],
  ['extraroute-atomic', 'Atomically add/remove extra routes', 'add_extraroutes and remove_extraroutes router actions'],
  ['ext-gw-mode', 'Neutron L3 Configurable external gateway mode', 'enable_snat in external_gateway_info'],
  ['filter-validation', 'Filter parameters validation', 'Unknown filter attributes are rejected with 400'],
  ['network-ip-availability', 'Network IP Availability', 'IP usage per network and subnet'],
  ['net-mtu', 'Network MTU', 'The mtu attribute of networks'],
  ['pagination', 'Pagination support', 'limit, marker and page_reverse on list requests'],
  ['port-security', 'Port Security', 'port_security_enabled on networks and ports'],
  ['project-id', 'project_id field enabled', 'project_id alongside tenant_id'],
  ['provider', 'Provider Network', 'provider:network_type, provider:physical_network, provider:segmentation_id'],
  ['quotas', 'Quota management support', 'Per-project quotas, enforced on create'],
  ['quota_details', 'Quota details management support', 'used, limit and reserved per resource'],
  ['rbac-address-scope', 'Add address_scope type to RBAC', 'Share address scopes with chosen projects'],
  ['rbac-policies', 'RBAC Policies', 'Share networks with chosen projects (access_as_shared) or make them external for them (access_as_external)'],
  ['rbac-security-groups', 'Add security_group type to network RBAC', 'Share security groups with chosen projects'],
  ['rbac-subnetpool', 'Add subnetpool type to RBAC', 'Share subnet pools with chosen projects'],
  ['revision-if-match', 'If-Match constraints based on revision_number', 'If-Match: revision_number=N on updates and deletes'],
  ['router', 'Neutron L3 Router', 'Routers, router interfaces and floating IPs'],
  ['security-group', 'security-group', 'Security groups and rules'],
  ['sorting', 'Sorting support', 'sort_key and sort_dir on list requests'],
  ['standard-attr-description', 'standard-attr-description', 'description on every resource'],
  ['standard-attr-revisions', 'Resource revision numbers', 'revision_number on every resource'],
  ['standard-attr-tag', 'Tag support for resources with standard attribute', 'The /tags sub-resource and tag filters'],
  ['standard-attr-timestamp', 'Resource timestamps', 'created_at and updated_at on every resource'],
  ['stateful-security-group', 'Stateful security group', 'The stateful attribute of security groups'],
  ['subnet_allocation', 'Subnet Allocation', 'Subnet pools: subnets by prefixlen or by cidr from a pool, with a per-project default_quota'],
  ['subnetpool-prefix-ops', 'Subnet Pool Prefix Operations', 'add_prefixes and remove_prefixes actions on subnet pools'],
  ['tag-ports-during-bulk-creation', 'Tag Ports During Bulk Creation', 'tags in the body of port creates'],
  ['ip-substring-filtering', 'IP address substring filtering', 'fixed_ips=ip_address_substr=... on port lists'],
  ['empty-string-filtering', 'Empty String Filtering', 'A filter with an empty value matches empty attributes'],
  ['port-security-groups-filtering', 'Port filtering on security groups', 'security_groups as a filter of port lists'],
  ['security-groups-shared-filtering', 'Security group filtering on the shared field', 'shared as a filter of security group lists'],
  ['fip-port-details', 'Floating IP Port Details', 'port_details of the port a floating IP is associated with'],
  ['service-type', 'Neutron Service Type Management', 'GET /v2.0/service-providers'],
  ['availability_zone', 'Availability Zone', 'GET /v2.0/availability_zones: the zones hosts report'],
  ['network_availability_zone', 'Network Availability Zone', 'availability_zone_hints and availability_zones of networks'],
  ['router_availability_zone', 'Router Availability Zone', 'availability_zone_hints and availability_zones of routers'],
  ['dvr', 'Distributed Virtual Router', 'The distributed attribute of routers: every Alcor router is distributed'],
  ['l3-port-ip-change-not-allowed', 'Prevent L3 router ports IP address change', 'Router ports keep their fixed IPs on port updates'],
  ['net-mtu-writable', 'Network MTU (writable)', 'The mtu of a network may be updated'],
  ['port-mac-address-regenerate', 'Neutron Port MAC address regenerate', 'mac_address null on a port update generates a new MAC'],
  ['multi-provider', 'Multi Provider Network', 'segments on network create (one segment per network)'],
];

/** One service provider as Neutron's service-type extension lists it. */
export interface ServiceProvider {
  service_type: string;
  name: string;
  default: boolean;
}

/** The providers behind the services Alcor offers: its own distributed L3 (routers and floating IPs). */
export const SERVICE_PROVIDERS: readonly ServiceProvider[] = [{ service_type: 'L3_ROUTER_NAT', name: 'alcor', default: true }];

/** The implemented extensions, sorted by alias. */
export const EXTENSIONS: readonly Extension[] = IMPLEMENTED.map(([alias, name, description]) => ({
  alias,
  name,
  description,
  updated: UPDATED,
  links: [],
})).sort((a, b) => a.alias.localeCompare(b.alias));

/** One extension by alias, or 404. */
export function getExtension(alias: string): Extension {
  const found = EXTENSIONS.find((e) => e.alias === alias);
  if (!found) throw new ExtensionNotFound(`Extension with alias ${alias} does not exist`);
  return found;
}
