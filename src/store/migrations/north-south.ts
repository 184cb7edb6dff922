/** North-south schema (versions 500-509): provider networks on physical bridges, gateways, floating IPs. */
import type { Migration } from './migration.js';

export const NORTH_SOUTH_MIGRATIONS: Migration[] = [
  {
    version: 500,
    name: 'north-south: bridge mappings each agent reports (physnet → bridge, JSON object)',
    statements: [`ALTER TABLE hosts ADD COLUMN bridge_mappings TEXT NOT NULL DEFAULT '{}'`],
  },
  {
    version: 501,
    name: 'north-south: the host carrying each router gateway (SNAT), chosen by the controller',
    statements: [`ALTER TABLE routers ADD COLUMN gateway_host TEXT NOT NULL DEFAULT ''`],
  },
];
