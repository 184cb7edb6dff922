/**
 * IP address management. An allocation is a row of `ip_allocations` (primary key subnet + address),
 * written in the caller's transaction, so it commits or rolls back with its port and can never be
 * handed out twice. Automatic allocation walks the subnet's pools from a cursor kept on the subnet
 * row (O(1) per allocation while the pools have never wrapped); when the cursor region is full it
 * falls back to one scan of the subnet's allocations to find the lowest free address.
 */
import { IpAddressAlreadyAllocated, IpAddressGenerationFailure, InvalidInput, InvalidIpForSubnet } from '../domain/errors.js';
import { formatIp, lastAddress, parseCidr, parseIp, type Cidr, type IpRange, type IpVersion } from '../domain/ip.js';
import { parsePools, type AllocationPool } from '../domain/subnet.js';
import type { Queryable } from '../store/store.js';

/** The columns of a subnet that IPAM needs. */
export interface IpamSubnet {
  id: string;
  network_id: string;
  ip_version: number;
  cidr: string;
  gateway_ip: string | null;
  allocation_pools: string;
  ipam_cursor: string | null;
}

/** How many consecutive taken candidates the cursor walk tolerates before scanning. */
const CURSOR_PROBES = 64;

function poolsOf(subnet: IpamSubnet): IpRange[] {
  return parsePools(JSON.parse(subnet.allocation_pools) as AllocationPool[]);
}

/** The parsed CIDR of a stored (hence valid) subnet. */
export function subnetCidr(subnet: Pick<IpamSubnet, 'cidr'>): Cidr {
  return parseCidr(subnet.cidr, false) as Cidr;
}

/**
 * Inserts an allocation. With `ifFree`, a taken address inserts nothing and answers false: one
 * statement instead of a probe and an insert, the primary key deciding in the caller's transaction.
 * Without it, a taken address fails the statement (a unique violation, which the store retries).
 */
async function insertAllocation(tx: Queryable, subnet: IpamSubnet, ip: string, portId: string, position: number, ifFree: boolean): Promise<boolean> {
  const inserted = await tx.run(
    `INSERT INTO ip_allocations (subnet_id, ip_address, port_id, network_id, position) VALUES (?, ?, ?, ?, ?)${ifFree ? ' ON CONFLICT (subnet_id, ip_address) DO NOTHING' : ''}`,
    [subnet.id, ip, portId, subnet.network_id, position],
  );
  return inserted === 1;
}

/** The next candidate after `value` inside the pools (pools sorted), wrapping to the first pool. */
function nextInPools(pools: IpRange[], value: bigint): bigint | undefined {
  for (const pool of pools) {
    if (value < pool.start) return pool.start;
    if (value <= pool.end) return value;
  }
  return pools[0]?.start;
}

async function lowestFree(tx: Queryable, subnet: IpamSubnet, pools: IpRange[]): Promise<bigint | undefined> {
  const rows = await tx.all<{ ip_address: string }>('SELECT ip_address FROM ip_allocations WHERE subnet_id = ?', [subnet.id]);
  const taken = new Set(rows.map((r) => parseIp(r.ip_address)?.value));
  // Among the first taken.size + 1 pool addresses one is free, so this loop is O(allocations).
  let budget = taken.size + 1;
  for (const pool of pools) {
    for (let v = pool.start; v <= pool.end && budget > 0; v++, budget--) {
      if (!taken.has(v)) return v;
    }
  }
  return undefined;
}

/** Allocates the next free pool address of a subnet to a port. */
export async function allocateNextAddress(tx: Queryable, subnet: IpamSubnet, portId: string, position: number): Promise<string> {
  const version = subnet.ip_version as IpVersion;
  const pools = poolsOf(subnet);
  if (pools.length === 0) throw new IpAddressGenerationFailure(`No more IP addresses available on subnet ${subnet.id}: it has no allocation pools`);
  let candidate = nextInPools(pools, subnet.ipam_cursor ? BigInt(subnet.ipam_cursor) : (pools[0] as IpRange).start);
  for (let probe = 0; candidate !== undefined && probe < CURSOR_PROBES; probe++) {
    const ip = formatIp({ version, value: candidate });
    if (await insertAllocation(tx, subnet, ip, portId, position, true)) return advanceCursor(tx, subnet, ip, candidate);
    candidate = nextInPools(pools, candidate + 1n);
  }
  const free = await lowestFree(tx, subnet, pools);
  if (free === undefined) throw new IpAddressGenerationFailure(`No more IP addresses available on subnet ${subnet.id}`);
  const ip = formatIp({ version, value: free });
  await insertAllocation(tx, subnet, ip, portId, position, false);
  return advanceCursor(tx, subnet, ip, free);
}

async function advanceCursor(tx: Queryable, subnet: IpamSubnet, ip: string, value: bigint): Promise<string> {
  subnet.ipam_cursor = (value + 1n).toString();
  await tx.run('UPDATE subnets SET ipam_cursor = ? WHERE id = ?', [subnet.ipam_cursor, subnet.id]);
  return ip;
}

/** Options of a specific-address allocation. */
export interface SpecificAddressOptions {
  /** Router interfaces may take the gateway address; other ports may not. */
  allowGateway: boolean;
}

/**
 * Allocates a requested address (which may lie outside the pools, as Neutron allows) to a port.
 * Returns the canonical text of the address.
 */
export async function allocateSpecificAddress(
  tx: Queryable,
  subnet: IpamSubnet,
  value: bigint,
  portId: string,
  position: number,
  options: SpecificAddressOptions,
): Promise<string> {
  const ip = formatIp({ version: subnet.ip_version as IpVersion, value });
  const cidr = subnetCidr(subnet);
  // An IPv4 subnet's network and broadcast addresses name the subnet itself, never a host (Neutron refuses them too).
  if (cidr.version === 4 && cidr.prefixLength < 31 && (value === cidr.network || value === lastAddress(cidr))) {
    throw new InvalidIpForSubnet(`IP address ${ip} is not a valid IP for the specified subnet ${subnet.id}: it is the subnet's network or broadcast address.`);
  }
  if (!options.allowGateway && subnet.gateway_ip === ip) {
    throw new InvalidInput(`IP address ${ip} is the gateway of subnet ${subnet.id} and is reserved for its router`);
  }
  if (!(await insertAllocation(tx, subnet, ip, portId, position, true))) {
    throw new IpAddressAlreadyAllocated(`IP address ${ip} already allocated in subnet ${subnet.id}`);
  }
  return ip;
}

/** Releases every address of a port (the rows go; nothing else holds them). */
export async function releasePortAddresses(tx: Queryable, portId: string): Promise<void> {
  await tx.run('DELETE FROM ip_allocations WHERE port_id = ?', [portId]);
}
