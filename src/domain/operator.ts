/**
 * The operator view: what `alcor status`, `alcor hosts`, `alcor port show` and `alcor trace` read from a
 * controller (admin API under /alcor/v1). Field names are the wire names. Live facts (sessions, acks,
 * programming) are those of the replica that answers; the host registry is shared by all replicas.
 */

/** A host of the registry, with what this replica knows of its stream. */
export interface HostView {
  host: string;
  /** An agent holds a stream to some replica (the registry's `connected`). */
  alive: boolean;
  datapath_ip: string;
  agent_version: string;
  capabilities: string[];
  /** The replica holding (or last holding) its stream. */
  controller_id: string;
  /** Newest revision it acked, as last written to the registry by heartbeats. */
  applied_revision: number;
  heartbeat_at: string;
  started_at: string;
  /** Ports bound to it (`binding:host_id`). */
  ports: number;
  /** Its stream on this replica; null when it has none here. */
  live: HostLive | null;
}

/** A host's Watch stream on the answering replica. */
export interface HostLive {
  /** `grpc`, or `grpc+nats` when it also takes VPC scopes from the bus. */
  transport: string;
  sent_revision: number;
  acked_revision: number;
  /** Revisions sent and not yet acked. */
  lag_revisions: number;
  /** When its last ack arrived (ISO), null before the first. */
  last_ack_at: string | null;
}

/** `alcor status`. */
export interface OperatorStatus {
  version: string;
  controller_id: string;
  store: { engine: string };
  outbox: {
    /** Newest revision committed to the outbox. */
    head_revision: number;
    /** Newest revision this replica's data-plane manager compiled. */
    compiled_revision: number;
  };
  /** Replicas that hold host streams (from the registry), this one always included. */
  replicas: { controller_id: string; hosts: number; this: boolean }[];
  hosts: { total: number; alive: number; lost: number };
  /** Hosts of this replica furthest behind (most unacked revisions, then the oldest ack). */
  slowest_hosts: HostView[];
}

/** Where and how far one port is programmed. */
export interface PortProgrammingView {
  id: string;
  network_id: string;
  status: string;
  admin_state_up: boolean;
  binding_host_id: string;
  device_owner: string;
  /** What this replica sent to the port's host; null when it programs the port nowhere. */
  programmed: {
    host: string;
    /** Outbox revision of the batch that carried the port's current state. */
    revision: number;
    /** When that revision was committed (ISO). */
    committed_at: string | null;
    host_acked_revision: number | null;
    sent_at: string | null;
    active_at: string | null;
    /** From that commit to the ack that made the port ACTIVE. */
    commit_to_active_ms: number | null;
    waiting_for_interface: boolean;
    failed: boolean;
  } | null;
  /** Why the port is not ACTIVE; null when it is. */
  reason: string | null;
}

/** A logical trace request: one packet from a port to an address. */
export interface TraceRequest {
  from_port: string;
  to: string;
  proto: 'icmp' | 'tcp' | 'udp';
  /** Destination port (tcp/udp). */
  dport?: number;
  /** Also trace the packet through the source host's real data path (its agent runs the datapath's tracer). */
  on_host?: boolean;
}

/** One step of a trace. */
export interface TraceStep {
  /** `port`, `port-security`, `egress`, `routing`, `destination`, `tunnel`, `ingress`. */
  stage: string;
  /** What happened, in a sentence. */
  detail: string;
  /** Ids the step used (rule, router, subnet, port, host), by kind. */
  ids?: Record<string, string>;
}

/** The result of a logical trace. */
export interface TraceResult {
  request: TraceRequest;
  source: { port: string; host: string; ip: string; mac: string };
  steps: TraceStep[];
  verdict: 'allow' | 'drop';
  /** The step that dropped the packet, in a sentence; null when allowed. */
  reason: string | null;
  /** With `on_host`: what the source host's agent traced (ovs: the flow given to `ovs-appctl ofproto/trace` and its output). */
  on_host?: { host: string; flow: string; output: string };
}

/** A warning or error the answering replica's southbound logged (a refused agent, a failed publish...). */
export interface OperatorEvent {
  at: string;
  level: 'warn' | 'error';
  message: string;
  /** The host it concerns; empty when none. */
  host: string;
  details: string;
}

/** Programming latency on the answering replica: the last ports that became ACTIVE. */
export interface ProgrammingLatency {
  /** Ports in the window below. */
  count: number;
  p50_ms: number | null;
  p90_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
  /** Oldest first: when each became ACTIVE and how long it took from the send of its state. */
  recent: { port: string; host: string; at: string; ms: number }[];
}

/** Read-only operator queries; every call is admin only (the API checks). */
export interface OperatorView {
  status(): Promise<OperatorStatus>;
  hosts(): Promise<HostView[]>;
  /** Throws AgentNotFound for an unknown host. */
  host(name: string): Promise<HostView>;
  /** Throws PortNotFound for an unknown port. */
  port(id: string): Promise<PortProgrammingView>;
  /** Throws PortNotFound for an unknown port, InvalidInput for an address that is not one. */
  trace(request: TraceRequest): Promise<TraceResult>;
  /** The last warnings and errors, newest first, at most `limit`. */
  events(limit: number): Promise<OperatorEvent[]>;
  programming(): Promise<ProgrammingLatency>;
}
