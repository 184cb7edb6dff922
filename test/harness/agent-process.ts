/** Runs `alcor-agent` (sim driver) as a real child process and finds its metrics URL from its log. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const AGENT = fileURLToPath(new URL('../../src/cli/alcor-agent.js', import.meta.url));

/** An agent child process. */
export interface AgentProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>` of its metrics listener. */
  metrics: string;
  /** Everything it logged so far (stderr). */
  log(): string;
  /** SIGTERM and wait for exit; the exit code. Removes the state directory when the harness made it. */
  stop(): Promise<number | null>;
}

/** Where the agent keeps its state: a directory of the caller's (kept) or, by default, a temporary one (removed). */
export interface AgentProcessOptions {
  stateDir?: string;
  timeoutMs?: number;
}

/** Starts a sim agent for `hostId` against the controller's southbound with a metrics listener on a free port. */
export async function startAgentProcess(controller: string, hostId: string, options: AgentProcessOptions = {}): Promise<AgentProcess> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), `alcor-agent-${hostId}-`));
  const child = spawn(
    process.execPath,
    [AGENT, '--host-id', hostId, '--datapath-ip', '192.0.2.10', '--controller', controller, '--driver', 'sim', '--state-dir', stateDir, '--heartbeat-ms', '1000', '--metrics-listen', '127.0.0.1:0'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const metrics = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`alcor-agent did not serve metrics within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    child.stderr?.on('data', () => {
      const m = /metrics listening at (http:\/\/[\d.:]+)\/metrics/.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`alcor-agent exited with ${code}:\n${output}`));
    });
  });
  return {
    child,
    metrics,
    log: () => output,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      if (!options.stateDir) rmSync(stateDir, { recursive: true, force: true });
      return code;
    },
  };
}
