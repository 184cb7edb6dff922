/**
 * One schema migration: portable statements where `{{bigserial}}` and `{{bigint}}` expand per engine.
 * Version ranges per area keep areas from colliding: core 1-99, L3/security/quota 100-199,
 * southbound/hosts 200-299, later areas 300+.
 */
export interface Migration {
  version: number;
  name: string;
  statements: string[];
}
