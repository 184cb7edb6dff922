/**
 * `alcor-agent --driver ovs` processes for testbed hosts. They run in the root namespace and reach their
 * host's OVS through the unix sockets in its rundir; their logs go to `<rundir>/agent.log`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MetadataLinkOptions } from './metadata.js';
import type { OvsHost } from './ovs-host.js';
import type { Testbed } from './testbed.js';

const AGENT_CLI = fileURLToPath(new URL('../cli/alcor-agent.js', import.meta.url));

/** A running agent process. */
export class AgentProcess {
  private child: ChildProcess | undefined;

  constructor(
    readonly host: OvsHost,
    private readonly testbed: Testbed,
    private readonly controller: string,
  ) {}

  /**
   * Starts the agent (again); `detached` lets it outlive this process (`alcor testbed up --controller`).
   * With `metadata`, the agent proxies 169.254.169.254 to that URL with the secret in `secretFile`, on
   * the host's metadata link (wired by wireMetadataLink first). `bridgeMappings` replaces the run's
   * (`physnet1:br-ex` with the external network).
   */
  start(options: { detached?: boolean; metadata?: { url: string; secretFile: string; link: MetadataLinkOptions }; bridgeMappings?: readonly string[] } = {}): void {
    const log = openSync(join(this.host.rundir, 'agent.log'), 'a');
    const md = options.metadata;
    const metadataArgs = md
      ? ['--metadata-url', md.url, '--metadata-secret-file', md.secretFile, ...Object.entries(md.link).flatMap(([k, v]) => ['--driver-opt', `${k}=${v}`])]
      : [];
    this.child = spawn(
      process.execPath,
      [
        AGENT_CLI, '--host-id', this.host.name, '--datapath-ip', this.host.underlayIp, '--controller', this.controller,
        '--driver', 'ovs', '--driver-opt', `rundir=${this.host.rundir}`, '--driver-opt', 'datapath-type=netdev',
        ...(options.bridgeMappings ?? this.testbed.bridgeMappings).flatMap((m) => ['--bridge-mapping', m]),
        '--state-dir', join(this.host.rundir, 'agent-state'), '--heartbeat-ms', '1000', '--log-level', 'info', ...metadataArgs,
      ],
      { stdio: ['ignore', log, log], detached: options.detached === true },
    );
    closeSync(log);
    if (options.detached) this.child.unref();
    if (this.child.pid) this.testbed.trackPid(this.child.pid);
  }

  /** Kills the agent without letting it clean up (SIGKILL) and waits for it to exit. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** The last lines of the agent's log. */
  logTail(lines = 30): string {
    try {
      return readFileSync(join(this.host.rundir, 'agent.log'), 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}
