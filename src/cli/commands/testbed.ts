/**
 * `alcor testbed up|down|vm|exec|metadata`: the multi-host OVS testbed from the shell (see src/testbed/testbed.ts).
 * `up` leaves a persistent run behind and prints its prefix (`--external` adds the external network on
 * flat physnet1); `down` removes one run, or every run and leftover with `--all`; `vm` plugs a VM
 * namespace for a port into a host of a run; `exec` runs a command in a VM, a host or the external
 * namespace; `metadata` runs the stand-in metadata API (src/testbed/metadata.ts) in the foreground.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { AgentProcess } from '../../testbed/agent-process.js';
import { MetadataStandIn, wireMetadataLink } from '../../testbed/metadata.js';
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
    .option('--metadata-url <url>', 'with --controller: the agents proxy 169.254.169.254 to this metadata API (e.g. `alcor testbed metadata`)')
    .option('--metadata-secret-file <file>', 'with --metadata-url: file holding the shared secret')
    .option('--external', 'add an external namespace (203.0.113.1/24) on flat physnet1, wired to each host\'s br-ex')
    .option('--json', 'print the run as JSON')
    .action(async (flags: { hosts: number; controller?: string; metadataUrl?: string; metadataSecretFile?: string; external?: boolean; json?: boolean }) => {
      if (flags.metadataUrl && (!flags.controller || !flags.metadataSecretFile)) throw new Error('--metadata-url needs --controller and --metadata-secret-file');
      await cleanupStale();
      const testbed = await Testbed.create({ hosts: flags.hosts, ownerPid: 0, external: flags.external === true });
      if (flags.controller) {
        for (const host of testbed.hosts) {
          const metadata = flags.metadataUrl ? { url: flags.metadataUrl, secretFile: flags.metadataSecretFile!, link: await wireMetadataLink(host) } : undefined;
          new AgentProcess(host, testbed, flags.controller).start({ detached: true, ...(metadata ? { metadata } : {}) });
        }
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
    .command('metadata')
    .description('run a stand-in for Nova\'s metadata API (checks X-Instance-ID-Signature as Nova does) until interrupted')
    .requiredOption('--secret-file <file>', 'file holding the shared secret (Nova\'s metadata_proxy_shared_secret)')
    .option('--listen <host:port>', 'where to listen', '127.0.0.1:8775')
    .option('--instance <id=project>', 'an instance it knows and its project (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .action(async (flags: { secretFile: string; listen: string; instance: string[] }) => {
      const at = /^(.+):(\d+)$/.exec(flags.listen);
      if (!at) throw new Error(`--listen "${flags.listen}" is not host:port`);
      const standIn = new MetadataStandIn(readFileSync(flags.secretFile, 'utf8').replace(/\r?\n$/, ''));
      for (const entry of flags.instance) {
        const [id, project] = entry.split('=');
        if (!id || !project) throw new Error(`--instance "${entry}" is not id=project`);
        standIn.instances.set(id, project);
      }
      await standIn.listen(at[1], Number(at[2]));
      process.stdout.write(`metadata stand-in at ${standIn.url}\n`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()).once('SIGTERM', () => resolve()));
      await standIn.close();
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
