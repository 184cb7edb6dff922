/**
 * The events Nova takes on `POST /v2.1/os-server-external-events` and how a port's change turns into
 * them. Pure: the journal (event-journal.ts) feeds it what Nova was last told about a port and what the
 * port is now, and stores what it returns.
 *
 * As Neutron's notifier: `network-vif-plugged` (completed when the port turns ACTIVE, failed when it turns
 * ERROR or its binding fails), `network-vif-unplugged` when it leaves ACTIVE for DOWN, `network-vif-deleted`
 * when it is deleted, `network-changed` when its fixed IPs or associated floating IPs change. Only ports of
 * instances count: device_owner `compute:*` and an instance UUID as device_id.
 */

/** Event names Nova accepts from a network service (microversion 2.1). */
export const NOVA_EVENT_NAMES = ['network-changed', 'network-vif-plugged', 'network-vif-unplugged', 'network-vif-deleted'] as const;

/** One of Nova's network event names. */
export type NovaEventName = (typeof NOVA_EVENT_NAMES)[number];

/** Event statuses Nova accepts. */
export const NOVA_EVENT_STATUSES = ['failed', 'completed', 'in-progress'] as const;

/** One event as sent to Nova (status omitted means Nova's default, completed). */
export interface NovaEvent {
  name: NovaEventName;
  server_uuid: string;
  tag: string;
  status?: 'completed' | 'failed';
}

/** What Nova was last told about a port (a row of `nova_ports`). */
export interface SeenPort {
  serverUuid: string;
  host: string;
  status: string;
  vifType: string;
  /** Fixed and floating addresses, as `addressSignature` writes them. */
  addresses: string;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** True for a port whose events Nova wants: owned by a compute service and attached to an instance UUID. */
export function isInstancePort(deviceOwner: string, deviceId: string): boolean {
  return deviceOwner.startsWith('compute:') && UUID.test(deviceId);
}

/** A stable text of a port's fixed IPs and associated floating IPs, so any change of either shows. */
export function addressSignature(fixedIps: readonly string[], floatingIps: readonly string[]): string {
  return JSON.stringify({ fixed: [...fixedIps].sort(), floating: [...floatingIps].sort() });
}

/**
 * The events one port's change means to Nova. `seen` is undefined when Nova was told nothing of the port
 * yet, `now` when the port is no longer an instance port; `deleted` says whether it is gone altogether.
 */
export function portEvents(portId: string, seen: SeenPort | undefined, now: SeenPort | undefined, deleted: boolean): NovaEvent[] {
  if (!now) return seen && deleted ? [{ name: 'network-vif-deleted', server_uuid: seen.serverUuid, tag: portId }] : [];
  // Attached to another instance: what the previous one was told does not matter to the new one.
  const before = seen?.serverUuid === now.serverUuid ? seen : undefined;
  const events: NovaEvent[] = [];
  const event = (name: NovaEventName, status?: 'completed' | 'failed') =>
    events.push({ name, server_uuid: now.serverUuid, tag: portId, ...(status ? { status } : {}) });
  if (before && before.addresses !== now.addresses) event('network-changed');
  const failedBinding = now.vifType === 'binding_failed' && before?.vifType !== 'binding_failed';
  if (failedBinding || (now.status === 'ERROR' && before?.status !== 'ERROR')) {
    event('network-vif-plugged', 'failed');
  } else if (now.status === 'ACTIVE' && (before?.status !== 'ACTIVE' || before.host !== now.host)) {
    // ACTIVE on a new host (a live migration's activation) means plugged there.
    event('network-vif-plugged', 'completed');
  } else if (now.status === 'DOWN' && before?.status === 'ACTIVE') {
    event('network-vif-unplugged');
  }
  return events;
}
