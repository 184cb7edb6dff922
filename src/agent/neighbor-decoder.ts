/**
 * Hand-written decoder for the hottest record: a NeighborState inside a ResourceState. A host in a
 * large VPC receives one per port of the VPC (a million in the scale target), and the generic reflective
 * decoder costs several times more than walking these nine fields directly. The result is the same
 * plain object protobuf-es produces (its messages are plain objects tagged with `$typeName`); a unit
 * test checks both decoders agree.
 */
import type { AddressPair, FixedIp, NeighborState } from '../proto/alcor/v1/goal_state_pb.js';
import { FieldCursor } from './wire-reader.js';

const utf8 = new TextDecoder();
/** Neighbors without security groups or address pairs share these (the desired state is read-only). */
const NONE: never[] = Object.freeze([]) as unknown as never[];

/** Field number of `ResourceState.neighbor`. */
const NEIGHBOR_FIELD = 13;

/**
 * Remembers the last value of a field that repeats across consecutive neighbors (VPC, subnet, host):
 * a snapshot lists a VPC's neighbors together, so reusing the string saves one allocation per neighbor.
 */
class Recent {
  private bytes: Uint8Array = new Uint8Array(0);
  private value = '';
  get(buf: Uint8Array, start: number, end: number): string {
    const length = end - start;
    if (length === this.bytes.length && length > 0) {
      let same = true;
      for (let i = length - 1; i >= 0; i--) {
        if (buf[start + i] !== this.bytes[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.value;
    }
    this.bytes = buf.slice(start, end);
    this.value = utf8.decode(this.bytes);
    return this.value;
  }
}

const recentVpc = new Recent();
const recentSubnet = new Recent();
const recentHost = new Recent();
const recentHostIp = new Recent();

// Decoding is synchronous and never re-entered, so one cursor per nesting level serves every call.
const outer = new FieldCursor();
const middle = new FieldCursor();
const inner = new FieldCursor();

/** The string in `buf[start, end)` (the native decoder beat a JavaScript ASCII loop by 4x here). */
function text(buf: Uint8Array, start: number, end: number): string {
  return utf8.decode(buf.subarray(start, end));
}

/** Positions the cursor on field 13 (neighbor) of an encoded ResourceState; false when there is none. */
function findNeighbor(raw: Uint8Array, cursor: FieldCursor): boolean {
  cursor.reset(raw);
  while (cursor.next()) if (cursor.field === NEIGHBOR_FIELD && cursor.wireType === 2) return true;
  return false;
}

/** Decodes field 13 (neighbor) of an encoded ResourceState; undefined when the record holds no neighbor. */
export function decodeNeighborRecord(raw: Uint8Array): NeighborState | undefined {
  return findNeighbor(raw, outer) ? decodeNeighbor(raw, outer.start, outer.end) : undefined;
}

/**
 * Checks that an encoded ResourceState holds a well-formed neighbor and returns its VPC id, without
 * decoding the rest (the store decodes on read, so malformed bytes must be refused here). Undefined when
 * the record holds no neighbor; throws WireFormatError for malformed bytes.
 */
export function scanNeighbor(raw: Uint8Array): string | undefined {
  if (!findNeighbor(raw, outer)) return undefined;
  let vpcId = '';
  const f = middle.reset(raw, outer.start, outer.end);
  while (f.next()) {
    if (f.wireType !== 2) continue;
    if (f.field === 2) vpcId = recentVpc.get(raw, f.start, f.end);
    else if (f.field === 4 || f.field === 8) {
      const g = inner.reset(raw, f.start, f.end);
      while (g.next()) continue;
    }
  }
  return vpcId;
}

function decodeNeighbor(buf: Uint8Array, start: number, end: number): NeighborState {
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
    portSecurityDisabled: false,
  };
  const f = middle.reset(buf, start, end);
  while (f.next()) {
    if (f.field === 9 && f.wireType === 0) n.portSecurityDisabled = f.value !== 0;
    if (f.wireType !== 2) continue;
    switch (f.field) {
      case 1:
        n.id = text(buf, f.start, f.end);
        break;
      case 2:
        n.vpcId = recentVpc.get(buf, f.start, f.end);
        break;
      case 3:
        n.macAddress = text(buf, f.start, f.end);
        break;
      case 4: {
        const ip = { $typeName: 'alcor.v1.FixedIp', subnetId: '', ipAddress: '' } as FixedIp;
        const g = inner.reset(buf, f.start, f.end);
        while (g.next()) {
          if (g.field === 1 && g.wireType === 2) ip.subnetId = recentSubnet.get(buf, g.start, g.end);
          else if (g.field === 2 && g.wireType === 2) ip.ipAddress = text(buf, g.start, g.end);
        }
        n.fixedIps.push(ip);
        break;
      }
      case 5:
        n.hostId = recentHost.get(buf, f.start, f.end);
        break;
      case 6:
        n.hostIp = recentHostIp.get(buf, f.start, f.end);
        break;
      case 7:
        if (n.securityGroupIds === NONE) n.securityGroupIds = [];
        n.securityGroupIds.push(text(buf, f.start, f.end));
        break;
      case 8: {
        const pair = { $typeName: 'alcor.v1.AddressPair', ipAddress: '', macAddress: '' } as AddressPair;
        const g = inner.reset(buf, f.start, f.end);
        while (g.next()) {
          if (g.field === 1 && g.wireType === 2) pair.ipAddress = text(buf, g.start, g.end);
          else if (g.field === 2 && g.wireType === 2) pair.macAddress = text(buf, g.start, g.end);
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
