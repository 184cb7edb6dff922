/** `alcor status`: the controller's version, store, replicas, hosts alive and lost, outbox head, slowest hosts. */
import type { Command } from 'commander';
import type { OperatorStatus } from '../../domain/operator.js';
import type { RegisterCommand } from '../command-group.js';
import { addOpsOptions, getOps, opsAction, print, type OpsFlags } from '../ops-client.js';
import { formatFields, formatTable } from '../table.js';
import { hostRow, HOST_COLUMNS } from './hosts.js';

function formatStatus(s: OperatorStatus): string {
  const fields = formatFields([
    ['version', s.version],
    ['controller', s.controller_id],
    ['store', s.store.engine],
    ['replicas', s.replicas.map((r) => `${r.controller_id}${r.this ? ' (this)' : ''}: ${r.hosts} hosts`).join(', ')],
    ['hosts', `${s.hosts.alive} alive, ${s.hosts.lost} lost, ${s.hosts.total} in all`],
    ['outbox head', s.outbox.head_revision],
    ['compiled', `${s.outbox.compiled_revision}${s.outbox.compiled_revision < s.outbox.head_revision ? ` (${s.outbox.head_revision - s.outbox.compiled_revision} behind)` : ''}`],
  ]);
  if (s.slowest_hosts.length === 0) return `${fields}\nno host holds a stream to this controller\n`;
  return `${fields}\nslowest hosts on this controller:\n${formatTable(HOST_COLUMNS, s.slowest_hosts.map(hostRow))}`;
}

/** Registers `alcor status`. */
export const registerStatus: RegisterCommand = (program: Command) => {
  addOpsOptions(program.command('status').description('controller status: version, store, replicas, hosts alive/lost, outbox head, slowest hosts')).action(
    opsAction(async (flags: OpsFlags) => {
      const { status } = await getOps<{ status: OperatorStatus }>(flags, '/status');
      print(flags, status, () => formatStatus(status));
    }),
  );
};
