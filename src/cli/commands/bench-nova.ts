/** `alcor bench nova`: bind → network-vif-plugged latency against the Nova stand-in (see src/bench/nova-bench.ts). */
import type { Command } from 'commander';
import { runNovaBench, type NovaBenchResult } from '../../bench/nova-bench.js';
import { commandGroup, numberOption, type RegisterCommand } from '../command-group.js';

function report(r: NovaBenchResult): string {
  const b = r.bindToPlugged;
  const lines = [
    `alcor bench nova  ${r.samples} boots over ${r.hosts} simulated hosts  event interval ${r.intervalMs} ms  ${r.startedAt}`,
    '',
    `bind → network-vif-plugged  p50 ${b.p50Ms} ms  p90 ${b.p90Ms} ms  p99 ${b.p99Ms} ms  max ${b.maxMs} ms  (n=${b.count})`,
    `  of which the binding PUT  p50 ${r.bindCall.p50Ms} ms  p99 ${r.bindCall.p99Ms} ms`,
    '',
    'targets:',
    ...r.targets.map((t) => `  ${t.pass ? 'pass' : 'MISS'}  ${t.name}: ${t.value} ${t.unit} (target ${t.target} ${t.unit})`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Registers `alcor bench nova`. */
export const registerBenchNova: RegisterCommand = (program: Command) => {
  commandGroup(program, 'bench', 'scalability benchmarks')
    .command('nova')
    .description('Nova\'s boot against a spawned controller and simulated hosts: binding → network-vif-plugged at the Nova stand-in')
    .option('--samples <n>', 'boots measured', numberOption('--samples'), 100)
    .option('--hosts <n>', 'simulated hosts', numberOption('--hosts'), 4)
    .option('--interval-ms <n>', 'ALCOR_NOVA_EVENT_INTERVAL_MS of the controller', numberOption('--interval-ms'), 200)
    .option('--json', 'print the result as JSON', false)
    .action(async (flags: { samples: number; hosts: number; intervalMs: number; json: boolean }) => {
      const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
      const result = await runNovaBench({ ...flags, log });
      process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : report(result));
    });
};
