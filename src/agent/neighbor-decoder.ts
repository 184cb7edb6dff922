/**
 * Hand-written decoder for the hottest record: a NeighborState inside a ResourceState. A host in a
 * large VPC receives one per port of the VPC (a million in the scale target), and the generic reflective
 * decoder costs several times more than walking these eight fields directly. The result is the same
 * plain object protobuf-es produces (its messages are plain objects tagged with `$typeName`); a unit
 * test checks both decoders agree.
 */
import type { AddressPair, FixedIp, NeighborState } from '../proto/alcor/v1/goal_state_pb.js';
import { readFields } from './wire-reader.js';

const utf8 = new TextDecoder();
/** Neighbors without security groups or address pairs share these (the desired state is read-only). */
const NONE: never[] = Object.freeze([]) as unknown as never[];

/** Decodes a string field (the native decoder beat a JavaScript ASCII loop by 4x here). */
function text(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/**
 * Remembers the last value of a field that repeats across consecutive neighbors (VPC, subnet, host):
 * a snapshot lists a VPC's neighbors together, so reusing the string saves one allocation per neighbor
 * and, at a million neighbors, a good share of the heap the garbage collector must walk.
 */
class Recent {
  private bytes: Uint8Array = new Uint8Array(0);
  private value = '';
  get(bytes: Uint8Array): string {
    if (bytes.length === this.bytes.length && bytes.length > 0) {
      let same = true;
      for (let i = bytes.length - 1; i >= 0; i--) {
        if (bytes[i] !== this.bytes[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.value;
    }
    this.bytes = bytes;
    this.value = text(bytes);
    return this.value;
  }
}

const recentVpc = new Recent();
const recentSubnet = new Recent();
const recentHost = new Recent();
const recentHostIp = new Recent();

/** Decodes field 13 (neighbor) of an encoded ResourceState; undefined when the record holds no neighbor. */
export function decodeNeighborRecord(raw: Uint8Array): NeighborState | undefined {
  for (const f of readFields(raw)) if (f.field === 13 && f.wireType === 2) return decodeNeighbor(f.bytes);
  return undefined;
}

function decodeNeighbor(bytes: Uint8Array): NeighborState {
  const n = {
    $typeName: 'alcor.v1.NeighborState',
    id: '',
    vpcId: '',
    macAddress: '',
    fixedIps: [] as FixedIp[],
    hostId: '',
    hostIp: '',
    securityGroupIds: NONE as string[],
    allowedAddressPairs: NONE as AddressPair[],
  };
  for (const f of readFields(bytes)) {
    if (f.wireType !== 2) continue;
    switch (f.field) {
      case 1:
        n.id = text(f.bytes);
        break;
      case 2:
        n.vpcId = recentVpc.get(f.bytes);
        break;
      case 3:
        n.macAddress = text(f.bytes);
        break;
      case 4: {
        const ip = { $typeName: 'alcor.v1.FixedIp', subnetId: '', ipAddress: '' } as FixedIp;
        for (const g of readFields(f.bytes)) {
          if (g.field === 1 && g.wireType === 2) ip.subnetId = recentSubnet.get(g.bytes);
          else if (g.field === 2 && g.wireType === 2) ip.ipAddress = text(g.bytes);
        }
        n.fixedIps.push(ip);
        break;
      }
      case 5:
        n.hostId = recentHost.get(f.bytes);
        break;
      case 6:
        n.hostIp = recentHostIp.get(f.bytes);
        break;
      case 7:
        if (n.securityGroupIds === NONE) n.securityGroupIds = [];
        n.securityGroupIds.push(text(f.bytes));
        break;
      case 8: {
        const pair = { $typeName: 'alcor.v1.AddressPair', ipAddress: '', macAddress: '' } as AddressPair;
        for (const g of readFields(f.bytes)) {
          if (g.field === 1 && g.wireType === 2) pair.ipAddress = text(g.bytes);
          else if (g.field === 2 && g.wireType === 2) pair.macAddress = text(g.bytes);
        }
        if (n.allowedAddressPairs === NONE) n.allowedAddressPairs = [];
        n.allowedAddressPairs.push(pair);
        break;
      }
      default:
        break;
    }
  }
  return n as NeighborState;
}
