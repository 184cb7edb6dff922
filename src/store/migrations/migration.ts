/**
 * One schema migration: portable statements where `{{bigserial}}` and `{{bigint}}` expand per engine.
 * Version ranges per area keep areas from colliding: core 1-99, L3/security/quota 100-199,
 * southbound/hosts 200-299, Neutron migration 300-399, later areas 400+ (each area takes a range).
 * A migration runs in one transaction with its record in `schema_migrations`, so its statements must be
 * ones both engines run inside a transaction (no `CREATE INDEX CONCURRENTLY`, no `VACUUM`). During a
 * rolling upgrade the previous release's replicas keep running on the migrated schema, so a migration
 * only adds (tables, nullable or defaulted columns, indexes); removing or renaming waits a release.
 */
export interface Migration {
  version: number;
  name: string;
  statements: string[];
}
