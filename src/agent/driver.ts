/**
 * The driver interface: how the agent runtime hands desired state to a data-plane implementation
 * (`sim` in src/agent/drivers/sim.ts, `ovs` in src/agent/drivers/ovs/). This contract is stable; the
 * runtime owns revisions, acks, persistence and reconnects, the driver owns only "make the data plane
 * match this desired state".
 *
 * Semantics (level-triggered, like a Kubernetes reconciler):
 * - The runtime keeps the complete desired state (`DesiredStateView`) and calls `apply()` with the
 *   resources whose desired state changed, each carrying its full new state (or `undefined` = delete)
 *   and the previous desired state the runtime had for it (`undefined` = new, or unknown after restart).
 * - `apply()` is idempotent: applying a change whose state is already installed is a no-op, and
 *   deleting something absent succeeds. A driver never needs the event history, only the state.
 * - `mode: 'full'` means `desired` is complete (first start, agent restart, or a snapshot from the
 *   controller): the driver must also remove installed state of resources absent from `desired`
 *   (e.g. flows whose cookie names no desired resource), and must NOT flush and reinstall what is
 *   already correct. `changes` then lists every resource the runtime is unsure about (all of them
 *   after a restart), so a driver may treat a full apply as "diff installed against desired".
 * - Changes are ordered: deletes first, in reverse dependency order (neighbor, dhcp, port, router,
 *   securityGroup, subnet, vpc), then upserts in dependency order (vpc, subnet, securityGroup, router,
 *   port, dhcp, neighbor). The `desired` view already reflects the whole batch.
 * - The cost of one change must not depend on how many other resources exist (no full recompute per
 *   neighbor): the view gives O(1) lookups for context such as a neighbor's VPC VNI.
 * - Neighbor states are decoded from their raw bytes when read (`view.neighbor.get()`, a change's
 *   `desired`/`previous`): each read returns a fresh object, and a change is readable only during the
 *   `apply()` it was passed to. Keep what you need, not the change or the view's objects.
 * - One resource failing must not fail the batch: return `ok: false` with an error for it and carry on.
 *   Throwing from `apply()` means the whole batch failed (it is retried with backoff by the runtime).
 * - Calls are serialised by the runtime: `apply()` is never called concurrently with itself.
 */
import type {
  DhcpState,
  NeighborState,
  PortState,
  RouterState,
  SecurityGroupState,
  SubnetState,
  VpcState,
} from '../proto/alcor/v1/goal_state_pb.js';

/** The kinds of resources a goal state holds, in dependency order. */
export const RESOURCE_KINDS = ['vpc', 'subnet', 'securityGroup', 'router', 'port', 'dhcp', 'neighbor'] as const;

/** One kind of resource. */
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** The protobuf state type of each kind. */
export interface KindStates {
  vpc: VpcState;
  subnet: SubnetState;
  securityGroup: SecurityGroupState;
  router: RouterState;
  port: PortState;
  dhcp: DhcpState;
  neighbor: NeighborState;
}

/** Read-only complete desired state of the host, by kind then id. */
export type DesiredStateView = { readonly [K in ResourceKind]: ReadonlyMap<string, KindStates[K]> };

/** One resource whose desired state changed. */
export type ResourceChange = {
  [K in ResourceKind]: {
    kind: K;
    id: string;
    /** The full new desired state; undefined means the resource must be removed. */
    desired: KindStates[K] | undefined;
    /** The desired state before this change as the runtime knew it; undefined when new or unknown. */
    previous: KindStates[K] | undefined;
  };
}[ResourceKind];

/** A batch of changes to make the data plane match. */
export interface ApplyRequest {
  /** Controller revision the batch brings the host to (for logs and cookies; 0 when unknown). */
  readonly revision: number;
  /** `delta`: only `changes` need work; `full`: `desired` is complete, remove anything installed that is not desired. */
  readonly mode: 'delta' | 'full';
  /** Ordered changes (see the file header). */
  readonly changes: readonly ResourceChange[];
  /** Desired state after the batch. */
  readonly desired: DesiredStateView;
}

/** The outcome of one resource of a batch. */
export interface ResourceOutcome {
  kind: ResourceKind;
  id: string;
  ok: boolean;
  /** Why it failed, for the controller (port status ERROR) and logs. */
  error?: string;
  /**
   * Set when the resource is accepted but cannot take effect yet because something local is missing
   * (a port whose VM interface is not plugged): the port stays DOWN. When that changes the driver calls
   * the listener registered with `Driver.onOutcomesChanged`.
   */
  waitingFor?: string;
  /** Time spent on this resource, microseconds. */
  applyMicros: number;
}

/** Counters a driver exposes for status pages and tests. */
export interface DriverStats {
  /** Installed data-plane entries (flows for ovs/sim). */
  installedEntries: number;
  /** Batches applied in delta mode. */
  incrementalTotal: number;
  /** Batches applied in full (reconcile) mode. */
  recomputeTotal: number;
}

/** One packet to trace through the host's real data path (`Driver.traceDatapath`). */
export interface DatapathTracePacket {
  /** The port the packet enters from. */
  portId: string;
  sourceMac: string;
  sourceIp: string;
  destinationMac: string;
  destinationIp: string;
  protocol: 'icmp' | 'tcp' | 'udp';
  /** tcp and udp only. */
  destinationPort: number;
}

/** A datapath trace: the flow the tool traced and its output. */
export interface DatapathTrace {
  flow: string;
  output: string;
}

/** Nova's metadata service, which the agent's proxy forwards VM requests to. */
export interface MetadataService {
  /** Base URL of Nova's metadata API, e.g. `http://nova-api:8775`. */
  url: string;
  /** Nova's `[neutron] metadata_proxy_shared_secret`: the key of `X-Instance-ID-Signature`. */
  sharedSecret: string;
}

/** Where and as whom a driver runs. */
export interface DriverContext {
  hostId: string;
  /** Underlay address of this host: the local tunnel endpoint. */
  datapathIp: string;
  /** Directory the agent owns for persistent state; drivers may keep files under `<stateDir>/<driver>`. */
  stateDir: string;
  /** Driver-specific settings from the command line (`--driver-opt key=value`). */
  options: Readonly<Record<string, string>>;
  /** The metadata service VMs reach at 169.254.169.254; absent = none (drivers that cannot proxy ignore it). */
  metadata?: MetadataService;
  /** Physical network → bridge (`--bridge-mapping`); absent = none. */
  bridgeMappings?: ReadonlyMap<string, string>;
  /** Structured log sink. */
  log: (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

/** A data-plane implementation. Constructors do no I/O; `start()` does. */
export interface Driver {
  /** `sim`, `ovs`, ... */
  readonly name: string;
  /** Datapath type of the bridge VMs plug into (`system`, `netdev`), reported to the controller for os-vif. */
  readonly datapathType?: string;
  /** Connects to the data plane and learns what is installed (e.g. dumps flows). Called once. */
  start(): Promise<void>;
  /** Makes the data plane match the batch; see the file header for the contract. */
  apply(request: ApplyRequest): Promise<ResourceOutcome[]>;
  /**
   * Registers the runtime's listener for outcomes that change outside a batch (a port's interface
   * appeared or went away); the runtime re-acks its revision so the controller updates port status.
   * Drivers whose outcomes only change inside apply() need not implement it.
   */
  onOutcomesChanged?(listener: (outcomes: ResourceOutcome[]) => void): void;
  /**
   * Traces one packet through the installed data path (`alcor trace --on-host`); rejects with the
   * reason when it cannot. Drivers that cannot trace need not implement it.
   */
  traceDatapath?(packet: DatapathTracePacket): Promise<DatapathTrace>;
  /** Current counters. */
  stats(): DriverStats;
  /** Releases connections. Installed state stays: an agent restart must not flush the data plane. */
  close(): Promise<void>;
}

/**
 * What a driver module exports. `src/agent/drivers/ovs/index.ts` must export
 * `createDriver: DriverFactory` (loaded lazily so the sim-only agent never touches OVS).
 */
export type DriverFactory = (context: DriverContext) => Driver;
