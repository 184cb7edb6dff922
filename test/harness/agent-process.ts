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
  /** SIGTERM, wait for exit, remove its state directory. */
  stop(): Promise<void>;
}

/** Starts a sim agent for `hostId` against the controller's southbound with a metrics listener on a free port. */
export async function startAgentProcess(controller: string, hostId: string, timeoutMs = 15_000): Promise<AgentProcess> {
  const stateDir = mkdtempSync(join(tmpdir(), `alcor-agent-${hostId}-`));
  const child = spawn(
    process.execPath,
    [AGENT, '--host-id', hostId, '--datapath-ip', '192.0.2.10', '--controller', controller, '--driver', 'sim', '--state-dir', stateDir, '--heartbeat-ms', '1000', '--metrics-listen', '127.0.0.1:0'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const metrics = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`alcor-agent did not serve metrics within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
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
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
