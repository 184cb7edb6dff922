/**
 * One simulated hypervisor: a network namespace with its own ovsdb-server and ovs-vswitchd (userspace
 * `netdev` datapath, since these machines have no OVS kernel module), an underlay NIC on an OVS `br-phy`
 * bridge carrying the host's underlay address (the userspace datapath routes VXLAN through it), and an
 * empty `br-int` for VM ports. The agent programs `br-int`; it reaches the daemons through the unix
 * sockets in `rundir`, so it may run in any namespace.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive, run, runIn, type RunResult } from './exec.js';

/** Where Debian installs the OVSDB schema. */
const VSWITCH_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

/** Static description of a host, also written to the run's state file. */
export interface OvsHostSpec {
  /** Host name used as `binding:host_id` (e.g. `h1`). */
  name: string;
  /** Network namespace of the host. */
  netns: string;
  /** Directory with db.sock, the bridges' .mgmt sockets, pid and log files. */
  rundir: string;
  /** Underlay address (VXLAN tunnel endpoint). */
  underlayIp: string;
  /** Underlay prefix length. */
  underlayPrefix: number;
}

/** A running simulated host. */
export class OvsHost {
  constructor(readonly spec: OvsHostSpec) {}

  get name(): string {
    return this.spec.name;
  }
  get netns(): string {
    return this.spec.netns;
  }
  get rundir(): string {
    return this.spec.rundir;
  }
  get underlayIp(): string {
    return this.spec.underlayIp;
  }
  /** OVSDB socket, as ovs-vsctl `--db=` wants it. */
  get dbSocket(): string {
    return `unix:${join(this.spec.rundir, 'db.sock')}`;
  }
  /** OpenFlow management socket of a bridge, as ovs-ofctl wants it. */
  mgmtSocket(bridge = 'br-int'): string {
    return `unix:${join(this.spec.rundir, `${bridge}.mgmt`)}`;
  }

  /** Environment pointing OVS tools at this host's daemons. */
  get env(): Record<string, string> {
    const dir = this.spec.rundir;
    return { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir };
  }

  /** Starts ovsdb-server and ovs-vswitchd in the namespace (which must exist). */
  async startDaemons(): Promise<void> {
    const dir = this.spec.rundir;
    mkdirSync(dir, { recursive: true });
    const db = join(dir, 'conf.db');
    if (!existsSync(db)) await run('ovsdb-tool', ['create', db, VSWITCH_SCHEMA]);
    await runIn(
      this.netns,
      'ovsdb-server',
      [
        db,
        `--remote=punix:${join(dir, 'db.sock')}`,
        `--pidfile=${join(dir, 'ovsdb-server.pid')}`,
        `--unixctl=${join(dir, 'ovsdb-server.ctl')}`,
        `--log-file=${join(dir, 'ovsdb-server.log')}`,
        '--detach',
      ],
      { env: this.env },
    );
    await this.vsctl(['--no-wait', 'init']);
    await runIn(
      this.netns,
      'ovs-vswitchd',
      [
        this.dbSocket,
        `--pidfile=${join(dir, 'ovs-vswitchd.pid')}`,
        `--unixctl=${join(dir, 'ovs-vswitchd.ctl')}`,
        `--log-file=${join(dir, 'ovs-vswitchd.log')}`,
        '--detach',
      ],
      { env: this.env },
    );
  }

  /**
   * Restarts ovs-vswitchd (SIGKILL, then start again): the bridges come back from the database but
   * every OpenFlow flow is gone until the agent notices and reinstalls them.
   */
  async restartVswitchd(): Promise<void> {
    const pidFile = join(this.spec.rundir, 'ovs-vswitchd.pid');
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (processAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const dir = this.spec.rundir;
    await runIn(
      this.netns,
      'ovs-vswitchd',
      [this.dbSocket, `--pidfile=${pidFile}`, `--unixctl=${join(dir, 'ovs-vswitchd.ctl')}`, `--log-file=${join(dir, 'ovs-vswitchd.log')}`, '--detach'],
      { env: this.env },
    );
  }

  /** Creates br-phy with the underlay NIC and address, and an empty secure br-int. */
  async setupBridges(underlayNic: string): Promise<void> {
    await this.vsctl([
      '--', '--may-exist', 'add-br', 'br-phy', '--', 'set', 'bridge', 'br-phy', 'datapath_type=netdev',
      '--', '--may-exist', 'add-port', 'br-phy', underlayNic,
    ]);
    await this.ensureBrInt();
    await runIn(this.netns, 'ip', ['addr', 'replace', `${this.underlayIp}/${this.spec.underlayPrefix}`, 'dev', 'br-phy']);
    await runIn(this.netns, 'ip', ['link', 'set', 'br-phy', 'up']);
  }

  /**
   * Makes sure br-int exists the way the agent expects it (the compute side creates it in real
   * deployments too; the agent repairs its settings on start).
   */
  async ensureBrInt(): Promise<void> {
    await this.vsctl([
      '--', '--may-exist', 'add-br', 'br-int',
      '--', 'set', 'bridge', 'br-int', 'datapath_type=netdev', 'fail_mode=secure',
      'protocols=OpenFlow10,OpenFlow13,OpenFlow14,OpenFlow15',
    ]);
  }

  /** Runs ovs-vsctl against this host's database. */
  vsctl(args: readonly string[]): Promise<RunResult> {
    return run('ovs-vsctl', [`--db=${this.dbSocket}`, '--timeout=20', ...args], { env: this.env });
  }

  /** Runs ovs-ofctl against one of this host's bridges (`BRIDGE` in args is replaced by its socket). */
  ofctl(args: readonly string[], input?: string): Promise<RunResult> {
    return run('ovs-ofctl', args.map((a) => (a === 'BRIDGE' ? this.mgmtSocket() : a)), { env: this.env, input });
  }

  /** Runs a command in the host's namespace. */
  exec(file: string, args: readonly string[]): Promise<RunResult> {
    return runIn(this.netns, file, args, { env: this.env });
  }

  /** Pids of the OVS daemons that are still running. */
  daemonPids(): number[] {
    return OvsHost.daemonPidsIn(this.spec.rundir);
  }

  /** Pids recorded in a rundir's pid files that are alive. */
  static daemonPidsIn(rundir: string): number[] {
    const pids: number[] = [];
    for (const name of ['ovs-vswitchd.pid', 'ovsdb-server.pid']) {
      try {
        const pid = Number(readFileSync(join(rundir, name), 'utf8').trim());
        if (processAlive(pid)) pids.push(pid);
      } catch {
        // No pid file: the daemon never started or was removed already.
      }
    }
    return pids;
  }
}
