/** The wire shapes the dashboard reads (the fields it asks for), from /alcor/v1 and /v2.0. */

export interface HostView {
  host: string;
  alive: boolean;
  datapath_ip: string;
  agent_version: string;
  controller_id: string;
  applied_revision: number;
  heartbeat_at: string;
  ports: number;
  live: { transport: string; sent_revision: number; acked_revision: number; lag_revisions: number; last_ack_at: string | null } | null;
}

export interface Status {
  version: string;
  controller_id: string;
  store: { engine: string };
  outbox: { head_revision: number; compiled_revision: number };
  hosts: { total: number; alive: number; lost: number };
}

export interface OperatorEvent {
  at: string;
  level: 'warn' | 'error';
  message: string;
  host: string;
  details: string;
}

export interface ProgrammingLatency {
  count: number;
  p50_ms: number | null;
  p90_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
  recent: { port: string; host: string; at: string; ms: number }[];
}

export interface Network {
  id: string;
  name: string;
  project_id: string;
  status: string;
  'router:external'?: boolean;
}

export interface Subnet {
  id: string;
  name: string;
  network_id: string;
  cidr: string;
  project_id: string;
}

export interface Router {
  id: string;
  name: string;
  project_id: string;
  status: string;
  external_gateway_info: { network_id: string } | null;
}

export interface Port {
  id: string;
  name: string;
  network_id: string;
  project_id: string;
  status: string;
  device_owner: string;
  device_id: string;
  'binding:host_id': string;
  fixed_ips: { subnet_id: string; ip_address: string }[];
}
