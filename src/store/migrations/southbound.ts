/** Southbound schema migrations (versions 200-299): the host registry, and what the goal-state compiler queries by. */
import type { Migration } from './migration.js';

/** Hosts (agents) register themselves when they connect; ports bind to them by `host` (= binding:host_id). */
export const SOUTHBOUND_MIGRATIONS: Migration[] = [
  {
    version: 200,
    name: 'southbound: host registry',
    statements: [
      `CREATE TABLE hosts (
        id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        datapath_ip TEXT NOT NULL,
        capabilities TEXT NOT NULL,
        agent_version TEXT NOT NULL,
        connected INTEGER NOT NULL,
        controller_id TEXT NOT NULL,
        applied_revision {{bigint}} NOT NULL,
        heartbeat_at TEXT NOT NULL,
        started_at TEXT NOT NULL,
        created_at TEXT NOT NULL
      )`,
      // `host` is the name ports bind to (binding:host_id); `id` is the Neutron agent id.
      `CREATE UNIQUE INDEX hosts_host ON hosts (host)`,
    ],
  },
  {
    version: 201,
    name: 'southbound: per-network channel override',
    // '' = the controller's default mode; otherwise grpc, mq or auto (attribute alcor:southbound_channel).
    statements: [`ALTER TABLE networks ADD COLUMN southbound_channel TEXT NOT NULL DEFAULT ''`],
  },
  {
    version: 202,
    name: 'southbound: ports by device owner',
    // The goal-state compiler finds router interfaces by owner (see ROUTER_OWNER): without it every host
    // compile walked all allocations of the host's subnets (10 ms at 10,000 ports).
    statements: [`CREATE INDEX ports_device_owner ON ports (device_owner)`],
  },
];
