/**
 * The comparable form of every resource kind: the fields a migration must carry, with Neutron's
 * unordered lists (tags, security groups, routes, pairs, options, fixed IPs) sorted and addresses in
 * canonical text. The same function turns a Neutron answer and Alcor's own API view into records that
 * are equal exactly when nothing that matters differs. Left out on purpose, because the data plane
 * owns them and they differ by design after a move: `status`, `binding:vif_type`, `binding:vif_details`
 * (Neutron reports `binding_failed`/`ovs`/`ovn`, Alcor `ovs` once bound) and derived lists such as a
 * network's `subnets`. A rule `description` of `null` (rules Neutron made itself) compares equal to `""`.
 */
import { formatCidr, normalizeIp, parseCidr } from '../domain/ip.js';

/** One resource in comparable form. */
export type Canonical = Record<string, unknown>;

/** The resource kinds the migration imports, in dependency order. */
export const KINDS = ['security_group', 'security_group_rule', 'network', 'subnet', 'router', 'port', 'floatingip', 'quota', 'rbac_policy'] as const;

/** One resource kind (also its outbox `resource_type`). */
export type Kind = (typeof KINDS)[number];

type Obj = Record<string, unknown>;

const CANONICAL_V4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const ipCache = new Map<string, string>();

function ip(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  // Dotted-quad without leading zeros is already canonical; everything else is parsed once and cached.
  if (CANONICAL_V4.test(text)) return text;
  let canonical = ipCache.get(text);
  if (canonical === undefined) {
    canonical = normalizeIp(text) ?? text;
    if (ipCache.size > 1_000_000) ipCache.clear();
    ipCache.set(text, canonical);
  }
  return canonical;
}

function prefix(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  if (!text.includes('/')) return ip(text);
  const cidr = parseCidr(text, false);
  return typeof cidr === 'string' ? text : formatCidr(cidr);
}

function sorted<T>(items: readonly T[] | undefined | null): T[] {
  if (!items || items.length === 0) return [];
  if (items.length === 1) return [...items];
  const keyed = items.map((item) => [typeof item === 'string' ? item : JSON.stringify(item), item] as const);
  keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return keyed.map(([, item]) => item);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Obj)[k])]));
  }
  return value;
}

function standard(r: Obj): Obj {
  const project = r.project_id ?? r.tenant_id ?? '';
  return {
    project_id: project,
    tenant_id: r.tenant_id ?? project,
    tags: sorted((r.tags as string[] | undefined) ?? []),
    // A Neutron without the revisions or timestamp extensions has none of these: then they are not compared.
    ...(r.revision_number === undefined ? {} : { revision_number: r.revision_number }),
    ...(r.created_at === undefined ? {} : { created_at: r.created_at }),
    ...(r.updated_at === undefined ? {} : { updated_at: r.updated_at }),
  };
}

function routes(list: unknown): unknown[] {
  return sorted(((list as Obj[] | undefined) ?? []).map((r) => ({ destination: prefix(r.destination), nexthop: ip(r.nexthop) })));
}

/** A network. */
export function canonicalNetwork(n: Obj): Canonical {
  const physnet = n['provider:physical_network'];
  return {
    id: n.id, name: n.name, description: n.description ?? '', ...standard(n),
    admin_state_up: n.admin_state_up, shared: n.shared, 'router:external': n['router:external'] ?? false,
    mtu: n.mtu, port_security_enabled: n.port_security_enabled ?? true,
    'provider:network_type': n['provider:network_type'] ?? null,
    'provider:physical_network': physnet === '' || physnet === undefined ? null : physnet,
    'provider:segmentation_id': n['provider:segmentation_id'] ?? null,
  };
}

/** A subnet (dns_nameservers keep their order: it is meaningful). */
export function canonicalSubnet(s: Obj): Canonical {
  return {
    id: s.id, name: s.name, description: s.description ?? '', ...standard(s),
    network_id: s.network_id, ip_version: s.ip_version, cidr: prefix(s.cidr), gateway_ip: ip(s.gateway_ip ?? null),
    enable_dhcp: s.enable_dhcp, ipv6_ra_mode: s.ipv6_ra_mode ?? null, ipv6_address_mode: s.ipv6_address_mode ?? null,
    allocation_pools: sorted(((s.allocation_pools as Obj[] | undefined) ?? []).map((p) => ({ start: ip(p.start), end: ip(p.end) }))),
    dns_nameservers: ((s.dns_nameservers as string[] | undefined) ?? []).map(ip),
    host_routes: routes(s.host_routes),
  };
}

/** A port (fixed IPs as a set of subnet/address pairs). */
export function canonicalPort(p: Obj): Canonical {
  const mac = String(p.mac_address).toLowerCase();
  return {
    id: p.id, name: p.name, description: p.description ?? '', ...standard(p),
    network_id: p.network_id, mac_address: mac, admin_state_up: p.admin_state_up,
    device_id: p.device_id ?? '', device_owner: p.device_owner ?? '',
    fixed_ips: sorted(((p.fixed_ips as Obj[] | undefined) ?? []).map((f) => ({ subnet_id: f.subnet_id, ip_address: ip(f.ip_address) }))),
    allowed_address_pairs: sorted(((p.allowed_address_pairs as Obj[] | undefined) ?? []).map((a) => ({
      ip_address: prefix(a.ip_address), mac_address: String(a.mac_address ?? mac).toLowerCase(),
    }))),
    extra_dhcp_opts: sorted(((p.extra_dhcp_opts as Obj[] | undefined) ?? []).map((o) => ({
      opt_name: o.opt_name, opt_value: o.opt_value, ip_version: o.ip_version ?? 4,
    }))),
    security_groups: sorted((p.security_groups as string[] | undefined) ?? []),
    port_security_enabled: p.port_security_enabled ?? true,
    'binding:host_id': p['binding:host_id'] ?? '',
    'binding:vnic_type': p['binding:vnic_type'] ?? 'normal',
    'binding:profile': sortKeys(p['binding:profile'] ?? {}),
  };
}

/** A security group without its rules (rules are their own kind). */
export function canonicalSecurityGroup(g: Obj): Canonical {
  return { id: g.id, name: g.name, description: g.description ?? '', ...standard(g), stateful: g.stateful ?? true };
}

/** A security group rule. */
export function canonicalRule(r: Obj): Canonical {
  const { tags: _tags, ...rest } = standard(r);
  return {
    id: r.id, security_group_id: r.security_group_id, ...rest, description: r.description ?? '',
    direction: r.direction, ethertype: r.ethertype, protocol: r.protocol === null || r.protocol === undefined ? null : String(r.protocol),
    port_range_min: r.port_range_min ?? null, port_range_max: r.port_range_max ?? null,
    remote_ip_prefix: prefix(r.remote_ip_prefix ?? null), remote_group_id: r.remote_group_id ?? null,
  };
}

/** A router; extra routes as a set, gateway with its external fixed IPs. */
export function canonicalRouter(r: Obj): Canonical {
  const gw = r.external_gateway_info as Obj | null | undefined;
  return {
    id: r.id, name: r.name, description: r.description ?? '', ...standard(r),
    admin_state_up: r.admin_state_up, distributed: r.distributed ?? false, ha: r.ha ?? false,
    external_gateway_info: gw
      ? {
          network_id: gw.network_id,
          enable_snat: gw.enable_snat ?? true,
          external_fixed_ips: sorted(((gw.external_fixed_ips as Obj[] | undefined) ?? []).map((f) => ({ subnet_id: f.subnet_id, ip_address: ip(f.ip_address) }))),
        }
      : null,
    routes: routes(r.routes),
  };
}

/** A floating IP with its association. */
export function canonicalFloatingIp(f: Obj): Canonical {
  return {
    id: f.id, description: f.description ?? '', ...standard(f),
    floating_ip_address: ip(f.floating_ip_address), floating_network_id: f.floating_network_id,
    port_id: f.port_id ?? null, fixed_ip_address: ip(f.fixed_ip_address ?? null), router_id: f.router_id ?? null,
  };
}

/** A project's quota overrides (only limits that differ from the defaults). */
export function canonicalQuota(projectId: string, overrides: Record<string, number>): Canonical {
  return { id: projectId, overrides: sortKeys(overrides) };
}

/** An RBAC policy. */
export function canonicalRbac(p: Obj): Canonical {
  return {
    id: p.id, project_id: p.project_id ?? p.tenant_id ?? '', object_type: p.object_type, object_id: p.object_id,
    action: p.action, target_tenant: p.target_tenant,
  };
}

/** Field-by-field differences of two records of one resource: `[field, neutron, alcor]`, over Neutron's fields. */
export function diffFields(neutron: Canonical, alcor: Canonical): [string, unknown, unknown][] {
  const out: [string, unknown, unknown][] = [];
  for (const key of Object.keys(neutron)) {
    const a = JSON.stringify(neutron[key] ?? null);
    const b = JSON.stringify(alcor[key] ?? null);
    if (a !== b) out.push([key, neutron[key] ?? null, alcor[key] ?? null]);
  }
  return out;
}
