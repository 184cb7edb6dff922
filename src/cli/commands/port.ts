/** `alcor port show ID`: where a port is programmed, at which revision, when it was acked, and why it is not ACTIVE. */
import type { Command } from 'commander';
import type { PortProgrammingView } from '../../domain/operator.js';
import { commandGroup, type RegisterCommand } from '../command-group.js';
import { addOpsOptions, getOps, opsAction, print, type OpsFlags } from '../ops-client.js';
import { formatFields } from '../table.js';

function formatPort(p: PortProgrammingView): string {
  const g = p.programmed;
  return formatFields([
    ['port', p.id],
    ['network', p.network_id],
    ['status', p.status],
    ['why not ACTIVE', p.reason ?? (p.status === 'ACTIVE' ? '(it is ACTIVE)' : null)],
    ['binding:host_id', p.binding_host_id || null],
    ['device_owner', p.device_owner || null],
    ['programmed on', g?.host ?? 'nowhere by this controller'],
    ['at revision', g?.revision],
    ['committed', g?.committed_at],
    ['sent', g?.sent_at],
    ['host acked', g?.host_acked_revision],
    ['ACTIVE since', g?.active_at],
    ['commit → ACTIVE', g?.commit_to_active_ms === null || g?.commit_to_active_ms === undefined ? null : `${g.commit_to_active_ms} ms`],
    ['waiting for interface', g?.waiting_for_interface],
    ['agent reported failure', g?.failed],
  ]);
}

/** Registers `alcor port show`. */
export const registerPort: RegisterCommand = (program: Command) => {
  addOpsOptions(
    commandGroup(program, 'port', 'ports as the data plane sees them').command('show').argument('<id>', 'port id').description('where the port is programmed, at which revision, ack time, commit → ACTIVE latency, why it is not ACTIVE'),
  ).action(
    opsAction(async (flags: OpsFlags, id: string) => {
      const { port } = await getOps<{ port: PortProgrammingView }>(flags, `/ports/${encodeURIComponent(id)}`);
      print(flags, port, () => formatPort(port));
    }),
  );
};
