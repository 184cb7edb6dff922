/**
 * The multi-host testbed: N simulated hosts (see ovs-host.ts) joined by an underlay Linux bridge that
 * lives in its own namespace, plus VM namespaces plugged into the hosts' br-int (see vm.ts).
 *
 * Everything a run creates is named with a run-specific prefix (`atb` + 5 hex digits) and recorded in
 * `<stateRoot>/<prefix>/run.json`, with the pid of the process that owns the run. `destroy()` removes a
 * run; `cleanupStale()` removes runs whose owner died (a killed test) and namespaces left without a
 * state file, so a failed run never poisons the next one.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive, run, runIn } from './exec.js';
import { EXTERNAL_BRIDGE, EXTERNAL_PHYSNET, ExternalNetwork } from './external.js';
import { OvsHost, type OvsHostSpec } from './ovs-host.js';
import { UDHCPC_SCRIPT, Vm, type VmSpec } from './vm.js';

/** Prefix every testbed name starts with. */
export const TESTBED_PREFIX = 'atb';

/** Options of a new testbed. */
export interface TestbedOptions {
  /** Number of hosts. @default 2 */
  hosts?: number;
  /** Where run state lives. @default $ALCOR_TESTBED_DIR or /run/alcor-testbed */
  stateRoot?: string;
  /** Owner pid recorded for stale detection; 0 = persistent (only `down` removes it). @default process.pid */
  ownerPid?: number;
  /** Underlay /24 the hosts get addresses in (isolated inside the run's namespaces). @default 192.168.250 */
  underlayNet?: string;
  /** Add the external namespace on flat physnet1, wired to every host's br-ex (external.ts). @default false */
  external?: boolean;
}

/** The run state file. */
interface RunState {
  prefix: string;
  ownerPid: number;
  createdAt: string;
  hosts: OvsHostSpec[];
  vms: VmSpec[];
  /** Pids of agents started for the run (killed on destroy). */
  agentPids: number[];
  /** Whether the run has the external network (absent in runs of older versions). */
  external?: boolean;
}

/** Default directory for run state. */
export function defaultStateRoot(): string {
  return process.env.ALCOR_TESTBED_DIR ?? '/run/alcor-testbed';
}

/** A live testbed run. */
export class Testbed {
  readonly hosts: OvsHost[];
  readonly vms = new Map<string, Vm>();

  private constructor(
    private readonly state: RunState,
    private readonly dir: string,
  ) {
    this.hosts = state.hosts.map((spec) => new OvsHost(spec));
    for (const spec of state.vms) this.vms.set(spec.name, this.vmFromSpec(spec));
  }

  /** The run's name prefix. */
  get prefix(): string {
    return this.state.prefix;
  }
  /** Directory holding the run's state, OVS rundirs and logs. */
  get stateDir(): string {
    return this.dir;
  }

  /** Creates the underlay and the hosts with their OVS daemons and bridges. */
  static async create(options: TestbedOptions = {}): Promise<Testbed> {
    const root = options.stateRoot ?? defaultStateRoot();
    const prefix = `${TESTBED_PREFIX}${randomBytes(3).toString('hex').slice(0, 5)}`;
    const dir = join(root, prefix);
    mkdirSync(dir, { recursive: true });
    const count = options.hosts ?? 2;
    const net = options.underlayNet ?? '192.168.250';
    const state: RunState = {
      prefix,
      ownerPid: options.ownerPid ?? process.pid,
      createdAt: new Date().toISOString(),
      hosts: Array.from({ length: count }, (_, i) => ({
        name: `h${i + 1}`,
        netns: `${prefix}-h${i + 1}`,
        rundir: join(dir, `h${i + 1}`),
        underlayIp: `${net}.${10 + i + 1}`,
        underlayPrefix: 24,
      })),
      vms: [],
      agentPids: [],
      external: options.external === true,
    };
    writeFileSync(join(dir, 'udhcpc.sh'), UDHCPC_SCRIPT, { mode: 0o755 });
    const testbed = new Testbed(state, dir);
    testbed.save();
    try {
      const underlay = `${prefix}-ul`;
      await run('ip', ['netns', 'add', underlay]);
      await runIn(underlay, 'ip', ['link', 'add', 'br0', 'type', 'bridge']);
      await runIn(underlay, 'ip', ['link', 'set', 'br0', 'up']);
      await runIn(underlay, 'ip', ['link', 'set', 'lo', 'up']);
      await Promise.all(testbed.hosts.map((host, i) => testbed.createHost(host, underlay, i + 1)));
      const external = testbed.external;
      if (external) {
        await external.create();
        for (const [i, host] of testbed.hosts.entries()) await external.attach(host, i + 1);
      }
    } catch (err) {
      await testbed.destroy();
      throw err;
    }
    return testbed;
  }

  /** Re-opens a run created by another process (e.g. `alcor testbed vm` after `alcor testbed up`). */
  static open(prefix: string, stateRoot = defaultStateRoot()): Testbed {
    const dir = join(stateRoot, prefix);
    const state = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunState;
    return new Testbed(state, dir);
  }

  /** Prefixes of the runs recorded under a state root. */
  static list(stateRoot = defaultStateRoot()): string[] {
    try {
      return readdirSync(stateRoot).filter((name) => name.startsWith(TESTBED_PREFIX));
    } catch {
      return [];
    }
  }

  private async createHost(host: OvsHost, underlay: string, index: number): Promise<void> {
    await run('ip', ['netns', 'add', host.netns]);
    await host.exec('ip', ['link', 'set', 'lo', 'up']);
    await run('ip', ['link', 'add', 'ul0', 'netns', host.netns, 'type', 'veth', 'peer', 'name', `h${index}`, 'netns', underlay]);
    await runIn(underlay, 'ip', ['link', 'set', `h${index}`, 'master', 'br0', 'up']);
    await host.exec('ip', ['link', 'set', 'ul0', 'up']);
    await host.startDaemons();
    await host.setupBridges('ul0');
  }

  /** Takes a host's underlay NIC down or up: its tunnels stop (a cable pulled), its VMs stay plugged. */
  async setUnderlayLink(name: string, up: boolean): Promise<void> {
    await this.host(name).exec('ip', ['link', 'set', 'ul0', up ? 'up' : 'down']);
  }

  /** The external network, when the run has one. */
  get external(): ExternalNetwork | undefined {
    return this.state.external ? new ExternalNetwork(`${this.prefix}-ext`) : undefined;
  }

  /** Bridge mappings the run's agents take (`physnet1:br-ex` with the external network). */
  get bridgeMappings(): string[] {
    return this.state.external ? [`${EXTERNAL_PHYSNET}:${EXTERNAL_BRIDGE}`] : [];
  }

  /** The host with this name (`h1`...). */
  host(name: string): OvsHost {
    const host = this.hosts.find((h) => h.name === name);
    if (!host) throw new Error(`testbed ${this.prefix}: no host ${name}`);
    return host;
  }

  /**
   * Creates a VM namespace for a port: eth0 with the port's MAC and MTU 1450, its veth peer plugged into
   * the host's br-int with `external_ids:iface-id=<portId>`.
   */
  async addVm(options: { name: string; host: string; portId: string; mac: string; mtu?: number }): Promise<Vm> {
    const host = this.host(options.host);
    if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(options.mac)) throw new Error(`bad MAC ${options.mac}`);
    if (!/^[\w-]+$/.test(options.name) || !/^[\w-]+$/.test(options.portId)) throw new Error(`bad VM name or port id: ${options.name} ${options.portId}`);
    const spec: VmSpec = {
      name: options.name,
      netns: `${this.prefix}-${options.name}`,
      host: host.name,
      portId: options.portId,
      mac: options.mac.toLowerCase(),
      tap: `tap${options.portId.replace(/-/g, '').slice(0, 11)}`,
    };
    const mtu = String(options.mtu ?? 1450);
    this.state.vms.push(spec);
    this.save();
    // One shell for the namespace and veth plumbing: a process per step costs more than the steps.
    // The userspace datapath reads frames from the veth with AF_PACKET and does not complete checksums
    // the kernel left to "hardware", so the VM's kernel must compute them itself (tx offload off).
    const script = [
      `ip netns add ${spec.netns}`,
      `ip link add eth0 netns ${spec.netns} type veth peer name ${spec.tap} netns ${host.netns}`,
      `ip -n ${spec.netns} link set lo up`,
      `ip -n ${spec.netns} link set eth0 address ${spec.mac} mtu ${mtu} up`,
      `ip netns exec ${spec.netns} ethtool -K eth0 tx off >/dev/null 2>&1 || true`,
      `ip -n ${host.netns} link set ${spec.tap} mtu ${mtu} up`,
    ].join(' && ');
    await run('sh', ['-c', script]);
    await this.plugVm(spec, host);
    const vm = this.vmFromSpec(spec);
    this.vms.set(spec.name, vm);
    return vm;
  }

  private async plugVm(spec: VmSpec, host: OvsHost): Promise<void> {
    await host.ensureBrInt();
    await host.vsctl([
      '--', '--may-exist', 'add-port', 'br-int', spec.tap,
      '--', 'set', 'Interface', spec.tap,
      `external_ids:iface-id=${spec.portId}`, `external_ids:attached-mac=${spec.mac}`,
      'external_ids:iface-status=active', `external_ids:vm-id=${spec.name}`,
    ]);
  }

  /**
   * Moves a VM to another host the way a live migration does: its new interface is plugged into the
   * destination's br-int first (down, like a guest paused for an incoming migration), then in one step the
   * old one goes and the new one takes its name, MAC, addresses and routes, and the source port leaves its
   * br-int. The guest's own state (neighbor cache, processes) stays. Returns the VM on its new host.
   */
  async moveVm(name: string, hostName: string): Promise<Vm> {
    const vm = this.vms.get(name);
    if (!vm) throw new Error(`testbed ${this.prefix}: no VM ${name}`);
    const source = vm.host;
    const destination = this.host(hostName);
    const spec: VmSpec = { ...vm.spec, host: destination.name };
    const addresses = (await vm.exec('ip', ['-4', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout.split('\n').map((l) => l.split(/\s+/)[3]).filter(Boolean);
    const routes = (await vm.exec('ip', ['-4', 'route', 'show', 'dev', 'eth0'])).stdout.split('\n').filter((l) => l && !l.includes('proto kernel'));
    const mtu = (await vm.exec('cat', ['/sys/class/net/eth0/mtu'])).stdout.trim();
    const ns = spec.netns;
    await run('sh', ['-c', [
      `ip link add eth0m netns ${ns} type veth peer name ${spec.tap} netns ${destination.netns}`,
      `ip -n ${ns} link set eth0m address ${spec.mac} mtu ${mtu}`,
      `ip netns exec ${ns} ethtool -K eth0m tx off >/dev/null 2>&1 || true`,
      `ip -n ${destination.netns} link set ${spec.tap} mtu ${mtu} up`,
    ].join(' && ')]);
    await this.plugVm(spec, destination);
    // The switch-over, in one shell so that the guest is unreachable only as long as the network says.
    await run('sh', ['-c', [
      `ip -n ${ns} link del eth0`,
      `ip -n ${ns} link set eth0m name eth0 up`,
      ...addresses.map((cidr) => `ip -n ${ns} addr add ${cidr} dev eth0`),
      ...routes.map((route) => `ip -n ${ns} route replace ${route} dev eth0`),
    ].join(' && ')]);
    await source.vsctl(['--if-exists', 'del-port', 'br-int', spec.tap]);
    this.state.vms = this.state.vms.map((v) => (v.name === name ? spec : v));
    this.save();
    const moved = this.vmFromSpec(spec);
    this.vms.set(name, moved);
    return moved;
  }

  /** Unplugs a VM's port from br-int and removes the VM namespace. */
  async removeVm(name: string): Promise<void> {
    const vm = this.vms.get(name);
    if (!vm) return;
    await vm.host.vsctl(['--if-exists', 'del-port', 'br-int', vm.spec.tap]).catch(() => undefined);
    await killNamespaceProcesses(vm.netns);
    await run('ip', ['netns', 'del', vm.netns], { allowFailure: true });
    this.vms.delete(name);
    this.state.vms = this.state.vms.filter((v) => v.name !== name);
    this.save();
  }

  /** Records a process (e.g. an agent) to kill on destroy. */
  trackPid(pid: number): void {
    this.state.agentPids.push(pid);
    this.save();
  }

  /** Removes everything of the run: processes, namespaces, state directory. */
  async destroy(): Promise<void> {
    await destroyRun(this.state, this.dir);
  }

  private vmFromSpec(spec: VmSpec): Vm {
    return new Vm(spec, this.host(spec.host), join(this.dir, 'udhcpc.sh'), join(this.dir, `${spec.name}.lease`));
  }

  private save(): void {
    writeFileSync(join(this.dir, 'run.json'), JSON.stringify(this.state, null, 2));
  }
}

/** Kills every process in a namespace (all of them were started by the testbed), TERM then KILL. */
async function killNamespaceProcesses(netns: string): Promise<void> {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    const result = await run('ip', ['netns', 'pids', netns], { allowFailure: true });
    const pids = result.stdout.split('\n').map(Number).filter((p) => p > 0);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone.
      }
    }
    await waitUntilGone(pids, 2000);
  }
}

async function waitUntilGone(pids: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(processAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
}

/** Kills a recorded agent pid, but only if it still is one of ours (pids get reused). */
function killAgent(pid: number): void {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmdline.includes('alcor-agent')) process.kill(pid, 'SIGKILL');
  } catch {
    // Not running.
  }
}

async function destroyRun(state: RunState, dir: string): Promise<void> {
  for (const pid of state.agentPids) killAgent(pid);
  const names = await testbedNamespaces(state.prefix);
  // VMs first, then hosts (their OVS daemons), then the underlay.
  const order = (ns: string) => (ns.endsWith('-ul') ? 2 : /-h\d+$/.test(ns) ? 1 : 0);
  names.sort((a, b) => order(a) - order(b));
  for (const ns of names) {
    await killNamespaceProcesses(ns);
    await run('ip', ['netns', 'del', ns], { allowFailure: true });
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Network namespaces whose name starts with `prefix`. */
async function testbedNamespaces(prefix: string): Promise<string[]> {
  const result = await run('ip', ['netns', 'list'], { allowFailure: true });
  return result.stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(prefix));
}

/**
 * Removes leftovers of earlier runs: runs whose owner process died, and testbed namespaces that no
 * state file accounts for. Runs with a live owner, or persistent runs (owner 0), are left alone unless
 * `all` is set. Returns the prefixes removed.
 */
export async function cleanupStale(options: { stateRoot?: string; all?: boolean } = {}): Promise<string[]> {
  const root = options.stateRoot ?? defaultStateRoot();
  const removed: string[] = [];
  const known = new Set<string>();
  for (const prefix of Testbed.list(root)) {
    const dir = join(root, prefix);
    let state: RunState;
    try {
      state = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunState;
    } catch {
      state = { prefix, ownerPid: -1, createdAt: '', hosts: [], vms: [], agentPids: [] };
    }
    const stale = options.all || (state.ownerPid !== 0 && !processAlive(state.ownerPid));
    if (!stale) {
      known.add(prefix);
      continue;
    }
    await destroyRun(state, dir);
    removed.push(prefix);
  }
  for (const ns of await testbedNamespaces(TESTBED_PREFIX)) {
    const prefix = ns.split('-')[0] ?? ns;
    if (known.has(prefix)) continue;
    await killNamespaceProcesses(ns);
    await run('ip', ['netns', 'del', ns], { allowFailure: true });
    if (!removed.includes(prefix)) removed.push(prefix);
  }
  return removed;
}
