/**
 * The agent's desired state: every resource the controller assigned to this host, by kind and id,
 * with the raw bytes it arrived as. Applying records or a snapshot yields the `ResourceChange` list the
 * driver needs, in the order the driver contract promises (src/agent/driver.ts).
 */
import { fromBinary } from '@bufbuild/protobuf';
import { Operation, ResourceStateSchema, ResourceType } from '../proto/alcor/v1/goal_state_pb.js';
import { RESOURCE_KINDS, type DesiredStateView, type KindStates, type ResourceChange, type ResourceKind } from './driver.js';
import { decodeNeighborRecord } from './neighbor-decoder.js';
import { resourceKey, sameBytes } from './wire-reader.js';

const KIND_OF_TYPE: Partial<Record<number, ResourceKind>> = {
  [ResourceType.VPC]: 'vpc',
  [ResourceType.SUBNET]: 'subnet',
  [ResourceType.SECURITY_GROUP]: 'securityGroup',
  [ResourceType.ROUTER]: 'router',
  [ResourceType.PORT]: 'port',
  [ResourceType.DHCP]: 'dhcp',
  [ResourceType.NEIGHBOR]: 'neighbor',
};

/** Protobuf enum value of each driver kind. */
export const TYPE_OF_KIND: Record<ResourceKind, ResourceType> = {
  vpc: ResourceType.VPC,
  subnet: ResourceType.SUBNET,
  securityGroup: ResourceType.SECURITY_GROUP,
  router: ResourceType.ROUTER,
  port: ResourceType.PORT,
  dhcp: ResourceType.DHCP,
  neighbor: ResourceType.NEIGHBOR,
};

/** A record the agent could not use (unknown type, missing state); logged by the runtime and skipped. */
export interface RejectedRecord {
  reason: string;
  id: string;
}

type AnyState = KindStates[ResourceKind];

function emptyMaps(): { [K in ResourceKind]: Map<string, KindStates[K]> } {
  return { vpc: new Map(), subnet: new Map(), securityGroup: new Map(), router: new Map(), port: new Map(), dhcp: new Map(), neighbor: new Map() };
}

/** Collects changes; deltas merge repeated keys, snapshots (one record per key) append directly. */
interface ChangeSink {
  add(change: ResourceChange): void;
  values(): Iterable<ResourceChange>;
}

function mergingSink(): ChangeSink {
  const map = new Map<string, ResourceChange>();
  return {
    add(change) {
      const k = `${change.kind}/${change.id}`;
      const existing = map.get(k);
      map.set(k, existing ? ({ ...change, previous: existing.previous } as ResourceChange) : change);
    },
    values: () => map.values(),
  };
}

function appendingSink(): ChangeSink {
  const list: ResourceChange[] = [];
  return { add: (change) => list.push(change), values: () => list };
}

function emptyRaw(): Record<ResourceKind, Map<string, Uint8Array>> {
  return { vpc: new Map(), subnet: new Map(), securityGroup: new Map(), router: new Map(), port: new Map(), dhcp: new Map(), neighbor: new Map() };
}

/**
 * The desired state plus raw bytes per resource. Raw bytes are kept as views into the message that
 * carried them (no copy): a snapshot of a million neighbors then costs a million small objects instead
 * of two million, at the price of keeping a chunk buffer alive while any state from it is desired.
 */
export class DesiredState {
  private maps = emptyMaps();
  private raw = emptyRaw();
  /** VPC id → neighbor ids, so leaving a VPC drops its neighbors. */
  private vpcNeighbors = new Map<string, Set<string>>();
  /** Revision this state corresponds to. */
  revision = 0;
  readonly rejected: RejectedRecord[] = [];

  /** Read-only view for the driver. */
  get view(): DesiredStateView {
    return this.maps;
  }

  /** Number of resources. */
  get size(): number {
    let n = 0;
    for (const kind of RESOURCE_KINDS) n += this.raw[kind].size;
    return n;
  }

  /** Raw bytes of every resource (persistence). */
  *rawStates(): Generator<Uint8Array> {
    for (const kind of RESOURCE_KINDS) yield* this.raw[kind].values();
  }

  /** Applies delta records in order; returns the changes for the driver. */
  applyRecords(records: Iterable<Uint8Array>): ResourceChange[] {
    const sink = mergingSink();
    for (const bytes of records) {
      const key = resourceKey(bytes);
      const kind = KIND_OF_TYPE[key.type];
      if (!kind || key.id === '') {
        this.reject(`unknown resource type ${key.type} or empty id`, key.id);
        continue;
      }
      if (key.operation === Operation.DELETE) {
        this.remove(kind, key.id, sink);
        if (kind === 'vpc') for (const n of [...(this.vpcNeighbors.get(key.id) ?? [])]) this.remove('neighbor', n, sink);
      } else if (key.operation === Operation.UPSERT) {
        this.upsert(kind, key.id, bytes, sink);
      } else {
        this.reject(`unknown operation ${key.operation}`, key.id);
      }
    }
    return order(sink.values());
  }

  /** Replaces everything with a snapshot; returns the changes (deletes for what is gone). */
  replace(records: Iterable<Uint8Array>): ResourceChange[] {
    const sink = appendingSink();
    const seen = emptyRaw();
    for (const bytes of records) {
      const key = resourceKey(bytes);
      const kind = KIND_OF_TYPE[key.type];
      if (!kind || key.id === '' || key.operation !== Operation.UPSERT) {
        this.reject('invalid snapshot record', key.id);
        continue;
      }
      seen[kind].set(key.id, bytes);
      this.upsert(kind, key.id, bytes, sink);
    }
    for (const kind of RESOURCE_KINDS) {
      for (const id of [...this.raw[kind].keys()]) if (!seen[kind].has(id)) this.remove(kind, id, sink);
    }
    return order(sink.values());
  }

  /** Every resource as an upsert with unknown previous state (restart: the driver reconciles). */
  everything(): ResourceChange[] {
    const out: ResourceChange[] = [];
    for (const kind of RESOURCE_KINDS) {
      for (const [id, desired] of this.maps[kind] as Map<string, AnyState>) out.push({ kind, id, desired, previous: undefined } as ResourceChange);
    }
    return out;
  }

  private reject(reason: string, id: string): void {
    if (this.rejected.length < 100) this.rejected.push({ reason, id });
  }

  private upsert(kind: ResourceKind, id: string, bytes: Uint8Array, sink: ChangeSink): void {
    const raw = this.raw[kind];
    const current = raw.get(id);
    if (current && sameBytes(current, bytes)) return;
    let desired: AnyState | undefined;
    try {
      if (kind === 'neighbor') desired = decodeNeighborRecord(bytes);
      else {
        const decoded = fromBinary(ResourceStateSchema, bytes);
        if (decoded.state.case === kind) desired = decoded.state.value;
      }
    } catch {
      this.reject('undecodable resource state', id);
      return;
    }
    if (desired === undefined) {
      this.reject(`record without a ${kind} state`, id);
      return;
    }
    const map = this.maps[kind] as Map<string, AnyState>;
    const previous = map.get(id);
    map.set(id, desired);
    raw.set(id, bytes);
    if (kind === 'neighbor') {
      const vpc = (desired as KindStates['neighbor']).vpcId;
      const old = previous as KindStates['neighbor'] | undefined;
      if (old && old.vpcId !== vpc) this.vpcNeighbors.get(old.vpcId)?.delete(id);
      let set = this.vpcNeighbors.get(vpc);
      if (!set) this.vpcNeighbors.set(vpc, (set = new Set()));
      set.add(id);
    }
    sink.add({ kind, id, desired, previous } as ResourceChange);
  }

  private remove(kind: ResourceKind, id: string, sink: ChangeSink): void {
    const map = this.maps[kind] as Map<string, AnyState>;
    const previous = map.get(id);
    if (previous === undefined) return;
    map.delete(id);
    this.raw[kind].delete(id);
    if (kind === 'neighbor') this.vpcNeighbors.get((previous as KindStates['neighbor']).vpcId)?.delete(id);
    sink.add({ kind, id, desired: undefined, previous } as ResourceChange);
  }
}

/** Deletes first in reverse dependency order, then upserts in dependency order. */
function order(changes: Iterable<ResourceChange>): ResourceChange[] {
  const deletes = RESOURCE_KINDS.map(() => [] as ResourceChange[]);
  const upserts = RESOURCE_KINDS.map(() => [] as ResourceChange[]);
  for (const c of changes) {
    if (c.desired === undefined && c.previous === undefined) continue;
    const i = RESOURCE_KINDS.indexOf(c.kind);
    (c.desired === undefined ? deletes : upserts)[i]?.push(c);
  }
  return [...deletes.reverse().flat(), ...upserts.flat()];
}
