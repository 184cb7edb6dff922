/** `alcor hosts list|show`: the registered hosts, alive or lost, with their stream on the answering controller. */
import type { Command } from 'commander';
import type { HostView } from '../../domain/operator.js';
import { commandGroup, type RegisterCommand } from '../command-group.js';
import { addOpsOptions, getOps, opsAction, print, type OpsFlags } from '../ops-client.js';
import { formatFields, formatTable } from '../table.js';

/** Columns of a host table (shared with `alcor status`). */
export const HOST_COLUMNS = ['HOST', 'STATE', 'DATAPATH IP', 'PORTS', 'ACKED', 'LAG', 'LAST ACK', 'TRANSPORT'];

/** One host as a table row. */
export function hostRow(h: HostView): (string | number | null)[] {
  return [h.host, h.alive ? 'alive' : 'lost', h.datapath_ip, h.ports, h.live?.acked_revision ?? h.applied_revision, h.live?.lag_revisions ?? null, h.live?.last_ack_at ?? null, h.live?.transport ?? null];
}

function formatHost(h: HostView): string {
  return formatFields([
    ['host', h.host],
    ['state', h.alive ? 'alive' : 'lost'],
    ['datapath ip', h.datapath_ip],
    ['agent version', h.agent_version],
    ['capabilities', h.capabilities.join(', ')],
    ['controller', h.controller_id],
    ['ports bound', h.ports],
    ['applied revision', h.applied_revision],
    ['last heartbeat', h.heartbeat_at],
    ['started', h.started_at],
    ['stream here', h.live ? h.live.transport : 'none (on another replica, or not connected)'],
    ['sent revision', h.live?.sent_revision],
    ['acked revision', h.live?.acked_revision],
    ['lag (revisions)', h.live?.lag_revisions],
    ['last ack', h.live?.last_ack_at],
  ]);
}

/** Registers `alcor hosts list` and `alcor hosts show`. */
export const registerHosts: RegisterCommand = (program: Command) => {
  const group = commandGroup(program, 'hosts', 'registered hosts and their agents');
  addOpsOptions(group.command('list').description('every registered host: alive or lost, ports, acked revision, lag')).action(
    opsAction(async (flags: OpsFlags) => {
      const { hosts } = await getOps<{ hosts: HostView[] }>(flags, '/hosts');
      print(flags, hosts, () => (hosts.length === 0 ? 'no hosts registered\n' : formatTable(HOST_COLUMNS, hosts.map(hostRow))));
    }),
  );
  addOpsOptions(group.command('show').argument('<host>', 'host name (binding:host_id)').description('one host in detail')).action(
    opsAction(async (flags: OpsFlags, host: string) => {
      const { host: view } = await getOps<{ host: HostView }>(flags, `/hosts/${encodeURIComponent(host)}`);
      print(flags, view, () => formatHost(view));
    }),
  );
};
