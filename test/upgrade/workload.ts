// API responses are arbitrary JSON.
/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * What the upgrade tests write through one Alcor's API and read back through another's: a realistic
 * two-project deployment (networks, subnets with DNS and host routes, ports with fixed IPs and allowed
 * address pairs, routers with interfaces, gateway and routes, security groups and rules, floating IPs,
 * quotas, tags, a shared and a provider network), every collection as admin sees it, and the
 * field-by-field comparison of two such views.
 */
import assert from 'node:assert/strict';

/** A JSON answer of the API. */
export interface Answer {
  status: number;
  body: any;
}

/** Sends one request; `project` sets X-Project-Id (a member of it), none = admin. */
export type Api = (method: string, path: string, options?: { project?: string; body?: unknown }) => Promise<Answer>;

/** A client of the controller at `url` (noauth). */
export function apiAt(url: string): Api {
  return async (method, path, options = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.project) headers['x-project-id'] = options.project;
    const res = await fetch(`${url}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}

/** The request must succeed; returns its body. */
async function ok(api: Api, method: string, path: string, options: { project?: string; body?: unknown } = {}): Promise<any> {
  const answer = await api(method, path, options);
  assert.ok(answer.status >= 200 && answer.status < 300, `${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** The two tenant projects of the workload. */
export const PROJECTS = ['upgrade-a', 'upgrade-b'] as const;

/** Writes the deployment; returns the external network's id. */
export async function writeDeployment(api: Api): Promise<string> {
  const ext = (await ok(api, 'POST', '/v2.0/networks', { body: { network: { name: 'public', 'router:external': true } } })).network;
  await ok(api, 'POST', '/v2.0/subnets', { body: { subnet: { network_id: ext.id, cidr: '203.0.113.0/24', ip_version: 4, enable_dhcp: false, name: 'public-v4' } } });
  const shared = (await ok(api, 'POST', '/v2.0/networks', { body: { network: { name: 'shared', shared: true, description: 'for every project' } } })).network;
  await ok(api, 'POST', '/v2.0/subnets', { body: { subnet: { network_id: shared.id, cidr: '10.99.0.0/24', ip_version: 4 } } });
  await ok(api, 'POST', '/v2.0/networks', {
    body: { network: { name: 'provider-vlan', 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 100 } },
  });
  for (const [i, project] of PROJECTS.entries()) await writeProject(api, project, i, ext.id);
  return ext.id;
}

async function writeProject(api: Api, project: string, i: number, extId: string): Promise<void> {
  const as = { project };
  const net = (await ok(api, 'POST', '/v2.0/networks', { ...as, body: { network: { name: `web-${i}`, description: 'web tier' } } })).network;
  await ok(api, 'PUT', `/v2.0/networks/${net.id}/tags`, { ...as, body: { tags: ['tier:web', `project:${i}`] } });
  const v4 = (await ok(api, 'POST', '/v2.0/subnets', {
    ...as,
    body: {
      subnet: {
        network_id: net.id, name: `web-${i}-v4`, cidr: `10.${10 + i}.0.0/24`, ip_version: 4, gateway_ip: `10.${10 + i}.0.1`,
        allocation_pools: [{ start: `10.${10 + i}.0.10`, end: `10.${10 + i}.0.200` }],
        dns_nameservers: ['192.0.2.53', '198.51.100.53'],
        host_routes: [{ destination: '172.16.0.0/16', nexthop: `10.${10 + i}.0.254` }],
      },
    },
  })).subnet;
  await ok(api, 'PUT', `/v2.0/subnets/${v4.id}/tags/dns`, as);
  await ok(api, 'POST', '/v2.0/subnets', { ...as, body: { subnet: { network_id: net.id, name: `web-${i}-v6`, cidr: `2001:db8:${i}::/64`, ip_version: 6 } } });
  const db = (await ok(api, 'POST', '/v2.0/networks', { ...as, body: { network: { name: `db-${i}` } } })).network;
  const dbSubnet = (await ok(api, 'POST', '/v2.0/subnets', { ...as, body: { subnet: { network_id: db.id, cidr: `10.${20 + i}.0.0/24`, ip_version: 4 } } })).subnet;

  const sg = (await ok(api, 'POST', '/v2.0/security-groups', { ...as, body: { security_group: { name: 'web', description: 'ssh and http' } } })).security_group;
  await ok(api, 'PUT', `/v2.0/security-groups/${sg.id}/tags`, { ...as, body: { tags: ['managed'] } });
  for (const rule of [
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0' },
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', port_range_min: 8, port_range_max: 0 },
    { direction: 'ingress', ethertype: 'IPv6', protocol: 'tcp', port_range_min: 80, port_range_max: 443, remote_group_id: sg.id, description: 'web peers' },
  ]) {
    await ok(api, 'POST', '/v2.0/security-group-rules', { ...as, body: { security_group_rule: { security_group_id: sg.id, ...rule } } });
  }

  // Binding a port to a host is an admin's (Nova's) call, on the project's behalf.
  const vm = (await ok(api, 'POST', '/v2.0/ports', {
    body: {
      port: {
        project_id: project, network_id: net.id, name: `vm-${i}`, device_owner: 'compute:nova', device_id: `vm-${i}`, 'binding:host_id': 'compute-gone',
        fixed_ips: [{ subnet_id: v4.id, ip_address: `10.${10 + i}.0.50` }],
        allowed_address_pairs: [{ ip_address: `10.${10 + i}.0.201` }, { ip_address: `10.${10 + i}.128.0/24`, mac_address: `fa:16:3e:aa:bb:0${i}` }],
        security_groups: [sg.id],
      },
    },
  })).port;
  await ok(api, 'PUT', `/v2.0/ports/${vm.id}/tags/web`, as);
  await ok(api, 'POST', '/v2.0/ports', { ...as, body: { port: { network_id: net.id, name: `dual-${i}` } } });
  await ok(api, 'POST', '/v2.0/ports', { ...as, body: { port: { network_id: db.id, name: `open-${i}`, port_security_enabled: false, security_groups: [] } } });
  const dbGateway = (await ok(api, 'POST', '/v2.0/ports', { ...as, body: { port: { network_id: db.id, fixed_ips: [{ subnet_id: dbSubnet.id, ip_address: `10.${20 + i}.0.5` }] } } })).port;

  const router = (await ok(api, 'POST', '/v2.0/routers', { ...as, body: { router: { name: `edge-${i}`, external_gateway_info: { network_id: extId } } } })).router;
  await ok(api, 'PUT', `/v2.0/routers/${router.id}/add_router_interface`, { ...as, body: { subnet_id: v4.id } });
  await ok(api, 'PUT', `/v2.0/routers/${router.id}/add_router_interface`, { ...as, body: { port_id: dbGateway.id } });
  await ok(api, 'PUT', `/v2.0/routers/${router.id}`, { ...as, body: { router: { routes: [{ destination: '192.168.50.0/24', nexthop: `10.${10 + i}.0.60` }] } } });
  await ok(api, 'PUT', `/v2.0/routers/${router.id}/tags/edge`, as);
  await ok(api, 'POST', '/v2.0/floatingips', { ...as, body: { floatingip: { floating_network_id: extId, port_id: vm.id, description: 'vm' } } });
  await ok(api, 'POST', '/v2.0/floatingips', { ...as, body: { floatingip: { floating_network_id: extId } } });
  await ok(api, 'PUT', `/v2.0/quotas/${project}`, { body: { quota: { network: 15 + i, port: 120, floatingip: 7, security_group_rule: 200 } } });
}

/** Every collection compared across an upgrade, by its response key. */
const COLLECTIONS = ['networks', 'subnets', 'ports', 'routers', 'floatingips', 'security-groups', 'security-group-rules', 'network-ip-availabilities'];

/** Resources by collection, then by id. */
export type Deployment = Record<string, Map<string, Record<string, unknown>>>;

/** Reads every collection as admin (all projects), and each workload project's quota. */
export async function readDeployment(api: Api): Promise<Deployment> {
  const view: Deployment = {};
  for (const collection of COLLECTIONS) {
    const key = collection.replace(/-/g, '_');
    const items = (await ok(api, 'GET', `/v2.0/${collection}`))[key] as Record<string, unknown>[];
    view[collection] = new Map(items.map((item) => [String(item.id ?? item.network_id), item]));
  }
  view.quotas = new Map();
  for (const project of PROJECTS) view.quotas.set(project, (await ok(api, 'GET', `/v2.0/quotas/${project}`)).quota);
  return view;
}

/**
 * Attributes a release derives from live state instead of storing (Neutron's `availability_zones` come from
 * where things are scheduled): an older release that reported them empty may be followed by one that fills them.
 */
const DERIVED_WHEN_EMPTY = new Set(['availability_zones']);

/**
 * Observed state rather than what a client set: a newer release may derive it differently. 0.1.0 set a
 * floating IP ACTIVE when it was associated; now it is ACTIVE once its port's host has programmed it, and
 * DOWN after an upgrade until that host's agent is back.
 */
const OBSERVED: Record<string, ReadonlySet<string>> = { floatingips: new Set(['status']) };

/** `after` keeps `before`: equal, or an object with every key of `before` kept (a newer version may add keys). */
function kept(before: unknown, after: unknown): boolean {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(before) && isObject(after)) return Object.entries(before).every(([key, value]) => kept(value, after[key]));
  return JSON.stringify(before) === JSON.stringify(after);
}

/**
 * Lists every difference between `before` and `after`: a resource missing, or a field of it changed or
 * gone. Fields only `after` has are allowed (a newer version may add attributes, also inside an object
 * such as `binding:vif_details`); so are resources only `after` has when `allowNew` is set (created
 * since), and then the IP availabilities, which count them.
 */
export function differences(before: Deployment, after: Deployment, allowNew = false): string[] {
  const found: string[] = [];
  for (const [collection, items] of Object.entries(before)) {
    if (allowNew && collection === 'network-ip-availabilities') continue;
    const later = after[collection] ?? new Map();
    for (const [id, item] of items) {
      const now = later.get(id);
      if (!now) {
        found.push(`${collection} ${id}: missing`);
        continue;
      }
      for (const [field, value] of Object.entries(item)) {
        if (DERIVED_WHEN_EMPTY.has(field) && Array.isArray(value) && value.length === 0) continue;
        if (OBSERVED[collection]?.has(field)) continue;
        if (!kept(value, now[field])) found.push(`${collection} ${id} ${field}: ${JSON.stringify(value)} -> ${JSON.stringify(now[field])}`);
      }
    }
    if (!allowNew) for (const id of later.keys()) if (!items.has(id)) found.push(`${collection} ${id}: new`);
  }
  return found;
}

/** A project with its own large network and no port quota, for a port-create workload; returns the network's id. */
export async function loadNetwork(api: Api, project: string): Promise<string> {
  await ok(api, 'PUT', `/v2.0/quotas/${project}`, { body: { quota: { port: -1 } } });
  const net = (await ok(api, 'POST', '/v2.0/networks', { project, body: { network: { name: 'load' } } })).network;
  await ok(api, 'POST', '/v2.0/subnets', { project, body: { subnet: { network_id: net.id, cidr: '10.128.0.0/16', ip_version: 4 } } });
  return String(net.id);
}

/** Creates resources on the upgraded controller that draw from every allocator (segments, IPs, MACs, floating IPs). */
export async function allocateMore(api: Api, extId: string, before: Deployment): Promise<void> {
  for (const project of PROJECTS) {
    const net = (await ok(api, 'POST', '/v2.0/networks', { project, body: { network: { name: 'after-upgrade' } } })).network;
    await ok(api, 'POST', '/v2.0/subnets', { project, body: { subnet: { network_id: net.id, cidr: '10.77.0.0/24', ip_version: 4 } } });
  }
  await ok(api, 'POST', '/v2.0/networks', { body: { network: { name: 'vlan-after', 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1' } } });
  for (const network of before.networks?.values() ?? []) {
    if (network['router:external'] || network['provider:network_type'] === 'vlan') continue;
    for (let n = 0; n < 3; n++) await ok(api, 'POST', '/v2.0/ports', { project: network.project_id === 'admin' ? undefined : String(network.project_id), body: { port: { network_id: network.id } } });
  }
  await ok(api, 'POST', '/v2.0/floatingips', { project: PROJECTS[0], body: { floatingip: { floating_network_id: extId } } });
}

/** Values that must be unique across the whole deployment: segments, MACs, IPs per subnet, floating IPs. */
export function collisions(view: Deployment): string[] {
  const seen = new Map<string, string>();
  const found: string[] = [];
  const claim = (value: string, owner: string) => {
    const other = seen.get(value);
    if (other !== undefined) found.push(`${value} is held by ${other} and ${owner}`);
    else seen.set(value, owner);
  };
  for (const [id, n] of view.networks ?? []) {
    if (n['provider:segmentation_id'] != null) claim(`segment ${n['provider:network_type']}/${n['provider:physical_network'] ?? ''}/${n['provider:segmentation_id']}`, `network ${id}`);
  }
  for (const [id, p] of view.ports ?? []) {
    claim(`mac ${p.mac_address}`, `port ${id}`);
    for (const ip of p.fixed_ips as { subnet_id: string; ip_address: string }[]) claim(`ip ${ip.subnet_id}/${ip.ip_address}`, `port ${id}`);
  }
  for (const [id, f] of view.floatingips ?? []) claim(`floating ip ${f.floating_ip_address}`, `floating ip ${id}`);
  return found;
}
