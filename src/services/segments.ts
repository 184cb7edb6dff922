/**
 * Segmentation-id allocation (VXLAN VNIs, VLAN ids per physical network, flat physnets).
 * The segment lives on the network row and a unique index guards it, so an allocation commits or
 * rolls back with its network: nothing to leak after a crash.
 */
import type { IdRange, ServerConfig } from '../config.js';
import type { NetworkType } from '../domain/network.js';
import {
  FlatNetworkInUse,
  InvalidInput,
  NoNetworkAvailable,
  TunnelIdInUse,
  VlanIdInUse,
} from '../domain/errors.js';
import type { Queryable } from '../store/store.js';

/** A network's segment as stored. */
export interface Segment {
  networkType: NetworkType;
  /** '' when the type has none (vxlan). */
  physicalNetwork: string;
  segmentationId: number | null;
}

/** What the request asked for; all optional. */
export interface SegmentRequest {
  networkType?: NetworkType;
  physicalNetwork?: string;
  segmentationId?: number;
}

const VNI_MAX = 16777215;

async function isTaken(q: Queryable, type: NetworkType, physnet: string, id: number): Promise<boolean> {
  const row = await q.get(
    'SELECT 1 AS x FROM networks WHERE network_type = ? AND physical_network = ? AND segmentation_id = ?',
    [type, physnet, id],
  );
  return row !== undefined;
}

/** Lowest free id in the range: above the current maximum while there is room, else the lowest gap. */
async function allocateFromRange(q: Queryable, type: NetworkType, physnet: string, range: IdRange): Promise<number> {
  const scope = 'network_type = ? AND physical_network = ? AND segmentation_id BETWEEN ? AND ?';
  const params = [type, physnet, range.min, range.max];
  const top = await q.get<{ m: number | null }>(`SELECT MAX(segmentation_id) AS m FROM networks WHERE ${scope}`, params);
  if (top?.m === null || top?.m === undefined) return range.min;
  if (top.m < range.max) return top.m + 1;
  if (!(await isTaken(q, type, physnet, range.min))) return range.min;
  const gap = await q.get<{ g: number | null }>(
    `SELECT MIN(n.segmentation_id + 1) AS g FROM networks n
       WHERE n.network_type = ? AND n.physical_network = ? AND n.segmentation_id >= ? AND n.segmentation_id < ?
       AND NOT EXISTS (SELECT 1 FROM networks m WHERE m.network_type = n.network_type
         AND m.physical_network = n.physical_network AND m.segmentation_id = n.segmentation_id + 1)`,
    params,
  );
  if (gap?.g === null || gap?.g === undefined) {
    throw new NoNetworkAvailable(
      `No ${type} segmentation id is free in ${physnet ? `${physnet} ` : ''}range ${range.min}:${range.max}; every id is in use`,
    );
  }
  return gap.g;
}

/** Picks (or validates) the segment of a new network inside the caller's transaction. */
export async function allocateSegment(q: Queryable, config: ServerConfig, request: SegmentRequest): Promise<Segment> {
  const type = request.networkType ?? 'vxlan';
  if (type === 'vxlan') {
    if (request.physicalNetwork) throw new InvalidInput('provider:physical_network is not allowed for vxlan networks');
    const id = request.segmentationId;
    if (id === undefined) return { networkType: type, physicalNetwork: '', segmentationId: await allocateFromRange(q, type, '', config.vxlanRange) };
    if (id < 1 || id > VNI_MAX) throw new InvalidInput(`provider:segmentation_id ${id} is outside 1..${VNI_MAX} for vxlan`);
    if (await isTaken(q, type, '', id)) throw new TunnelIdInUse(`VNI ${id} is already in use by another network`);
    return { networkType: type, physicalNetwork: '', segmentationId: id };
  }
  const physnet = request.physicalNetwork;
  if (type === 'flat') {
    if (request.segmentationId !== undefined) throw new InvalidInput('provider:segmentation_id is not allowed for flat networks');
    if (!physnet || !config.flatNetworks.has(physnet)) {
      throw new InvalidInput(`provider:physical_network '${physnet ?? ''}' is not a configured flat network (${[...config.flatNetworks].join(', ')})`);
    }
    const used = await q.get('SELECT 1 AS x FROM networks WHERE network_type = ? AND physical_network = ?', [type, physnet]);
    if (used) throw new FlatNetworkInUse(`Physical network ${physnet} is already used by a flat network`);
    return { networkType: type, physicalNetwork: physnet, segmentationId: null };
  }
  const range = physnet ? config.vlanRanges.get(physnet) : undefined;
  if (!physnet || !range) {
    throw new InvalidInput(`provider:physical_network '${physnet ?? ''}' has no VLAN range (${[...config.vlanRanges.keys()].join(', ')})`);
  }
  const id = request.segmentationId;
  if (id === undefined) return { networkType: type, physicalNetwork: physnet, segmentationId: await allocateFromRange(q, type, physnet, range) };
  if (id < 1 || id > 4094) throw new InvalidInput(`provider:segmentation_id ${id} is outside 1..4094 for vlan`);
  if (await isTaken(q, type, physnet, id)) throw new VlanIdInUse(`VLAN ${id} on ${physnet} is already in use`);
  return { networkType: type, physicalNetwork: physnet, segmentationId: id };
}

/** The MTU a network of this type gets by default: VXLAN pays 50 bytes of encapsulation. */
export function defaultMtu(config: ServerConfig, type: NetworkType): number {
  return type === 'vxlan' ? config.globalMtu - 50 : config.globalMtu;
}
