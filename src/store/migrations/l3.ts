/** L3, security-group and quota schema migrations (versions 100-199). */
import type { Migration } from './migration.js';

/**
 * Routers, security groups and rules, floating IPs and quota limits. Router interfaces, gateways and
 * floating IPs own ordinary rows in `ports` (device_owner `network:router_interface`, `network:router_gateway`,
 * `network:floatingip`), so their addresses live in `ip_allocations` like every other fixed IP.
 */
export const L3_MIGRATIONS: Migration[] = [
  {
    version: 100,
    name: 'l3: security groups, rules, routers, floating ips, quotas',
    statements: [
      `CREATE TABLE security_groups (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        stateful INTEGER NOT NULL,
        revision_number {{bigint}} NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      `CREATE INDEX security_groups_project ON security_groups (project_id)`,
      // One default group per project; the primary key makes a concurrent second creation fail.
      `CREATE TABLE default_security_groups (
        project_id TEXT PRIMARY KEY,
        security_group_id TEXT NOT NULL REFERENCES security_groups (id) ON DELETE CASCADE
      )`,
      `CREATE TABLE security_group_rules (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        security_group_id TEXT NOT NULL REFERENCES security_groups (id) ON DELETE CASCADE,
        direction TEXT NOT NULL,
        ethertype TEXT NOT NULL,
        protocol TEXT,
        port_range_min INTEGER,
        port_range_max INTEGER,
        remote_ip_prefix TEXT,
        remote_group_id TEXT,
        description TEXT NOT NULL,
        revision_number {{bigint}} NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      `CREATE INDEX security_group_rules_group ON security_group_rules (security_group_id)`,
      `CREATE INDEX security_group_rules_remote ON security_group_rules (remote_group_id)`,
      `CREATE INDEX security_group_rules_project ON security_group_rules (project_id)`,
      `CREATE TABLE routers (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        admin_state_up INTEGER NOT NULL,
        status TEXT NOT NULL,
        distributed INTEGER NOT NULL,
        ha INTEGER NOT NULL,
        gw_network_id TEXT,
        gw_port_id TEXT,
        enable_snat INTEGER NOT NULL,
        routes TEXT NOT NULL,
        revision_number {{bigint}} NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      `CREATE INDEX routers_project ON routers (project_id)`,
      `CREATE INDEX routers_gw_network ON routers (gw_network_id)`,
      `CREATE TABLE floatingips (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        description TEXT NOT NULL,
        floating_network_id TEXT NOT NULL,
        floating_port_id TEXT NOT NULL,
        floating_ip_address TEXT NOT NULL,
        port_id TEXT,
        fixed_ip_address TEXT,
        router_id TEXT,
        status TEXT NOT NULL,
        revision_number {{bigint}} NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      `CREATE INDEX floatingips_project ON floatingips (project_id)`,
      `CREATE INDEX floatingips_port ON floatingips (port_id)`,
      `CREATE INDEX floatingips_router ON floatingips (router_id)`,
      // A fixed IP of a port can carry one floating IP at most (Neutron's FloatingIPPortAlreadyAssociated).
      `CREATE UNIQUE INDEX floatingips_fixed ON floatingips (port_id, fixed_ip_address)`,
      // Only limits that differ from the configured defaults are stored.
      `CREATE TABLE quotas (
        project_id TEXT NOT NULL,
        resource TEXT NOT NULL,
        hard_limit {{bigint}} NOT NULL,
        PRIMARY KEY (project_id, resource)
      )`,
    ],
  },
];
