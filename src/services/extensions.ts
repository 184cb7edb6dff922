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
  ['agent', 'agent', 'The agents resource: hosts registered by their Alcor agents'],
  ['allowed-address-pairs', 'Allowed Address Pairs', 'Extra MAC/IP pairs a port may send from'],
  ['binding', 'Port Binding', 'Host, VNIC and VIF type of a port'],
  ['binding-extended', 'Port Bindings Extended', 'Multiple bindings per port (/ports/{id}/bindings), for live migration'],
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
  ['revision-if-match', 'If-Match constraints based on revision_number', 'If-Match: revision_number=N on updates and deletes'],
  ['router', 'Neutron L3 Router', 'Routers, router interfaces and floating IPs'],
  ['security-group', 'security-group', 'Security groups and rules'],
  ['sorting', 'Sorting support', 'sort_key and sort_dir on list requests'],
  ['standard-attr-description', 'standard-attr-description', 'description on every resource'],
  ['standard-attr-revisions', 'Resource revision numbers', 'revision_number on every resource'],
  ['standard-attr-tag', 'Tag support for resources with standard attribute', 'The /tags sub-resource and tag filters'],
  ['standard-attr-timestamp', 'Resource timestamps', 'created_at and updated_at on every resource'],
  ['stateful-security-group', 'Stateful security group', 'The stateful attribute of security groups'],
  ['tag-ports-during-bulk-creation', 'Tag Ports During Bulk Creation', 'tags in the body of port creates'],
];

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
