/**
 * A synthetic Neutron export with the shapes of the Zed fixture (test data for `alcor bench migrate`):
 * tenants with the `default` group and a web group (the fixture's rule kinds), VXLAN networks each with
 * an IPv4 subnet and a SLAAC IPv6 subnet, compute ports with a v4 address and their EUI-64 v6 address,
 * bindings, some allowed address pairs, extra DHCP options and tags, one router per tenant with an
 * interface per network and a gateway on a flat external network, floating IPs, and quota overrides.
 */
import { formatIp, parseCidr, type Cidr } from '../domain/ip.js';
import { eui64Address } from '../domain/subnet.js';
import type { NeutronExport, NeutronPort, NeutronRule } from '../migrate/neutron-types.js';

/** What to generate. */
export interface MigrateExportOptions {
  /** Compute ports (router and floating-IP ports come on top). */
  ports: number;
  /** Compute ports per network. @default 250 */
  portsPerNetwork?: number;
  /** Tenants. @default 10 */
  projects?: number;
  /** One floating IP per this many compute ports. @default 100 */
  portsPerFloatingIp?: number;
}

const STAMP = '2026-11-24T02:41:28Z';

function uuid(kind: number, n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `${kind.toString(16).padStart(8, '0')}-0000-4000-8000-${hex}`;
}

function mac(n: number): string {
  return ['fa', '16', '3e', (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff].map((o) => (typeof o === 'string' ? o : o.toString(16).padStart(2, '0'))).join(':');
}

function v4(a: number, b: number, c: number, d: number): string {
  return `${a}.${b}.${c}.${d}`;
}

function rule(id: string, group: string, project: string, fields: Partial<NeutronRule>): NeutronRule {
  return {
    id, security_group_id: group, project_id: project, tenant_id: project, direction: 'ingress', ethertype: 'IPv4', protocol: null,
    port_range_min: null, port_range_max: null, remote_ip_prefix: null, remote_group_id: null, description: null,
    revision_number: 0, created_at: STAMP, updated_at: STAMP, ...fields,
  };
}

/** Builds the export in memory. */
export function generateNeutronExport(options: MigrateExportOptions): NeutronExport {
  const perNetwork = options.portsPerNetwork ?? 250;
  const projects = options.projects ?? 10;
  const perFip = options.portsPerFloatingIp ?? 100;
  const exp: NeutronExport = {
    networks: [], subnets: [], ports: [], securityGroups: [], securityGroupRules: [], routers: [], floatingIps: [], rbacPolicies: [], quotas: [],
    quotaDefaults: { network: 1000, subnet: 1000, port: 100000, router: 1000, floatingip: 50, security_group: 1000, security_group_rule: 10000 },
  };
  let ids = 0;
  let macs = 0;
  const next = (kind: number) => uuid(kind, ++ids);
  const std = { revision_number: 2, created_at: STAMP, updated_at: STAMP, tags: [] as string[] };
  // The external network and its subnet (198.18.0.0/15 holds every gateway and floating IP).
  const publicId = next(1);
  const publicSubnet = next(2);
  exp.networks.push({ id: publicId, name: 'public', project_id: 'p-admin', tenant_id: 'p-admin', admin_state_up: true, shared: false, 'router:external': true, mtu: 1500, port_security_enabled: true, 'provider:network_type': 'flat', 'provider:physical_network': 'physnet-ext', 'provider:segmentation_id': null, description: '', ...std, tags: ['external'] });
  exp.subnets.push({ id: publicSubnet, name: 'public-subnet', project_id: 'p-admin', network_id: publicId, ip_version: 4, cidr: '198.18.0.0/15', gateway_ip: '198.18.0.1', enable_dhcp: false, allocation_pools: [{ start: '198.18.0.2', end: '198.19.255.254' }], dns_nameservers: [], host_routes: [], description: '', ...std });
  exp.rbacPolicies.push({ id: next(9), project_id: 'p-admin', object_type: 'network', object_id: publicId, action: 'access_as_external', target_tenant: '*' });
  let publicNext = 2;
  const publicIp = () => {
    publicNext++;
    return v4(198, 18 + (publicNext >> 16), (publicNext >> 8) & 0xff, publicNext & 0xff);
  };
  const networkCount = Math.max(1, Math.ceil(options.ports / perNetwork));
  const tenants = Array.from({ length: projects }, (_, i) => `p-bench-${String(i).padStart(2, '0')}`);
  const groups = new Map<string, { def: string; web: string; router: string; interfaces: number }>();
  for (const project of tenants) {
    const def = next(3);
    const web = next(3);
    const router = next(5);
    groups.set(project, { def, web, router, interfaces: 0 });
    exp.securityGroups.push({ id: def, name: 'default', project_id: project, tenant_id: project, description: 'Default security group', stateful: true, ...std });
    exp.securityGroups.push({ id: web, name: 'web', project_id: project, tenant_id: project, description: '', stateful: true, ...std, tags: ['managed-by:heat'] });
    for (const ethertype of ['IPv4', 'IPv6'] as const) {
      exp.securityGroupRules.push(rule(next(4), def, project, { direction: 'egress', ethertype }));
      exp.securityGroupRules.push(rule(next(4), def, project, { ethertype, remote_group_id: def }));
      exp.securityGroupRules.push(rule(next(4), web, project, { direction: 'egress', ethertype }));
    }
    exp.securityGroupRules.push(rule(next(4), web, project, { protocol: 'tcp', port_range_min: 443, port_range_max: 443, remote_ip_prefix: '0.0.0.0/0', description: '' }));
    exp.securityGroupRules.push(rule(next(4), web, project, { protocol: 'icmp', port_range_min: 8, port_range_max: 0, remote_ip_prefix: '0.0.0.0/0', description: '' }));
    exp.securityGroupRules.push(rule(next(4), web, project, { protocol: '47', remote_ip_prefix: '10.0.0.0/8', description: '' }));
    exp.routers.push({ id: router, name: `${project}-router`, project_id: project, tenant_id: project, admin_state_up: true, status: 'ACTIVE', distributed: false, ha: false, external_gateway_info: null, routes: [], description: '', ...std });
  }
  const gatewayIps = new Map<string, string>();
  for (const r of exp.routers) {
    const ip = publicIp();
    gatewayIps.set(r.id, ip);
    r.external_gateway_info = { network_id: publicId, enable_snat: true, external_fixed_ips: [{ subnet_id: publicSubnet, ip_address: ip }] };
    exp.ports.push(servicePort(next(6), '', publicId, mac(++macs), 'network:router_gateway', r.id, [{ subnet_id: publicSubnet, ip_address: ip }]));
  }
  let vm = 0;
  for (let n = 0; n < networkCount; n++) {
    const project = tenants[n % tenants.length] as string;
    const g = groups.get(project) as { def: string; web: string; router: string; interfaces: number };
    const netId = next(1);
    const v4Id = next(2);
    const v6Id = next(2);
    const [hi, lo] = [(n >> 7) & 0xff, (n << 1) & 0xff];
    const v6Cidr = parseCidr(`fd00:${n.toString(16)}::/64`, false) as Cidr;
    exp.networks.push({ id: netId, name: `net-${n}`, project_id: project, tenant_id: project, admin_state_up: true, shared: false, 'router:external': false, mtu: 1450, port_security_enabled: true, 'provider:network_type': 'vxlan', 'provider:physical_network': null, 'provider:segmentation_id': 1000 + n, description: '', ...std });
    exp.subnets.push({ id: v4Id, name: `net-${n}-v4`, project_id: project, network_id: netId, ip_version: 4, cidr: `10.${hi}.${lo}.0/23`, gateway_ip: v4(10, hi, lo, 1), enable_dhcp: true, allocation_pools: [{ start: v4(10, hi, lo, 2), end: v4(10, hi, lo + 1, 254) }], dns_nameservers: ['192.0.2.53', '198.51.100.53'], host_routes: [{ destination: '172.16.0.0/16', nexthop: v4(10, hi, lo, 254) }], description: '', ...std });
    exp.subnets.push({ id: v6Id, name: `net-${n}-v6`, project_id: project, network_id: netId, ip_version: 6, cidr: formatCidrText(v6Cidr), gateway_ip: formatIp({ version: 6, value: v6Cidr.network }), enable_dhcp: true, ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac', allocation_pools: [{ start: formatIp({ version: 6, value: v6Cidr.network + 1n }), end: formatIp({ version: 6, value: v6Cidr.network + 0xffffffffffffffffn }) }], dns_nameservers: [], host_routes: [], description: '', ...std });
    // The router's interface on the IPv4 subnet takes the gateway address.
    exp.ports.push(servicePort(next(6), project, netId, mac(++macs), 'network:router_interface', g.router, [{ subnet_id: v4Id, ip_address: v4(10, hi, lo, 1) }]));
    const count = Math.min(perNetwork, options.ports - vm);
    for (let i = 0; i < count; i++, vm++) {
      const m = mac(++macs);
      const host = 2 + i;
      const ip = v4(10, hi, lo + (host >> 8), host & 0xff);
      const port: NeutronPort = {
        id: next(7), name: `vm-${vm}`, project_id: project, tenant_id: project, network_id: netId, mac_address: m, admin_state_up: true, status: 'ACTIVE',
        device_id: uuid(8, vm), device_owner: 'compute:nova',
        fixed_ips: [{ subnet_id: v4Id, ip_address: ip }, { subnet_id: v6Id, ip_address: formatIp({ version: 6, value: eui64Address(v6Cidr, m) }) }],
        allowed_address_pairs: vm % 10 === 0 ? [{ ip_address: v4(10, hi, lo + 1, 250), mac_address: m }] : [],
        extra_dhcp_opts: vm % 50 === 0 ? [{ opt_name: 'bootfile-name', opt_value: 'pxelinux.0', ip_version: 4 }] : [],
        security_groups: vm % 3 === 0 ? [g.def, g.web] : [g.def], port_security_enabled: true,
        'binding:host_id': `compute-${String(vm % 100).padStart(2, '0')}`, 'binding:vnic_type': 'normal', 'binding:profile': {},
        description: '', ...std, tags: vm % 20 === 0 ? ['role:web'] : [],
      };
      exp.ports.push(port);
      if (vm % perFip === 0) {
        const fipId = next(10);
        const address = publicIp();
        exp.ports.push(servicePort(next(6), '', publicId, mac(++macs), 'network:floatingip', fipId, [{ subnet_id: publicSubnet, ip_address: address }]));
        exp.floatingIps.push({ id: fipId, project_id: project, tenant_id: project, floating_ip_address: address, floating_network_id: publicId, port_id: port.id, fixed_ip_address: ip, router_id: g.router, status: 'ACTIVE', description: '', ...std });
      }
    }
  }
  exp.quotas.push({ project_id: tenants[0] as string, limits: { network: 10, subnet: 20, port: 60000, router: 2, floatingip: 500, security_group: 10, security_group_rule: 100 } });
  return exp;
}

function formatCidrText(cidr: Cidr): string {
  return `${formatIp({ version: cidr.version, value: cidr.network })}/${cidr.prefixLength}`;
}

function servicePort(id: string, project: string, network: string, m: string, owner: string, device: string, fixed: NeutronPort['fixed_ips']): NeutronPort {
  return {
    id, name: '', project_id: project, tenant_id: project, network_id: network, mac_address: m, admin_state_up: true, status: 'ACTIVE', device_id: device,
    device_owner: owner, fixed_ips: fixed, allowed_address_pairs: [], extra_dhcp_opts: [], security_groups: [], port_security_enabled: false,
    'binding:host_id': '', 'binding:vnic_type': 'normal', 'binding:profile': {}, description: '', revision_number: 1, created_at: STAMP, updated_at: STAMP, tags: [],
  };
}
