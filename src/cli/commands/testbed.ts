/**
 * `alcor testbed up|down|vm|exec`: the multi-host OVS testbed from the shell (see src/testbed/testbed.ts).
 * `up` leaves a persistent run behind and prints its prefix (`--external` adds the external network on
 * flat physnet1); `down` removes one run, or every run and leftover with `--all`; `vm` plugs a VM
 * namespace for a port into a host of a run; `exec` runs a command in a VM, a host or the external
 * namespace.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { AgentProcess } from '../../testbed/agent-process.js';
import { EXTERNAL_CIDR, EXTERNAL_HOST_IP, EXTERNAL_PHYSNET } from '../../testbed/external.js';
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
    .option('--external', 'add an external namespace (203.0.113.1/24) on flat physnet1, wired to each host\'s br-ex')
    .option('--json', 'print the run as JSON')
    .action(async (flags: { hosts: number; controller?: string; external?: boolean; json?: boolean }) => {
      await cleanupStale();
      const testbed = await Testbed.create({ hosts: flags.hosts, ownerPid: 0, external: flags.external === true });
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
      const external = testbed.external ? { netns: testbed.external.netns, address: EXTERNAL_HOST_IP, cidr: EXTERNAL_CIDR, physnet: EXTERNAL_PHYSNET } : undefined;
      if (flags.json) process.stdout.write(`${JSON.stringify({ prefix: testbed.prefix, hosts, ...(external ? { external } : {}) }, null, 2)}\n`);
      else {
        process.stdout.write(`testbed ${testbed.prefix} (state in ${testbed.stateDir})\n`);
        for (const h of hosts) process.stdout.write(`  ${h.name}: netns ${h.netns}, underlay ${h.underlayIp}, rundir ${h.rundir}\n`);
        if (external) process.stdout.write(`  external: netns ${external.netns}, ${external.address} on ${external.cidr} (flat ${external.physnet}, br-ex on every host)\n`);
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
  group
    .command('exec')
    .description('run a command in a VM, a host (h1...) or the external network (ext) of a run')
    .requiredOption('--run <prefix>', 'run prefix')
    .argument('<target>', 'VM name, host name or "ext"')
    .argument('<command...>', 'the command and its arguments (after --)')
    .action(async (target: string, command: string[], flags: { run: string }) => {
      const testbed = Testbed.open(flags.run);
      const netns =
        target === 'ext' ? testbed.external?.netns : (testbed.vms.get(target)?.netns ?? testbed.hosts.find((h) => h.name === target)?.netns);
      if (!netns) throw new Error(`testbed ${flags.run} has no VM, host or external network "${target}"`);
      const child = spawn('ip', ['netns', 'exec', netns, ...command], { stdio: 'inherit' });
      process.exitCode = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
    });
};
