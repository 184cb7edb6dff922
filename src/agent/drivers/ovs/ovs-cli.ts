/**
 * ovs-vsctl as the driver uses it, for bridge and interface state. Flows do not go through the
 * command-line tools: the driver programs and reads them on its own OpenFlow connection (flow-bundle.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where the tools find this host's OVS. */
export interface OvsEndpoints {
  /** OVSDB remote, e.g. `unix:/var/run/openvswitch/db.sock`. */
  db: string;
  /** OVS_RUNDIR for the tools. */
  rundir: string;
}

/** A failed tool invocation. */
export class OvsCommandError extends Error {
  constructor(
    readonly command: string,
    readonly code: number,
    readonly stderr: string,
  ) {
    super(`${command} failed (exit ${code}): ${stderr.trim().split('\n').slice(0, 5).join(' | ')}`);
    this.name = 'OvsCommandError';
  }
}

/** Runs a tool and returns its standard output. */
export function runTool(file: string, args: readonly string[], rundir: string, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: { ...process.env, OVS_RUNDIR: rundir }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new OvsCommandError(`${file} ${args.slice(0, 4).join(' ')}`, code ?? -1, stderr));
    });
  });
}

/** ovs-vsctl and ovs-appctl bound to one host's OVS. */
export class OvsCli {
  constructor(readonly endpoints: OvsEndpoints) {}

  /** Runs ovs-vsctl. */
  vsctl(args: readonly string[]): Promise<string> {
    return runTool('ovs-vsctl', [`--db=${this.endpoints.db}`, '--timeout=30', ...args], this.endpoints.rundir);
  }

  /**
   * Runs ovs-appctl against ovs-vswitchd: its control socket `ovs-vswitchd.ctl` in the run directory
   * when it was started with that `--unixctl`, else the one its pidfile names (the packaged default).
   */
  appctl(args: readonly string[]): Promise<string> {
    const named = join(this.endpoints.rundir, 'ovs-vswitchd.ctl');
    const target = existsSync(named) ? named : 'ovs-vswitchd';
    return runTool('ovs-appctl', [`--target=${target}`, '--timeout=10', ...args], this.endpoints.rundir, 15_000);
  }
}

