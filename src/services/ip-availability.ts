/**
 * network-ip-availabilities: per network and subnet, how many addresses the pools hold (total_ips) and
 * how many are allocated (used_ips, every allocation including router and out-of-pool addresses, as
 * Neutron counts). Totals are bigints: an IPv6 /64 pool alone exceeds 2^53.
 */
import type { RequestContext } from '../domain/context.js';
import { NetworkNotFound, PolicyNotAuthorized } from '../domain/errors.js';
import type { IpVersion } from '../domain/ip.js';
import type { ListQuery } from '../domain/list-query.js';
import { parsePools, type AllocationPool } from '../domain/subnet.js';
import type { Queryable, Store } from '../store/store.js';
import { NETWORK_TABLE, type NetworkRow } from './networks.js';
import { chunks } from './standard-attributes.js';
import { listRows } from './table-list.js';

/** Availability of one subnet. */
export interface SubnetIpAvailability {
  subnet_id: string;
  subnet_name: string;
  cidr: string;
  ip_version: IpVersion;
  total_ips: bigint;
  used_ips: bigint;
}

/** Availability of one network. */
export interface NetworkIpAvailability {
  network_id: string;
  network_name: string;
  project_id: string;
  tenant_id: string;
  total_ips: bigint;
  used_ips: bigint;
  subnet_ip_availability: SubnetIpAvailability[];
}

/** The availability service (admin only, as Neutron's policy). */
export interface IpAvailabilityService {
  list(ctx: RequestContext, query: ListQuery): Promise<NetworkIpAvailability[]>;
  get(ctx: RequestContext, networkId: string): Promise<NetworkIpAvailability>;
}

interface SubnetUsageRow {
  id: string;
  network_id: string;
  name: string;
  cidr: string;
  ip_version: number;
  allocation_pools: string;
  used: number;
}

async function availability(q: Queryable, networks: NetworkRow[]): Promise<NetworkIpAvailability[]> {
  const byNetwork = new Map<string, SubnetIpAvailability[]>(networks.map((n) => [n.id, []]));
  for (const chunk of chunks(networks.map((n) => n.id), 500)) {
    const rows = await q.all<SubnetUsageRow>(
      `SELECT s.id, s.network_id, s.name, s.cidr, s.ip_version, s.allocation_pools,
         (SELECT COUNT(*) FROM ip_allocations a WHERE a.subnet_id = s.id) AS used
       FROM subnets s WHERE s.network_id IN (${chunk.map(() => '?').join(',')}) ORDER BY s.network_position, s.created_at, s.id`,
      chunk,
    );
    for (const r of rows) {
      const pools = parsePools(JSON.parse(r.allocation_pools) as AllocationPool[]);
      byNetwork.get(r.network_id)?.push({
        subnet_id: r.id,
        subnet_name: r.name,
        cidr: r.cidr,
        ip_version: r.ip_version as IpVersion,
        total_ips: pools.reduce((sum, p) => sum + (p.end - p.start + 1n), 0n),
        used_ips: BigInt(r.used),
      });
    }
  }
  return networks.map((n) => {
    const subnets = byNetwork.get(n.id) ?? [];
    return {
      network_id: n.id,
      network_name: n.name,
      project_id: n.project_id,
      tenant_id: n.project_id,
      total_ips: subnets.reduce((sum, s) => sum + s.total_ips, 0n),
      used_ips: subnets.reduce((sum, s) => sum + s.used_ips, 0n),
      subnet_ip_availability: subnets,
    };
  });
}

function assertAdmin(ctx: RequestContext): void {
  if (!ctx.isAdmin) throw new PolicyNotAuthorized('(rule:get_network_ip_availability) is disallowed by policy');
}

/** Builds the availability service. Filters: network_id, network_name, project_id, tenant_id, ip_version. */
export function createIpAvailabilityService(store: Store): IpAvailabilityService {
  return {
    list: (ctx, query) =>
      store.read(async (q) => {
        assertAdmin(ctx);
        const filters = new Map<string, string[]>();
        let ipVersions: string[] | undefined;
        for (const [key, values] of query.filters) {
          if (key === 'network_id') filters.set('id', values);
          else if (key === 'network_name') filters.set('name', values);
          else if (key === 'ip_version') ipVersions = values;
          else filters.set(key, values);
        }
        const { rows } = await listRows<NetworkRow>(q, NETWORK_TABLE, ctx, { filters, sort: [], pageReverse: false });
        const result = await availability(q, rows);
        if (!ipVersions) return result;
        const wanted = ipVersions;
        return result.filter((n) => n.subnet_ip_availability.some((s) => wanted.includes(String(s.ip_version))));
      }),
    get: (ctx, networkId) =>
      store.read(async (q) => {
        assertAdmin(ctx);
        const row = await q.get<NetworkRow>('SELECT * FROM networks WHERE id = ?', [networkId]);
        if (!row) throw new NetworkNotFound(`Network ${networkId} could not be found.`);
        return (await availability(q, [row]))[0] as NetworkIpAvailability;
      }),
  };
}
