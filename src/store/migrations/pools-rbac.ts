/** Subnet pools, address scopes and RBAC policies (versions 410-429). */
import type { Migration } from './migration.js';

/**
 * `address_scopes` and `subnetpools` hold Neutron's subnet allocation resources; a subnet remembers the
 * pool it was carved from (`subnets.subnetpool_id`). `rbac_policies` is the one record of who may use
 * another project's network, security group, address scope or subnet pool: sharing with every project is
 * the entry for target '*', so existing shared and external networks get theirs here.
 */
export const POOLS_RBAC_MIGRATIONS: Migration[] = [
  {
    version: 410,
    name: 'pools-rbac: address scopes, subnet pools, subnet pool of a subnet, rbac policies',
    statements: [
      `CREATE TABLE address_scopes (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        ip_version INTEGER NOT NULL,
        revision_number {{bigint}} NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      `CREATE INDEX address_scopes_project ON address_scopes (project_id)`,
      `CREATE TABLE subnetpools (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        ip_version INTEGER NOT NULL,
        prefixes TEXT NOT NULL,
        default_prefixlen INTEGER NOT NULL,
        min_prefixlen INTEGER NOT NULL,
        max_prefixlen INTEGER NOT NULL,
        default_quota {{bigint}},
        address_scope_id TEXT,
        is_default INTEGER NOT NULL,
        revision_number {{bigint}} NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      `CREATE INDEX subnetpools_project ON subnetpools (project_id)`,
      `CREATE INDEX subnetpools_address_scope ON subnetpools (address_scope_id)`,
      `ALTER TABLE subnets ADD COLUMN subnetpool_id TEXT`,
      `CREATE INDEX subnets_subnetpool ON subnets (subnetpool_id)`,
      `CREATE TABLE rbac_policies (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        object_type TEXT NOT NULL,
        object_id TEXT NOT NULL,
        action TEXT NOT NULL,
        target_tenant TEXT NOT NULL
      )`,
      `CREATE UNIQUE INDEX rbac_policies_entry ON rbac_policies (object_type, object_id, action, target_tenant)`,
      `CREATE INDEX rbac_policies_target ON rbac_policies (target_tenant)`,
      `CREATE INDEX rbac_policies_project ON rbac_policies (project_id)`,
      // Ids of the entries written for networks that were shared or external before RBAC existed.
      `INSERT INTO rbac_policies (id, project_id, object_type, object_id, action, target_tenant)
        SELECT 'shared-' || id, project_id, 'network', id, 'access_as_shared', '*' FROM networks WHERE shared = 1`,
      `INSERT INTO rbac_policies (id, project_id, object_type, object_id, action, target_tenant)
        SELECT 'external-' || id, project_id, 'network', id, 'access_as_external', '*' FROM networks WHERE router_external = 1`,
    ],
  },
];
