/** Migrations of the Neutron API extensions added after the first release (versions 400-409). */
import type { Migration } from './migration.js';

/** Availability zones of hosts and the zone hints of networks and routers. */
export const NEUTRON_EXTENSION_MIGRATIONS: Migration[] = [
  {
    version: 400,
    name: 'extensions: availability zones',
    statements: [
      // Hosts that never named a zone are in Neutron's default zone.
      `ALTER TABLE hosts ADD COLUMN availability_zone TEXT NOT NULL DEFAULT 'nova'`,
      // JSON arrays of zone names, fixed at create as in Neutron.
      `ALTER TABLE networks ADD COLUMN availability_zone_hints TEXT NOT NULL DEFAULT '[]'`,
      `ALTER TABLE routers ADD COLUMN availability_zone_hints TEXT NOT NULL DEFAULT '[]'`,
    ],
  },
];
