/**
 * `alcor trace --from-port ID --to IP --proto icmp|tcp|udp [--dport N] [--on-host]`: the controller's
 * logical trace of one packet through the compiled goal states; with `--on-host` also the source host's
 * trace of the same packet through its real data path (ovs: `ovs-appctl ofproto/trace`), printed after
 * it. Exit 0 when the packet is delivered, 1 when it is dropped (like ping), 2 when the trace cannot run
 * (unknown port, not an address, no dport, the host's agent not connected or not answering).
 */
import type { Command } from 'commander';
import type { TraceResult } from '../../domain/operator.js';
import type { RegisterCommand } from '../command-group.js';
import { addOpsOptions, getOps, opsAction, print, type OpsFlags } from '../ops-client.js';

interface TraceFlags extends OpsFlags {
  fromPort: string;
  to: string;
  proto: string;
  dport?: string;
  onHost?: boolean;
}

function formatTrace(t: TraceResult): string {
  const head = `${t.request.proto}${t.request.dport ? `/${t.request.dport}` : ''} from port ${t.source.port} (${t.source.ip} on ${t.source.host}) to ${t.request.to}\n`;
  const width = Math.max(...t.steps.map((s) => s.stage.length));
  const steps = t.steps.map((s, i) => `${String(i + 1).padStart(2)}. ${s.stage.padEnd(width)}  ${s.detail}`).join('\n');
  const onHost = t.on_host ? `\non host ${t.on_host.host}: ofproto/trace ${t.on_host.flow}\n${t.on_host.output.trimEnd()}\n` : '';
  return `${head}${steps}\nverdict: ${t.verdict.toUpperCase()}${t.reason ? `: ${t.reason}` : ''}\n${onHost}`;
}

/** Registers `alcor trace`. */
export const registerTrace: RegisterCommand = (program: Command) => {
  addOpsOptions(
    program
      .command('trace')
      .description('logical trace of one packet from a port to an address over the compiled goal states (exit 1 when dropped)')
      .requiredOption('--from-port <id>', 'source port id')
      .requiredOption('--to <ip>', 'destination address')
      .requiredOption('--proto <proto>', 'icmp, tcp or udp')
      .option('--dport <n>', 'destination port (tcp, udp)')
      .option('--on-host', "also trace the packet through the source host's real data path (its agent runs ovs-appctl ofproto/trace)"),
  ).action(
    opsAction(async (flags: TraceFlags) => {
      const query = new URLSearchParams({ from_port: flags.fromPort, to: flags.to, proto: flags.proto, ...(flags.dport === undefined ? {} : { dport: flags.dport }), ...(flags.onHost ? { on_host: 'true' } : {}) });
      const { trace } = await getOps<{ trace: TraceResult }>(flags, `/trace?${query.toString()}`);
      print(flags, trace, () => formatTrace(trace));
      if (trace.verdict !== 'allow') process.exitCode = 1;
    }),
  );
};
