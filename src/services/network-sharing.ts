/**
 * A network's `shared` and `router:external` attributes as RBAC entries, as in Neutron: `shared: true` is
 * an access_as_shared entry for every project, `router:external: true` an access_as_external one. The
 * `shared` and `router_external` columns of a network follow its entries (a wildcard shared entry; any
 * external entry), so code that reads the columns sees what the entries grant.
 */
import { InvalidSharedSetting, RbacPolicyInUse } from '../domain/errors.js';
import { appendChange } from '../store/outbox.js';
import type { Queryable } from '../store/store.js';
import { assertWithdrawable, setGrantedToEveryone } from './rbac-sharing.js';
import { timestamp } from './standard-attributes.js';

/** Applies `shared` / `router:external` of a network create or update to its RBAC entries and columns. */
export async function applyNetworkSharing(tx: Queryable, networkId: string, owner: string, body: { shared?: boolean; 'router:external'?: boolean }): Promise<void> {
  if (body.shared !== undefined) {
    await setGrantedToEveryone(tx, 'network', networkId, owner, 'access_as_shared', body.shared).catch((err: unknown) => {
      if (err instanceof RbacPolicyInUse) {
        throw new InvalidSharedSetting(`Unable to reconfigure sharing settings for network ${networkId}. Multiple tenants are using it.`, { cause: err });
      }
      throw err;
    });
  }
  if (body['router:external'] === true) await setGrantedToEveryone(tx, 'network', networkId, owner, 'access_as_external', true);
  if (body['router:external'] === false) {
    // No longer external for anyone: every external entry goes, each only if no other project still needs it.
    const entries = await tx.all<{ id: string; target_tenant: string }>("SELECT id, target_tenant FROM rbac_policies WHERE object_type = 'network' AND object_id = ? AND action = 'access_as_external'", [networkId]);
    for (const e of entries) {
      await assertWithdrawable(tx, { id: e.id, object_type: 'network', object_id: networkId, action: 'access_as_external', target_tenant: e.target_tenant }, owner);
      await tx.run('DELETE FROM rbac_policies WHERE id = ?', [e.id]);
    }
  }
  await syncNetworkFlags(tx, networkId);
}

/** Sets a network's `shared` / `router_external` columns from its entries; a change bumps its revision (returns whether it did). */
export async function syncNetworkFlags(tx: Queryable, networkId: string): Promise<boolean> {
  const flags = await tx.get<{ shared: number | string; external: number | string; cur_shared: number; cur_external: number }>(
    `SELECT
       (SELECT COUNT(*) FROM rbac_policies WHERE object_type = 'network' AND object_id = n.id AND action = 'access_as_shared' AND target_tenant = '*') AS shared,
       (SELECT COUNT(*) FROM rbac_policies WHERE object_type = 'network' AND object_id = n.id AND action = 'access_as_external') AS external,
       n.shared AS cur_shared, n.router_external AS cur_external
     FROM networks n WHERE n.id = ?`,
    [networkId],
  );
  if (!flags) return false;
  const shared = Number(flags.shared) > 0 ? 1 : 0;
  const external = Number(flags.external) > 0 ? 1 : 0;
  if (shared === Number(flags.cur_shared) && external === Number(flags.cur_external)) return false;
  await tx.run('UPDATE networks SET shared = ?, router_external = ?, revision_number = revision_number + 1, updated_at = ? WHERE id = ?', [shared, external, timestamp(), networkId]);
  await appendChange(tx, 'network', networkId, 'update');
  return true;
}
