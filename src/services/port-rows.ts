/**
 * Removal of a port row and of what hangs off it, shared by the port, network, router and floating-IP
 * services: tags, addresses (they cascade with the row), floating-IP associations, and the outbox record;
 * and removal of a floating IP with its port. Also the DOWN of the floating IPs of a port that changes host.
 * It imports no other service, so every service that deletes ports can use it without an import cycle.
 */
import { appendChange } from '../store/outbox.js';
import type { Queryable } from '../store/store.js';
import { deleteTags, timestamp } from './standard-attributes.js';

/** Detaches every floating IP associated with a port (Neutron does this when the port goes away). */
export async function disassociateFloatingIpsOfPort(tx: Queryable, portId: string): Promise<void> {
  const fips = await tx.all<{ id: string }>('SELECT id FROM floatingips WHERE port_id = ?', [portId]);
  for (const fip of fips) {
    await tx.run(
      "UPDATE floatingips SET port_id = NULL, fixed_ip_address = NULL, router_id = NULL, status = 'DOWN', revision_number = revision_number + 1, updated_at = ? WHERE id = ?",
      [timestamp(), fip.id],
    );
    await appendChange(tx, 'floatingip', fip.id, 'update');
  }
}

/** The port moved to another host (or was unbound): its floating IPs are DOWN until that host has programmed them. */
export async function floatingIpsOfPortDown(tx: Queryable, portId: string): Promise<void> {
  await tx.run("UPDATE floatingips SET status = 'DOWN' WHERE port_id = ? AND status <> 'DOWN'", [portId]);
}

/** Deletes a port row and everything hanging off it (addresses cascade), with its outbox record. */
export async function deletePortRows(tx: Queryable, portId: string): Promise<void> {
  await disassociateFloatingIpsOfPort(tx, portId);
  await deleteTags(tx, 'ports', portId);
  await tx.run('DELETE FROM ports WHERE id = ?', [portId]);
  await appendChange(tx, 'port', portId, 'delete');
}

/** Deletes a floating IP, its tags and its `network:floatingip` port, with their outbox records. */
export async function deleteFloatingIpRow(tx: Queryable, fipId: string): Promise<void> {
  const row = await tx.get<{ floating_port_id: string }>('SELECT floating_port_id FROM floatingips WHERE id = ?', [fipId]);
  if (!row) return;
  await deleteTags(tx, 'floatingips', fipId);
  await tx.run('DELETE FROM floatingips WHERE id = ?', [fipId]);
  await deletePortRows(tx, row.floating_port_id);
  await appendChange(tx, 'floatingip', fipId, 'delete');
}
