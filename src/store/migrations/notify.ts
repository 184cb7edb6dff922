/** Schema of the Nova contract (versions 470-489): the event queue, what Nova was told, the outbox cursor, agents' datapath types,
 * inactive port bindings. */
import type { Migration } from './migration.js';

/** Tables of src/notify. */
export const NOTIFY_MIGRATIONS: Migration[] = [
  {
    version: 470,
    name: 'notify: events to Nova',
    statements: [
      // Events waiting for Nova. A sender claims a batch (claim = its token, claimed_until = lease end in
      // epoch ms) and deletes it once Nova answered; a claim whose lease ran out is taken again.
      `CREATE TABLE nova_events (
        id {{bigserial}},
        name TEXT NOT NULL,
        server_uuid TEXT NOT NULL,
        tag TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        claim TEXT NOT NULL DEFAULT '',
        claimed_until {{bigint}} NOT NULL DEFAULT 0
      )`,
      // What Nova was last told about each instance port; events are the difference to the port now.
      `CREATE TABLE nova_ports (
        port_id TEXT PRIMARY KEY,
        server_uuid TEXT NOT NULL,
        host TEXT NOT NULL,
        status TEXT NOT NULL,
        vif_type TEXT NOT NULL,
        addresses TEXT NOT NULL
      )`,
      // The outbox revision up to which port and floating-IP changes were turned into events (one row).
      `CREATE TABLE nova_cursor (id INTEGER PRIMARY KEY, revision {{bigint}} NOT NULL)`,
    ],
  },
  {
    version: 471,
    name: 'notify: datapath type each agent reports (binding:vif_details for os-vif)',
    statements: [`ALTER TABLE hosts ADD COLUMN datapath_type TEXT NOT NULL DEFAULT ''`],
  },
  {
    version: 472,
    name: 'notify: inactive port bindings (binding-extended, live migration)',
    statements: [
      // The active binding stays in the ports row; these are the others, at most one per host.
      `CREATE TABLE port_bindings (
        port_id TEXT NOT NULL REFERENCES ports (id) ON DELETE CASCADE,
        host TEXT NOT NULL,
        vnic_type TEXT NOT NULL,
        profile TEXT NOT NULL,
        vif_type TEXT NOT NULL,
        -- 1: made for a destination, programmed there ahead of activation; 0: a former active binding.
        prepared INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (port_id, host)
      )`,
    ],
  },
];
