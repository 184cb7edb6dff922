/**
 * Writes networks, subnets and ports exactly as Neutron has them (ids, owners, MACs, addresses,
 * segments, revisions, timestamps) in the caller's transaction, with an outbox record per resource.
 * Every check runs before the first statement of a resource, so a conflict leaves nothing behind.
 */
import type { ServerConfig } from '../config.js';
import { normalizeIp, parseCidr, parseIp, cidrsOverlap, type Cidr } from '../domain/ip.js';
import { validateDnsNameservers, validateHostRoutes, validatePools } from '../domain/subnet.js';
import { normalizeAddressPairs, normalizeExtraDhcpOpts, normalizeMac } from '../domain/port.js';
import { appendChange } from '../store/outbox.js';
import type { Queryable } from '../store/store.js';
import { MigrationConflict } from './conflicts.js';
import { ownerOf, type NeutronNetwork, type NeutronPort, type NeutronSubnet } from './neutron-types.js';
import { setTags, stamp } from './write-common.js';

const bit = (v: boolean | undefined, dflt: boolean): number => ((v ?? dflt) ? 1 : 0);

async function exists(tx: Queryable, table: string, id: string): Promise<boolean> {
  return (await tx.get(`SELECT 1 AS x FROM ${table} WHERE id = ?`, [id])) !== undefined;
}

/** Checks that Alcor can carry the network's segment: a supported type, inside the configured ranges, not taken. */
async function checkSegment(tx: Queryable, config: ServerConfig, n: NeutronNetwork): Promise<{ type: string; physnet: string; id: number | null }> {
  if (n.segments !== undefined) throw new MigrationConflict('unsupported', `network ${n.id} has several segments; Alcor networks have one`);
  const type = n['provider:network_type'] ?? 'vxlan';
  const physnet = n['provider:physical_network'] ?? '';
  const id = n['provider:segmentation_id'] ?? null;
  const range =
    type === 'vxlan' ? config.vxlanRange : type === 'vlan' ? config.vlanRanges.get(physnet) : undefined;
  if (type === 'flat') {
    if (!config.flatNetworks.has(physnet)) {
      throw new MigrationConflict('segment-out-of-range', `network ${n.id}: flat physical network '${physnet}' is not in Alcor's flat networks (${[...config.flatNetworks].join(', ')}); add it to ALCOR_FLAT_NETWORKS`);
    }
  } else if (type === 'vxlan' || type === 'vlan') {
    if (id === null || !range || id < range.min || id > range.max) {
      const where = type === 'vlan' ? `VLAN ranges of ${physnet || '(no physnet)'}` : 'VXLAN range';
      const shown = range ? `${range.min}:${range.max}` : 'none';
      throw new MigrationConflict('segment-out-of-range', `network ${n.id}: ${type} segmentation id ${String(id)} is outside Alcor's ${where} (${shown}); widen ${type === 'vlan' ? 'ALCOR_VLAN_RANGES' : 'ALCOR_VXLAN_RANGE'}`);
    }
  } else {
    throw new MigrationConflict('unsupported', `network ${n.id}: network type '${type}' is not supported by Alcor (vxlan, vlan, flat)`);
  }
  const holder = await tx.get<{ id: string }>(
    type === 'flat'
      ? 'SELECT id FROM networks WHERE network_type = ? AND physical_network = ? AND id <> ?'
      : 'SELECT id FROM networks WHERE network_type = ? AND physical_network = ? AND segmentation_id = ? AND id <> ?',
    type === 'flat' ? [type, physnet, n.id] : [type, physnet, id, n.id],
  );
  if (holder) throw new MigrationConflict('segment-in-use', `network ${n.id}: ${type} segment ${physnet}${id === null ? '' : ` ${id}`} is already used by Alcor network ${holder.id}`);
  return { type, physnet, id };
}

/** Creates or overwrites one network. */
export async function writeNetwork(tx: Queryable, config: ServerConfig, n: NeutronNetwork, create: boolean): Promise<void> {
  if (create && (await exists(tx, 'networks', n.id))) throw new MigrationConflict('same-id-different-content', `network ${n.id} appeared in Alcor meanwhile`);
  const seg = await checkSegment(tx, config, n);
  const values = [
    ownerOf(n), n.name, n.description ?? '', bit(n.admin_state_up, true), bit(n.shared, false), bit(n['router:external'], false),
    n.mtu ?? (seg.type === 'vxlan' ? config.globalMtu - 50 : config.globalMtu), bit(n.port_security_enabled, true),
    seg.type, seg.physnet, seg.id, n.revision_number ?? 0, stamp(n.created_at), stamp(n.updated_at), n.id,
  ];
  if (create) {
    await tx.run(
      `INSERT INTO networks (project_id, name, description, admin_state_up, shared, router_external, mtu, port_security_enabled,
         network_type, physical_network, segmentation_id, revision_number, created_at, updated_at, id, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ACTIVE')`,
      values,
    );
  } else {
    await tx.run(
      `UPDATE networks SET project_id = ?, name = ?, description = ?, admin_state_up = ?, shared = ?, router_external = ?, mtu = ?,
         port_security_enabled = ?, network_type = ?, physical_network = ?, segmentation_id = ?, revision_number = ?, created_at = ?,
         updated_at = ? WHERE id = ?`,
      values,
    );
  }
  await setTags(tx, 'networks', n.id, n.tags);
  await appendChange(tx, 'network', n.id, create ? 'create' : 'update');
}

function subnetCidr(s: NeutronSubnet): Cidr {
  const cidr = parseCidr(s.cidr, false);
  if (typeof cidr === 'string' || cidr.version !== s.ip_version) throw new MigrationConflict('invalid', `subnet ${s.id}: '${s.cidr}' is not an IPv${s.ip_version} CIDR`);
  return cidr;
}

/** Creates or overwrites one subnet; its network must be in Alcor and no other subnet of it may overlap. */
export async function writeSubnet(tx: Queryable, s: NeutronSubnet, create: boolean): Promise<void> {
  if (create && (await exists(tx, 'subnets', s.id))) throw new MigrationConflict('same-id-different-content', `subnet ${s.id} appeared in Alcor meanwhile`);
  if (!(await exists(tx, 'networks', s.network_id))) {
    throw new MigrationConflict('missing-dependency', `subnet ${s.id}: its network ${s.network_id} is not in Alcor (see that network's conflict)`);
  }
  const cidr = subnetCidr(s);
  // Alcor's IPAM relies on pools inside the subnet, apart from each other and from the gateway: the
  // same rules Neutron applies, checked again so a hand-edited Neutron database cannot slip through.
  try {
    const gateway = s.gateway_ip === null ? null : (parseIp(s.gateway_ip)?.value ?? null);
    validatePools(s.allocation_pools, cidr, gateway);
    validateDnsNameservers(s.dns_nameservers ?? []);
    validateHostRoutes(s.host_routes ?? [], cidr.version);
  } catch (err) {
    throw new MigrationConflict('invalid', `subnet ${s.id}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const others = await tx.all<{ id: string; cidr: string }>('SELECT id, cidr FROM subnets WHERE network_id = ? AND id <> ?', [s.network_id, s.id]);
  for (const other of others) {
    const o = parseCidr(other.cidr, false);
    if (typeof o !== 'string' && cidrsOverlap(cidr, o)) {
      throw new MigrationConflict('in-use', `subnet ${s.id} (${s.cidr}) overlaps Alcor subnet ${other.id} (${other.cidr}) on network ${s.network_id}`);
    }
  }
  const pools = JSON.stringify(s.allocation_pools.map((p) => ({ start: normalizeIp(p.start) ?? p.start, end: normalizeIp(p.end) ?? p.end })));
  const current = create ? undefined : await tx.get<{ allocation_pools: string; ipam_cursor: string | null }>('SELECT allocation_pools, ipam_cursor FROM subnets WHERE id = ?', [s.id]);
  // The IPAM cursor stays valid only while the pools are the same.
  const cursor = current && current.allocation_pools === pools ? current.ipam_cursor : null;
  const values = [
    ownerOf(s), s.network_id, s.name, s.description ?? '', s.ip_version, s.cidr, s.gateway_ip === null ? null : (normalizeIp(s.gateway_ip) ?? s.gateway_ip),
    s.enable_dhcp ? 1 : 0, s.ipv6_ra_mode ?? null, s.ipv6_address_mode ?? null, pools, JSON.stringify(s.dns_nameservers ?? []),
    JSON.stringify(s.host_routes ?? []), cursor, s.revision_number ?? 0, stamp(s.created_at), stamp(s.updated_at), s.id,
  ];
  if (create) {
    await tx.run(
      `INSERT INTO subnets (project_id, network_id, name, description, ip_version, cidr, gateway_ip, enable_dhcp, ipv6_ra_mode,
         ipv6_address_mode, allocation_pools, dns_nameservers, host_routes, ipam_cursor, revision_number, created_at, updated_at, id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      values,
    );
  } else {
    await tx.run(
      `UPDATE subnets SET project_id = ?, network_id = ?, name = ?, description = ?, ip_version = ?, cidr = ?, gateway_ip = ?, enable_dhcp = ?,
         ipv6_ra_mode = ?, ipv6_address_mode = ?, allocation_pools = ?, dns_nameservers = ?, host_routes = ?, ipam_cursor = ?,
         revision_number = ?, created_at = ?, updated_at = ? WHERE id = ?`,
      values,
    );
  }
  await setTags(tx, 'subnets', s.id, s.tags);
  await appendChange(tx, 'subnet', s.id, create ? 'create' : 'update');
}

function invalid(portId: string, err: unknown): never {
  throw new MigrationConflict('invalid', `port ${portId}: ${err instanceof Error ? err.message : String(err)}`);
}

/** Checks a port against Alcor's state: network, subnets, groups present; MAC and IPs not held by other ports. */
async function checkPort(tx: Queryable, p: NeutronPort): Promise<{ mac: string; ips: { subnet: string; ip: string }[] }> {
  let mac: string;
  try {
    mac = normalizeMac(p.mac_address);
  } catch (err) {
    invalid(p.id, err);
  }
  if (!(await exists(tx, 'networks', p.network_id))) {
    throw new MigrationConflict('missing-dependency', `port ${p.id}: its network ${p.network_id} is not in Alcor`);
  }
  const macHolder = await tx.get<{ id: string }>('SELECT id FROM ports WHERE network_id = ? AND mac_address = ? AND id <> ?', [p.network_id, mac, p.id]);
  if (macHolder) throw new MigrationConflict('mac-in-use', `port ${p.id}: MAC ${mac} is held by Alcor port ${macHolder.id} on network ${p.network_id}`);
  const ips: { subnet: string; ip: string }[] = [];
  for (const f of p.fixed_ips) {
    const subnet = await tx.get<{ network_id: string }>('SELECT network_id FROM subnets WHERE id = ?', [f.subnet_id]);
    if (!subnet || subnet.network_id !== p.network_id) {
      throw new MigrationConflict('missing-dependency', `port ${p.id}: subnet ${f.subnet_id} of fixed IP ${f.ip_address} is not in Alcor on network ${p.network_id}`);
    }
    const ip = normalizeIp(f.ip_address);
    if (ip === undefined) invalid(p.id, `fixed IP '${f.ip_address}' is not an address`);
    const holder = await tx.get<{ port_id: string }>('SELECT port_id FROM ip_allocations WHERE subnet_id = ? AND ip_address = ? AND port_id <> ?', [f.subnet_id, ip, p.id]);
    if (holder) throw new MigrationConflict('ip-in-use', `port ${p.id}: IP ${ip} of subnet ${f.subnet_id} is held by Alcor port ${holder.port_id}`);
    ips.push({ subnet: f.subnet_id, ip });
  }
  for (const group of p.security_groups ?? []) {
    if (!(await exists(tx, 'security_groups', group))) {
      throw new MigrationConflict('missing-dependency', `port ${p.id}: security group ${group} is not in Alcor`);
    }
  }
  return { mac, ips };
}

/** Creates or overwrites one port with its fixed IPs (taken in IPAM as they are), groups and tags. */
export async function writePort(tx: Queryable, p: NeutronPort, create: boolean): Promise<void> {
  if (create && (await exists(tx, 'ports', p.id))) throw new MigrationConflict('same-id-different-content', `port ${p.id} appeared in Alcor meanwhile`);
  const { mac, ips } = await checkPort(tx, p);
  let pairs: string;
  let opts: string;
  try {
    pairs = JSON.stringify(normalizeAddressPairs(p.allowed_address_pairs ?? [], mac));
    opts = JSON.stringify(normalizeExtraDhcpOpts(p.extra_dhcp_opts ?? []));
  } catch (err) {
    invalid(p.id, err);
  }
  const host = p['binding:host_id'] ?? '';
  const current = create ? undefined : await tx.get<{ status: string; binding_host_id: string }>('SELECT status, binding_host_id FROM ports WHERE id = ?', [p.id]);
  // Alcor's own port status: DOWN until the bound host's agent has programmed the port.
  const status = current && current.binding_host_id === host ? current.status : 'DOWN';
  const values = [
    ownerOf(p), p.network_id, p.name, p.description ?? '', mac, p.admin_state_up ? 1 : 0, status, p.device_id ?? '', p.device_owner ?? '',
    bit(p.port_security_enabled, true), host, p['binding:vnic_type'] ?? 'normal', host === '' ? 'unbound' : 'ovs',
    JSON.stringify(p['binding:profile'] ?? {}), pairs, opts, p.revision_number ?? 0, stamp(p.created_at), stamp(p.updated_at), p.id,
  ];
  if (create) {
    await tx.run(
      `INSERT INTO ports (project_id, network_id, name, description, mac_address, admin_state_up, status, device_id, device_owner,
         port_security_enabled, binding_host_id, binding_vnic_type, binding_vif_type, binding_profile, allowed_address_pairs,
         extra_dhcp_opts, revision_number, created_at, updated_at, id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      values,
    );
  } else {
    await tx.run(
      `UPDATE ports SET project_id = ?, network_id = ?, name = ?, description = ?, mac_address = ?, admin_state_up = ?, status = ?,
         device_id = ?, device_owner = ?, port_security_enabled = ?, binding_host_id = ?, binding_vnic_type = ?, binding_vif_type = ?,
         binding_profile = ?, allowed_address_pairs = ?, extra_dhcp_opts = ?, revision_number = ?, created_at = ?, updated_at = ?
       WHERE id = ?`,
      values,
    );
    await tx.run('DELETE FROM ip_allocations WHERE port_id = ?', [p.id]);
    await tx.run('DELETE FROM port_security_groups WHERE port_id = ?', [p.id]);
  }
  let position = 0;
  for (const { subnet, ip } of ips) {
    await tx.run('INSERT INTO ip_allocations (subnet_id, ip_address, port_id, network_id, position) VALUES (?, ?, ?, ?, ?)', [subnet, ip, p.id, p.network_id, position++]);
  }
  for (const group of new Set(p.security_groups ?? [])) {
    await tx.run('INSERT INTO port_security_groups (port_id, security_group_id) VALUES (?, ?)', [p.id, group]);
  }
  await setTags(tx, 'ports', p.id, p.tags);
  await appendChange(tx, 'port', p.id, create ? 'create' : 'update');
}
