/** Migration-tool schema (versions 300-399): what `alcor migrate from-neutron` imported, for catch-up runs. */
import type { Migration } from './migration.js';

/**
 * `migrate_resources` marks every Alcor resource that came from Neutron, so a catch-up run deletes only
 * what it imported (never resources created through Alcor's own API). `migrate_rbac_policies` keeps the
 * ids of Neutron's RBAC policies, which Alcor expresses as the `shared` / `router:external` flags.
 * `migrate_runs` is the history an operator reads to see when the last import ran and what it did.
 */
export const MIGRATE_MIGRATIONS: Migration[] = [
  {
    version: 300,
    name: 'migrate: imported resources, rbac policies, runs',
    statements: [
      `CREATE TABLE migrate_resources (
        resource_type TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        source_url TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        PRIMARY KEY (resource_type, resource_id)
      )`,
      `CREATE TABLE migrate_rbac_policies (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        object_type TEXT NOT NULL,
        object_id TEXT NOT NULL,
        action TEXT NOT NULL,
        target_tenant TEXT NOT NULL
      )`,
      `CREATE TABLE migrate_runs (
        id {{bigserial}},
        source_url TEXT NOT NULL,
        dry_run INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        summary TEXT NOT NULL
      )`,
    ],
  },
];
