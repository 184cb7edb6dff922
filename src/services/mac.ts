/**
 * MAC address generation: the configured three-octet prefix plus three random octets, retried on the
 * rare collision. Uniqueness is per network (the `ports (network_id, mac_address)` index), as in
 * Neutron, and the MAC lives only on its port row, so there is no allocator state to leak.
 */
import { randomBytes } from 'node:crypto';
import { MacAddressGenerationFailure, MacAddressInUse } from '../domain/errors.js';
import type { Queryable } from '../store/store.js';

const MAX_ATTEMPTS = 16;

async function macTaken(tx: Queryable, networkId: string, mac: string): Promise<boolean> {
  return (await tx.get('SELECT 1 AS x FROM ports WHERE network_id = ? AND mac_address = ?', [networkId, mac])) !== undefined;
}

/** A fresh MAC not yet used on the network. */
export async function generateMac(tx: Queryable, networkId: string, prefix: readonly number[]): Promise<string> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const octets = [...prefix.slice(0, 3), ...randomBytes(3)];
    const mac = octets.map((o) => o.toString(16).padStart(2, '0')).join(':');
    if (!(await macTaken(tx, networkId, mac))) return mac;
  }
  throw new MacAddressGenerationFailure(`Unable to generate a unique MAC address on network ${networkId}`);
}

/** Throws 409 MacAddressInUse when the (normalised) MAC is used on the network. */
export async function assertMacFree(tx: Queryable, networkId: string, mac: string): Promise<void> {
  if (await macTaken(tx, networkId, mac)) {
    throw new MacAddressInUse(`Unable to complete operation for network ${networkId}. The mac address ${mac} is in use.`);
  }
}
