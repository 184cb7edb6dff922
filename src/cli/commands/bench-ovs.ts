/**
 * `alcor bench ovs`: OVS data-plane benchmarks on a throw-away testbed (needs root and Open vSwitch):
 * flow programming rate, one-neighbor delta, agent restart resync with N neighbors under a 10 ms ping,
 * port-create-to-first-ping (and ping6) latency through the API and real agents, and flows per port for
 * IPv4 only vs dual stack.
 */
import type { Command } from 'commander';
import os from 'node:os';
import { benchOvsFlows } from '../../bench/ovs-bench-flows.js';
import { flowsPerPort } from '../../bench/ovs-bench-ipv6.js';
import { benchPortToPing } from '../../bench/ovs-bench-latency.js';
import { cleanupStale, Testbed } from '../../testbed/testbed.js';
import { commandGroup, numberOption, type RegisterCommand } from '../command-group.js';

/** Registers `alcor bench ovs`. */
export const registerBenchOvs: RegisterCommand = (program: Command) => {
  commandGroup(program, 'bench', 'scalability benchmarks')
    .command('ovs')
    .description('OVS driver benchmarks on a temporary testbed (root, openvswitch-switch)')
    .option('--neighbors <n>', 'neighbors installed for the rate and restart runs', numberOption('--neighbors'), 10_000)
    .option('--samples <n>', 'port-to-ping samples', numberOption('--samples'), 10)
    .option('--skip-latency', 'only the flow benchmarks')
    .option('--json', 'print JSON')
    .action(async (flags: { neighbors: number; samples: number; skipLatency?: boolean; json?: boolean }) => {
      const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
      await cleanupStale();
      const result: Record<string, unknown> = { date: new Date().toISOString(), cpus: os.cpus().length, loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100) };
      let testbed = await Testbed.create({ hosts: 2 });
      try {
        result.flows = await benchOvsFlows(testbed, flags.neighbors, log);
        result.flowsPerPort = flowsPerPort();
      } finally {
        await testbed.destroy();
      }
      if (!flags.skipLatency) {
        testbed = await Testbed.create({ hosts: 2 });
        try {
          result.portToPing = await benchPortToPing(testbed, flags.samples, log);
        } finally {
          await testbed.destroy();
        }
      }
      result.loadavgAfter = os.loadavg().map((l) => Math.round(l * 100) / 100);
      process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : `${JSON.stringify(result, null, 2)}\n`);
    });
};
