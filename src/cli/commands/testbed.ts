/**
 * `alcor testbed up|down|vm`: the multi-host OVS testbed from the shell (see src/testbed/testbed.ts).
 * `up` leaves a persistent run behind and prints its prefix; `down` removes one run, or every run and
 * leftover with `--all`; `vm` plugs a VM namespace for a port into a host of a run.
 */
import type { Command } from 'commander';
import { AgentProcess } from '../../testbed/agent-process.js';
import { cleanupStale, Testbed } from '../../testbed/testbed.js';
import { commandGroup, numberOption, type RegisterCommand } from '../command-group.js';

/** Registers `alcor testbed`. */
export const registerTestbed: RegisterCommand = (program: Command) => {
  const group = commandGroup(program, 'testbed', 'multi-host OVS testbed in network namespaces (needs root)');
  group
    .command('up')
    .description('create N simulated hosts (own ovsdb-server/ovs-vswitchd each) on a shared underlay')
    .option('--hosts <n>', 'number of hosts', numberOption('--hosts'), 2)
    .option('--controller <host:port>', 'also start an alcor-agent --driver ovs per host against this southbound')
    .option('--json', 'print the run as JSON')
    .action(async (flags: { hosts: number; controller?: string; json?: boolean }) => {
      await cleanupStale();
      const testbed = await Testbed.create({ hosts: flags.hosts, ownerPid: 0 });
      if (flags.controller) {
        for (const host of testbed.hosts) new AgentProcess(host, testbed, flags.controller).start({ detached: true });
      }
      const hosts = testbed.hosts.map((h) => ({
        name: h.name,
        netns: h.netns,
        underlayIp: h.underlayIp,
        ovsdb: h.dbSocket,
        bridge: h.mgmtSocket(),
        rundir: h.rundir,
      }));
      if (flags.json) process.stdout.write(`${JSON.stringify({ prefix: testbed.prefix, hosts }, null, 2)}\n`);
      else {
        process.stdout.write(`testbed ${testbed.prefix} (state in ${testbed.stateDir})\n`);
        for (const h of hosts) process.stdout.write(`  ${h.name}: netns ${h.netns}, underlay ${h.underlayIp}, rundir ${h.rundir}\n`);
        if (flags.controller) process.stdout.write(`  agents: logs in <rundir>/agent.log\n`);
      }
    });
  group
    .command('down')
    .description('remove a run (processes, namespaces, state); --all removes every run and leftover')
    .argument('[prefix]', 'run prefix printed by `up`')
    .option('--all', 'remove all testbed runs')
    .action(async (prefix: string | undefined, flags: { all?: boolean }) => {
      if (prefix) await Testbed.open(prefix).destroy();
      const removed = await cleanupStale({ all: flags.all === true || !prefix });
      process.stdout.write(`removed: ${[prefix, ...removed].filter(Boolean).join(' ') || 'nothing'}\n`);
    });
  group
    .command('vm')
    .description("create a VM namespace for a port, plugged into a host's br-int with iface-id")
    .requiredOption('--run <prefix>', 'run prefix')
    .requiredOption('--host <name>', 'host name, e.g. h1')
    .requiredOption('--port-id <id>', 'Neutron port id (external_ids:iface-id)')
    .requiredOption('--mac <mac>', 'the port mac_address')
    .requiredOption('--name <name>', 'VM name')
    .option('--dhcp', 'run busybox udhcpc in the VM afterwards')
    .action(async (flags: { run: string; host: string; portId: string; mac: string; name: string; dhcp?: boolean }) => {
      const testbed = Testbed.open(flags.run);
      const vm = await testbed.addVm({ name: flags.name, host: flags.host, portId: flags.portId, mac: flags.mac });
      process.stdout.write(`vm ${vm.name}: netns ${vm.netns} (ip netns exec ${vm.netns} ...)\n`);
      if (flags.dhcp) process.stdout.write(`${JSON.stringify(await vm.dhcp())}\n`);
    });
};
