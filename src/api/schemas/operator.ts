/** Wire schemas of the operator view (/alcor/v1): the shapes of src/domain/operator.ts. */
import { Type } from '@sinclair/typebox';
import { Nullable } from './common.js';

const HostLive = Type.Object({
  transport: Type.String(),
  sent_revision: Type.Integer(),
  acked_revision: Type.Integer(),
  lag_revisions: Type.Integer(),
  last_ack_at: Nullable(Type.String()),
});

/** A host of the registry with its stream on the answering replica. */
export const HostView = Type.Object({
  host: Type.String(),
  alive: Type.Boolean(),
  datapath_ip: Type.String(),
  agent_version: Type.String(),
  capabilities: Type.Array(Type.String()),
  controller_id: Type.String(),
  applied_revision: Type.Integer(),
  heartbeat_at: Type.String(),
  started_at: Type.String(),
  ports: Type.Integer(),
  live: Nullable(HostLive),
});

/** `GET /alcor/v1/status`. */
export const OperatorStatus = Type.Object({
  version: Type.String(),
  controller_id: Type.String(),
  store: Type.Object({ engine: Type.String() }),
  outbox: Type.Object({ head_revision: Type.Integer(), compiled_revision: Type.Integer() }),
  replicas: Type.Array(Type.Object({ controller_id: Type.String(), hosts: Type.Integer(), this: Type.Boolean() })),
  hosts: Type.Object({ total: Type.Integer(), alive: Type.Integer(), lost: Type.Integer() }),
  slowest_hosts: Type.Array(HostView),
});

/** `GET /alcor/v1/ports/{id}`. */
export const PortProgrammingView = Type.Object({
  id: Type.String(),
  network_id: Type.String(),
  status: Type.String(),
  admin_state_up: Type.Boolean(),
  binding_host_id: Type.String(),
  device_owner: Type.String(),
  programmed: Nullable(
    Type.Object({
      host: Type.String(),
      revision: Type.Integer(),
      committed_at: Nullable(Type.String()),
      host_acked_revision: Nullable(Type.Integer()),
      sent_at: Nullable(Type.String()),
      active_at: Nullable(Type.String()),
      commit_to_active_ms: Nullable(Type.Integer()),
      waiting_for_interface: Type.Boolean(),
      failed: Type.Boolean(),
    }),
  ),
  reason: Nullable(Type.String()),
});

/** `GET /alcor/v1/trace` query: one packet from a port to an address. */
export const TraceQuery = Type.Object(
  {
    from_port: Type.String({ minLength: 1, maxLength: 255 }),
    to: Type.String({ minLength: 1, maxLength: 64 }),
    proto: Type.Union([Type.Literal('icmp'), Type.Literal('tcp'), Type.Literal('udp')]),
    dport: Type.Optional(Type.String({ pattern: '^([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$' })),
    on_host: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
  },
  { additionalProperties: false },
);

const TraceRequest = Type.Object({
  from_port: Type.String(),
  to: Type.String(),
  proto: Type.String(),
  dport: Type.Optional(Type.Integer()),
  on_host: Type.Optional(Type.Boolean()),
});

/** The result of a logical trace. */
export const TraceResult = Type.Object({
  request: TraceRequest,
  source: Type.Object({ port: Type.String(), host: Type.String(), ip: Type.String(), mac: Type.String() }),
  steps: Type.Array(Type.Object({ stage: Type.String(), detail: Type.String(), ids: Type.Optional(Type.Record(Type.String(), Type.String())) })),
  verdict: Type.Union([Type.Literal('allow'), Type.Literal('drop')]),
  reason: Nullable(Type.String()),
  on_host: Type.Optional(Type.Object({ host: Type.String(), flow: Type.String(), output: Type.String() })),
});

/** `GET /alcor/v1/events` query. */
export const EventsQuery = Type.Object({ limit: Type.Optional(Type.String({ pattern: '^([1-9][0-9]?|1[0-9][0-9]|200)$' })) }, { additionalProperties: false });

/** A warning or error the southbound logged. */
export const OperatorEvent = Type.Object({
  at: Type.String(),
  level: Type.Union([Type.Literal('warn'), Type.Literal('error')]),
  message: Type.String(),
  host: Type.String(),
  details: Type.String(),
});

/** `GET /alcor/v1/programming`. */
export const ProgrammingLatency = Type.Object({
  count: Type.Integer(),
  p50_ms: Nullable(Type.Integer()),
  p90_ms: Nullable(Type.Integer()),
  p99_ms: Nullable(Type.Integer()),
  max_ms: Nullable(Type.Integer()),
  recent: Type.Array(Type.Object({ port: Type.String(), host: Type.String(), at: Type.String(), ms: Type.Integer() })),
});
