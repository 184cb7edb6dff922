/**
 * Turns a port's requested `fixed_ips` into allocations, with Neutron's rules:
 * - omitted: one address from the first IPv4 subnet with room, one from the first stateful IPv6
 *   subnet with room, and the EUI-64 address on every SLAAC / stateless-DHCPv6 subnet;
 * - `[]`: no address;
 * - entries by subnet, by address, or both; SLAAC subnets get their EUI-64 address even when the
 *   request names only other subnets (what neutron-server does for non-router ports).
 * On update, addresses that stay are kept, the rest are released, new ones allocated: atomically,
 * because it all runs in the caller's transaction.
 */
import {
  AllocationOnAutoAddressSubnet,
  InvalidInput,
  InvalidIpForNetwork,
  InvalidIpForSubnet,
  IpAddressGenerationFailure,
} from '../domain/errors.js';
import { cidrContains, formatIp, parseIp, type IpVersion } from '../domain/ip.js';
import { SERVICE_DEVICE_OWNERS, type FixedIp, type FixedIpRequest } from '../domain/port.js';
import { eui64Address, isAutoAddressSubnet, type Ipv6Mode } from '../domain/subnet.js';
import type { Queryable } from '../store/store.js';
import { allocateNextAddress, allocateSpecificAddress, subnetCidr, type IpamSubnet } from './ipam.js';

/** A subnet as the address resolver needs it. */
export interface AddressSubnet extends IpamSubnet {
  ipv6_address_mode: Ipv6Mode | null;
}

/** Everything the resolver needs to know about the port. */
export interface AddressTarget {
  portId: string;
  networkId: string;
  mac: string;
  deviceOwner: string;
}

/** The subnets of a network in creation order. */
export async function networkSubnets(tx: Queryable, networkId: string): Promise<AddressSubnet[]> {
  return tx.all<AddressSubnet>(
    'SELECT id, network_id, ip_version, cidr, gateway_ip, allocation_pools, ipam_cursor, ipv6_address_mode FROM subnets WHERE network_id = ? ORDER BY network_position, created_at, id',
    [networkId],
  );
}

function isRouterPort(deviceOwner: string): boolean {
  return SERVICE_DEVICE_OWNERS.includes(deviceOwner);
}

async function allocateAuto(tx: Queryable, subnet: AddressSubnet, target: AddressTarget, position: number): Promise<FixedIp> {
  const value = eui64Address(subnetCidr(subnet), target.mac);
  const ip = await allocateSpecificAddress(tx, subnet, value, target.portId, position, { allowGateway: false });
  return { subnet_id: subnet.id, ip_address: ip };
}

/** First subnet of the list with a free address; IpAddressGenerationFailure when all are full. */
async function allocateFromFirstWithRoom(tx: Queryable, subnets: AddressSubnet[], target: AddressTarget, position: number): Promise<FixedIp> {
  let lastError: unknown;
  for (const subnet of subnets) {
    try {
      return { subnet_id: subnet.id, ip_address: await allocateNextAddress(tx, subnet, target.portId, position) };
    } catch (err) {
      if (!(err instanceof IpAddressGenerationFailure)) throw err;
      lastError = err;
    }
  }
  throw lastError;
}

function requestedAddress(text: string, field = 'ip_address'): bigint {
  const addr = parseIp(text);
  if (!addr) throw new InvalidInput(`Invalid input for fixed_ips: ${field} '${text}' is not a valid IP address`);
  return addr.value;
}

function subnetFor(subnets: AddressSubnet[], request: FixedIpRequest, networkId: string): AddressSubnet {
  if (request.subnet_id !== undefined) {
    const subnet = subnets.find((s) => s.id === request.subnet_id);
    if (!subnet) throw new InvalidInput(`Failed to allocate on network ${networkId}: fixed_ips includes subnet ${request.subnet_id}, which is not on this network`);
    if (request.ip_address !== undefined) {
      const addr = parseIp(request.ip_address);
      if (!addr || !cidrContains(subnetCidr(subnet), addr)) {
        throw new InvalidIpForSubnet(`IP address ${request.ip_address} is not a valid IP for the specified subnet ${subnet.id}.`);
      }
    }
    return subnet;
  }
  const addr = parseIp(request.ip_address ?? '');
  const subnet = addr && subnets.find((s) => cidrContains(subnetCidr(s), addr));
  if (!subnet) throw new InvalidIpForNetwork(`IP address ${request.ip_address ?? ''} is not a valid IP for any of the subnets on network ${networkId}.`);
  return subnet;
}

async function allocateRequested(tx: Queryable, subnet: AddressSubnet, request: FixedIpRequest, target: AddressTarget, position: number): Promise<FixedIp> {
  const auto = isAutoAddressSubnet(subnet.ipv6_address_mode) && !isRouterPort(target.deviceOwner);
  if (request.ip_address === undefined) {
    if (auto) return allocateAuto(tx, subnet, target, position);
    return { subnet_id: subnet.id, ip_address: await allocateNextAddress(tx, subnet, target.portId, position) };
  }
  if (auto) {
    throw new AllocationOnAutoAddressSubnet(
      `IPv6 address ${request.ip_address} cannot be directly assigned to a port on subnet ${subnet.id} as the subnet is configured for automatic addresses`,
    );
  }
  const ip = await allocateSpecificAddress(tx, subnet, requestedAddress(request.ip_address), target.portId, position, {
    allowGateway: isRouterPort(target.deviceOwner),
  });
  return { subnet_id: subnet.id, ip_address: ip };
}

/** Allocates the addresses of a new port. */
export async function allocatePortAddresses(tx: Queryable, target: AddressTarget, requested: FixedIpRequest[] | undefined): Promise<FixedIp[]> {
  const subnets = await networkSubnets(tx, target.networkId);
  const out: FixedIp[] = [];
  const autoSubnets = isRouterPort(target.deviceOwner) ? [] : subnets.filter((s) => isAutoAddressSubnet(s.ipv6_address_mode));
  if (requested === undefined) {
    const v4 = subnets.filter((s) => s.ip_version === 4);
    const v6Stateful = subnets.filter((s) => s.ip_version === 6 && !isAutoAddressSubnet(s.ipv6_address_mode));
    if (v4.length) out.push(await allocateFromFirstWithRoom(tx, v4, target, out.length));
    if (v6Stateful.length) out.push(await allocateFromFirstWithRoom(tx, v6Stateful, target, out.length));
  } else {
    for (const request of requested) {
      if (request.subnet_id === undefined && request.ip_address === undefined) {
        throw new InvalidInput('Invalid input for fixed_ips: each entry needs subnet_id or ip_address');
      }
      out.push(await allocateRequested(tx, subnetFor(subnets, request, target.networkId), request, target, out.length));
    }
    // An explicit empty list means "no address", including no SLAAC address.
    if (requested.length === 0) return out;
  }
  for (const subnet of autoSubnets) {
    if (!out.some((ip) => ip.subnet_id === subnet.id)) out.push(await allocateAuto(tx, subnet, target, out.length));
  }
  return out;
}

/** The current allocations of a port in order. */
export async function portAddresses(tx: Queryable, portId: string): Promise<FixedIp[]> {
  return tx.all<FixedIp>('SELECT subnet_id, ip_address FROM ip_allocations WHERE port_id = ? ORDER BY position', [portId]);
}

function sameAddress(current: FixedIp, request: FixedIpRequest, version: IpVersion | undefined): boolean {
  if (request.ip_address === undefined) return false;
  if (request.subnet_id !== undefined && request.subnet_id !== current.subnet_id) return false;
  const addr = parseIp(request.ip_address);
  return addr !== undefined && addr.version === version && formatIp(addr) === current.ip_address;
}

/** Replaces a port's addresses with the requested set, keeping addresses that stay. */
export async function reallocatePortAddresses(tx: Queryable, target: AddressTarget, requested: FixedIpRequest[]): Promise<FixedIp[]> {
  const subnets = await networkSubnets(tx, target.networkId);
  const current = await portAddresses(tx, target.portId);
  const versionOf = (subnetId: string) => subnets.find((s) => s.id === subnetId)?.ip_version as IpVersion | undefined;
  const kept = new Set<FixedIp>();
  const toAllocate: FixedIpRequest[] = [];
  for (const request of requested) {
    const match = current.find((c) => !kept.has(c) && sameAddress(c, request, versionOf(c.subnet_id)));
    if (match) kept.add(match);
    else toAllocate.push(request);
  }
  // SLAAC addresses follow the MAC, not the request, so an update never drops them implicitly.
  for (const c of current) {
    const subnet = subnets.find((s) => s.id === c.subnet_id);
    if (subnet && isAutoAddressSubnet(subnet.ipv6_address_mode) && !isRouterPort(target.deviceOwner)) kept.add(c);
  }
  for (const c of current) {
    if (!kept.has(c)) await tx.run('DELETE FROM ip_allocations WHERE subnet_id = ? AND ip_address = ?', [c.subnet_id, c.ip_address]);
  }
  let position = current.length + requested.length;
  const added: FixedIp[] = [];
  for (const request of toAllocate) {
    if (request.subnet_id === undefined && request.ip_address === undefined) {
      throw new InvalidInput('Invalid input for fixed_ips: each entry needs subnet_id or ip_address');
    }
    added.push(await allocateRequested(tx, subnetFor(subnets, request, target.networkId), request, target, position++));
  }
  if (!isRouterPort(target.deviceOwner)) {
    const present = new Set([...kept, ...added].map((ip) => ip.subnet_id));
    for (const subnet of subnets) {
      if (isAutoAddressSubnet(subnet.ipv6_address_mode) && !present.has(subnet.id)) await allocateAuto(tx, subnet, target, position++);
    }
  }
  return portAddresses(tx, target.portId);
}
