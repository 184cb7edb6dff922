/**
 * The OVS command-line tools as the driver uses them: ovs-vsctl for bridge and interface state,
 * ovs-ofctl for flow bundles (one OpenFlow 1.4 bundle per batch, so a batch applies atomically or not
 * at all) and for reading back installed cookies.
 */
import { spawn } from 'node:child_process';
import { bundleLine, type FlowMod } from './flow.js';

/** Where the tools find this host's OVS. */
export interface OvsEndpoints {
  /** OVSDB remote, e.g. `unix:/var/run/openvswitch/db.sock`. */
  db: string;
  /** OpenFlow target of the bridge, e.g. `unix:/var/run/openvswitch/br-int.mgmt`. */
  bridgeTarget: string;
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

/** Runs a tool, feeding `input` on stdin. */
export function runTool(file: string, args: readonly string[], rundir: string, input?: string, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: { ...process.env, OVS_RUNDIR: rundir }, stdio: ['pipe', 'pipe', 'pipe'] });
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
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** ovs-vsctl / ovs-ofctl bound to one host's OVS. */
export class OvsCli {
  constructor(readonly endpoints: OvsEndpoints) {}

  /** Runs ovs-vsctl. */
  vsctl(args: readonly string[]): Promise<string> {
    return runTool('ovs-vsctl', [`--db=${this.endpoints.db}`, '--timeout=30', ...args], this.endpoints.rundir);
  }

  /** Applies flow modifications in one atomic OpenFlow 1.4 bundle. */
  async applyBundle(mods: readonly FlowMod[]): Promise<void> {
    if (mods.length === 0) return;
    const input = mods.map(bundleLine).join('\n') + '\n';
    await runTool('ovs-ofctl', ['-O', 'OpenFlow14', '--bundle', 'add-flows', this.endpoints.bridgeTarget, '-'], this.endpoints.rundir, input, 300_000);
  }

  /** The cookies of every installed flow (0 for flows without one). */
  async installedCookies(): Promise<Set<bigint>> {
    const text = await runTool('ovs-ofctl', ['-O', 'OpenFlow14', 'dump-flows', '--no-stats', this.endpoints.bridgeTarget], this.endpoints.rundir);
    return parseCookies(text);
  }
}

/** Extracts the cookies from `ovs-ofctl dump-flows` output. */
export function parseCookies(dump: string): Set<bigint> {
  const cookies = new Set<bigint>();
  for (const line of dump.split('\n')) {
    if (!line.startsWith(' ') || !line.includes('actions=')) continue;
    const match = /cookie=(0x[0-9a-f]+)/.exec(line);
    cookies.add(match ? BigInt(match[1]!) : 0n);
  }
  return cookies;
}
