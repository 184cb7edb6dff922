/**
 * Where a new subnet's CIDR comes from: the request's own `cidr`, or a subnet pool (`subnetpool_id`, or
 * the default pool of the IP version with `use_default_subnetpool`) that hands out the lowest free prefix
 * of `prefixlen` (the pool's default_prefixlen when absent) or checks a requested CIDR against its
 * prefixes. Enforces the pool's per-project `default_quota` and Neutron's network affinity rules: the
 * subnets of one IP version on a network share one pool, or one address scope.
 */
import type { RequestContext } from '../domain/context.js';
import {
  MaxPrefixSubnetAllocationError,
  MinPrefixSubnetAllocationError,
  NetworkAddressScopeAffinityError,
  NetworkSubnetPoolAffinityError,
  NeutronBadRequest,
  SubnetAllocationError,
  SubnetPoolNotFound,
  SubnetPoolQuotaExceeded,
} from '../domain/errors.js';
import { formatCidr, parseCidr, type Cidr, type IpVersion } from '../domain/ip.js';
import { cidrWithin, findFreePrefix, quotaUnits } from '../domain/subnet-pool.js';
import { parseSubnetCidr, type SubnetCreate } from '../domain/subnet.js';
import type { Queryable } from '../store/store.js';
import { isGranted } from './rbac-sharing.js';
import { allocatedCidrs, poolPrefixes, SUBNET_POOL_TABLE, type SubnetPoolRow } from './subnet-pools.js';
import { getVisibleRow } from './table-list.js';

/** The CIDR of a new subnet and the pool it came from (null for a CIDR given without a pool). */
export interface SubnetSource {
  cidr: string;
  subnetpoolId: string | null;
}

async function requestedPool(tx: Queryable, ctx: RequestContext, body: SubnetCreate, projectId: string): Promise<SubnetPoolRow | undefined> {
  if (body.subnetpool_id && body.use_default_subnetpool) {
    throw new NeutronBadRequest('Bad subnets request: subnetpool_id and use_default_subnetpool cannot both be specified');
  }
  if (body.subnetpool_id) {
    const pool = await getVisibleRow<SubnetPoolRow>(tx, SUBNET_POOL_TABLE, ctx, body.subnetpool_id);
    // An admin creating for another project may only use a pool that project could use itself.
    if (pool.project_id !== projectId && !(await isGranted(tx, 'subnetpool', pool.id, projectId))) {
      throw new SubnetPoolNotFound(`Subnet pool ${pool.id} could not be found.`);
    }
    return pool;
  }
  if (body.use_default_subnetpool) {
    const pool = await tx.get<SubnetPoolRow>('SELECT * FROM subnetpools WHERE is_default = 1 AND ip_version = ?', [body.ip_version]);
    if (!pool) throw new NeutronBadRequest(`Bad subnets request: No default subnetpool found for IPv${body.ip_version}`);
    return pool;
  }
  return undefined;
}

function checkPrefixLength(pool: SubnetPoolRow, prefixLength: number): void {
  const min = Number(pool.min_prefixlen);
  const max = Number(pool.max_prefixlen);
  if (prefixLength < min) {
    throw new MinPrefixSubnetAllocationError(`Unable to allocate subnet with prefix length ${prefixLength}, minimum allowed prefix is ${min}.`);
  }
  if (prefixLength > max) {
    throw new MaxPrefixSubnetAllocationError(`Unable to allocate subnet with prefix length ${prefixLength}, maximum allowed prefix is ${max}.`);
  }
}

async function checkPoolQuota(tx: Queryable, pool: SubnetPoolRow, projectId: string, cidr: Cidr): Promise<void> {
  if (pool.default_quota === null) return;
  const quota = BigInt(pool.default_quota);
  const rows = await tx.all<{ cidr: string }>('SELECT cidr FROM subnets WHERE subnetpool_id = ? AND project_id = ?', [pool.id, projectId]);
  const used = rows.reduce((sum, r) => sum + quotaUnits(cidr.version, (parseCidr(r.cidr, false) as Cidr).prefixLength), 0n);
  if (used + quotaUnits(cidr.version, cidr.prefixLength) > quota) {
    throw new SubnetPoolQuotaExceeded(`Per-tenant subnet pool prefix quota exceeded: project ${projectId} uses ${used} of ${quota} in subnet pool ${pool.id}.`);
  }
}

/** Subnets of one IP version on a network come from one pool, or from pools of one address scope. */
async function checkNetworkAffinity(tx: Queryable, networkId: string, version: IpVersion, pool: SubnetPoolRow | undefined): Promise<void> {
  const existing = await tx.all<{ subnetpool_id: string | null; address_scope_id: string | null }>(
    `SELECT s.subnetpool_id, p.address_scope_id FROM subnets s LEFT JOIN subnetpools p ON p.id = s.subnetpool_id
     WHERE s.network_id = ? AND s.ip_version = ?`,
    [networkId, version],
  );
  const scope = existing.find((e) => e.address_scope_id !== null)?.address_scope_id ?? null;
  const newScope = pool?.address_scope_id ?? null;
  if (scope !== null || newScope !== null) {
    if (existing.length > 0 && existing.some((e) => e.address_scope_id !== newScope)) {
      throw new NetworkAddressScopeAffinityError(`Subnets of IPv${version} on network ${networkId} must all belong to address scope ${scope ?? 'none'}.`);
    }
    return;
  }
  if (existing.some((e) => e.subnetpool_id !== (pool?.id ?? null))) {
    throw new NetworkSubnetPoolAffinityError(`Subnets hosted on the same network must be allocated from the same subnet pool (network ${networkId}, IPv${version}).`);
  }
}

/** Resolves the CIDR of a subnet being created for `projectId` on `networkId`, allocating from a pool when asked. */
export async function subnetSource(tx: Queryable, ctx: RequestContext, body: SubnetCreate, networkId: string, projectId: string): Promise<SubnetSource> {
  const pool = await requestedPool(tx, ctx, body, projectId);
  const version = body.ip_version as IpVersion;
  if (!pool) {
    if (body.cidr === undefined) throw new NeutronBadRequest('Bad subnets request: a cidr must be specified in the absence of a subnet pool');
    await checkNetworkAffinity(tx, networkId, version, undefined);
    return { cidr: body.cidr, subnetpoolId: null };
  }
  if (Number(pool.ip_version) !== version) {
    throw new NeutronBadRequest(`Bad subnets request: cannot allocate an IPv${version} subnet from IPv${pool.ip_version} subnet pool ${pool.id}`);
  }
  await checkNetworkAffinity(tx, networkId, version, pool);
  const used = await allocatedCidrs(tx, pool.id);
  let cidr: Cidr;
  if (body.cidr !== undefined) {
    cidr = parseSubnetCidr(body.cidr, version);
    checkPrefixLength(pool, cidr.prefixLength);
    if (!cidrWithin(cidr, poolPrefixes(pool)) || findFreePrefix([cidr], used, cidr.prefixLength) === undefined) {
      throw new SubnetAllocationError(`Failed to allocate subnet: cannot allocate ${formatCidr(cidr)} from the available prefixes of subnet pool ${pool.id}.`);
    }
  } else {
    const prefixLength = Number(body.prefixlen ?? pool.default_prefixlen);
    checkPrefixLength(pool, prefixLength);
    const free = findFreePrefix(poolPrefixes(pool), used, prefixLength);
    if (!free) throw new SubnetAllocationError(`Failed to allocate subnet: insufficient prefix space to allocate subnet size /${prefixLength} from subnet pool ${pool.id}.`);
    cidr = free;
  }
  await checkPoolQuota(tx, pool, projectId, cidr);
  return { cidr: formatCidr(cidr), subnetpoolId: pool.id };
}
