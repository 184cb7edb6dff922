/**
 * The agent's desired state: every resource the controller assigned to this host, by kind and id,
 * with the raw bytes it arrived as. Applying records or a snapshot yields the `ResourceChange` list the
 * driver needs, in the order the driver contract promises (src/agent/driver.ts).
 *
 * Neighbors (a million in the scale target) live in a columnar `NeighborStore` and their changes decode
 * their states only when the driver reads them; the other kinds (tens to hundreds per host) are decoded
 * on arrival and kept as objects next to their raw bytes.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { Operation, ResourceStateSchema, ResourceType, type NeighborState } from '../proto/alcor/v1/goal_state_pb.js';
import { RESOURCE_KINDS, type DesiredStateView, type KindStates, type ResourceChange, type ResourceKind } from './driver.js';
import { scanNeighbor } from './neighbor-decoder.js';
import { NeighborStore, NO_SLOT } from './neighbor-store.js';
import { packRecords, resourceKey, sameBytes } from './wire-reader.js';

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

/** The kinds kept as decoded objects. */
type ObjectKind = Exclude<ResourceKind, 'neighbor'>;
type AnyState = KindStates[ObjectKind];
const OBJECT_KINDS = RESOURCE_KINDS.filter((k): k is ObjectKind => k !== 'neighbor');

type ObjectMaps = { [K in ObjectKind]: Map<string, KindStates[K]> };

function emptyMaps(): ObjectMaps {
  return { vpc: new Map(), subnet: new Map(), securityGroup: new Map(), router: new Map(), port: new Map(), dhcp: new Map() };
}

function emptyRaw(): Record<ObjectKind, Map<string, Uint8Array>> {
  return { vpc: new Map(), subnet: new Map(), securityGroup: new Map(), router: new Map(), port: new Map(), dhcp: new Map() };
}

/**
 * A neighbor change whose states are decoded from the store when read, so a snapshot of a million
 * neighbors does not hold a million decoded states. Valid until the store's next batch starts (the
 * runtime applies a batch before building the next one).
 */
class NeighborChange {
  readonly kind = 'neighbor';
  constructor(
    readonly id: string,
    private readonly store: NeighborStore,
    /** Slot of the new state; NO_SLOT = delete. */
    readonly slot: number,
    /** Slot of the state before the batch; NO_SLOT = new or unknown. */
    public previousSlot: number,
  ) {}
  get desired(): NeighborState | undefined {
    return this.slot === NO_SLOT ? undefined : this.store.decode(this.slot);
  }
  get previous(): NeighborState | undefined {
    return this.previousSlot === NO_SLOT ? undefined : this.store.decode(this.previousSlot);
  }
}

/** Whether a change deletes (checked without decoding a neighbor). */
function deletes(change: ResourceChange): boolean {
  return change instanceof NeighborChange ? change.slot === NO_SLOT : change.desired === undefined;
}

/** Whether a change is a no-op: created and deleted within one batch. */
function noop(change: ResourceChange): boolean {
  return change instanceof NeighborChange ? change.slot === NO_SLOT && change.previousSlot === NO_SLOT : change.desired === undefined && change.previous === undefined;
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
      if (existing instanceof NeighborChange && change instanceof NeighborChange) change.previousSlot = existing.previousSlot;
      else if (existing) change = { ...change, previous: existing.previous } as ResourceChange;
      map.set(k, change);
    },
    values: () => map.values(),
  };
}

function appendingSink(): ChangeSink {
  const list: ResourceChange[] = [];
  return { add: (change) => list.push(change), values: () => list };
}

/**
 * The desired state plus raw bytes per resource. A snapshot's states are kept as views into its chunks
 * (no copy: a chunk is a buffer of its own, filled with states); a delta's states are first copied into
 * one buffer per delta. Either buffer stays alive while any state from it is desired.
 */
export class DesiredState {
  private maps = emptyMaps();
  private raw = emptyRaw();
  private readonly neighbors = new NeighborStore();
  private readonly viewOfAll: DesiredStateView = { ...this.maps, neighbor: this.neighbors };
  /** Revision this state corresponds to. */
  revision = 0;
  readonly rejected: RejectedRecord[] = [];

  /** Read-only view for the driver (neighbors are decoded on each read). */
  get view(): DesiredStateView {
    return this.viewOfAll;
  }

  /** Number of resources. */
  get size(): number {
    let n = this.neighbors.size;
    for (const kind of OBJECT_KINDS) n += this.raw[kind].size;
    return n;
  }

  /** Raw bytes of every resource (persistence). */
  *rawStates(): Generator<Uint8Array> {
    for (const kind of OBJECT_KINDS) yield* this.raw[kind].values();
    for (const [, slot] of this.neighbors.slotEntries()) yield this.neighbors.record(slot);
  }

  /** Applies delta records in order; returns the changes for the driver. */
  applyRecords(records: Iterable<Uint8Array>): ResourceChange[] {
    this.neighbors.startBatch();
    const sink = mergingSink();
    for (const bytes of packRecords(records)) {
      const key = resourceKey(bytes);
      const kind = KIND_OF_TYPE[key.type];
      if (!kind || key.id === '') {
        this.reject(`unknown resource type ${key.type} or empty id`, key.id);
        continue;
      }
      if (key.operation === Operation.DELETE) {
        this.remove(kind, key.id, sink);
        if (kind === 'vpc') for (const n of this.neighbors.idsInVpc(key.id)) this.remove('neighbor', n, sink);
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
    this.neighbors.startBatch();
    this.neighbors.clearMarks();
    const sink = appendingSink();
    const seen = OBJECT_KINDS.map(() => new Set<string>());
    for (const bytes of records) {
      const key = resourceKey(bytes);
      const kind = KIND_OF_TYPE[key.type];
      if (!kind || key.id === '' || key.operation !== Operation.UPSERT) {
        this.reject('invalid snapshot record', key.id);
        continue;
      }
      if (kind !== 'neighbor') seen[OBJECT_KINDS.indexOf(kind)]?.add(key.id);
      this.upsert(kind, key.id, bytes, sink);
    }
    for (const id of this.neighbors.unmarked()) this.remove('neighbor', id, sink);
    OBJECT_KINDS.forEach((kind, i) => {
      for (const id of [...this.raw[kind].keys()]) if (!seen[i]?.has(id)) this.remove(kind, id, sink);
    });
    return order(sink.values());
  }

  /** Every resource as an upsert with unknown previous state (restart: the driver reconciles). */
  everything(): ResourceChange[] {
    const out: ResourceChange[] = [];
    for (const kind of OBJECT_KINDS) {
      for (const [id, desired] of this.maps[kind] as Map<string, AnyState>) out.push({ kind, id, desired, previous: undefined } as ResourceChange);
    }
    for (const [id, slot] of this.neighbors.slotEntries()) out.push(new NeighborChange(id, this.neighbors, slot, NO_SLOT));
    return out;
  }

  private reject(reason: string, id: string): void {
    if (this.rejected.length < 100) this.rejected.push({ reason, id });
  }

  private upsert(kind: ResourceKind, id: string, bytes: Uint8Array, sink: ChangeSink): void {
    if (kind === 'neighbor') this.upsertNeighbor(id, bytes, sink);
    else this.upsertObject(kind, id, bytes, sink);
  }

  private upsertNeighbor(id: string, bytes: Uint8Array, sink: ChangeSink): void {
    const current = this.neighbors.slotOf(id);
    if (current !== NO_SLOT && this.neighbors.holds(current, bytes)) {
      this.neighbors.mark(current);
      return;
    }
    let vpcId: string | undefined;
    try {
      vpcId = scanNeighbor(bytes);
    } catch {
      this.reject('undecodable resource state', id);
      return;
    }
    if (vpcId === undefined) {
      this.reject('record without a neighbor state', id);
      return;
    }
    const previous = current === NO_SLOT ? NO_SLOT : this.neighbors.remove(id);
    const slot = this.neighbors.add(id, bytes, vpcId);
    this.neighbors.mark(slot);
    sink.add(new NeighborChange(id, this.neighbors, slot, previous));
  }

  private upsertObject(kind: ObjectKind, id: string, bytes: Uint8Array, sink: ChangeSink): void {
    const raw = this.raw[kind];
    const current = raw.get(id);
    if (current && sameBytes(current, bytes)) return;
    let desired: AnyState | undefined;
    try {
      const decoded = fromBinary(ResourceStateSchema, bytes);
      if (decoded.state.case === kind) desired = decoded.state.value;
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
    sink.add({ kind, id, desired, previous } as ResourceChange);
  }

  private remove(kind: ResourceKind, id: string, sink: ChangeSink): void {
    if (kind === 'neighbor') {
      const slot = this.neighbors.remove(id);
      if (slot !== NO_SLOT) sink.add(new NeighborChange(id, this.neighbors, NO_SLOT, slot));
      return;
    }
    const map = this.maps[kind] as Map<string, AnyState>;
    const previous = map.get(id);
    if (previous === undefined) return;
    map.delete(id);
    this.raw[kind].delete(id);
    sink.add({ kind, id, desired: undefined, previous } as ResourceChange);
  }
}

/** Deletes first in reverse dependency order, then upserts in dependency order. */
function order(changes: Iterable<ResourceChange>): ResourceChange[] {
  const removals = RESOURCE_KINDS.map(() => [] as ResourceChange[]);
  const upserts = RESOURCE_KINDS.map(() => [] as ResourceChange[]);
  for (const c of changes) {
    if (noop(c)) continue;
    const i = RESOURCE_KINDS.indexOf(c.kind);
    (deletes(c) ? removals : upserts)[i]?.push(c);
  }
  const out: ResourceChange[] = [];
  for (let i = removals.length - 1; i >= 0; i--) for (const c of removals[i] ?? []) out.push(c);
  for (const list of upserts) for (const c of list) out.push(c);
  return out;
}
