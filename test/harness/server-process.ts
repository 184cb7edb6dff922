/**
 * Runs `alcor-server` as a real child process (for crash and restart tests) and finds its port from
 * its own log line, so tests can use ephemeral ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A controller child process. */
export interface ServerProcess {
  url: string;
  /** `127.0.0.1:<port>` of the southbound gRPC server, from the server's log. */
  southbound: string | undefined;
  /** `http://127.0.0.1:<port>` of the metrics listener, from the server's log. */
  metrics: string | undefined;
  child: ChildProcess;
  /** Everything it logged so far (stdout and stderr). */
  log(): string;
  /** SIGKILL, no cleanup: a crash. */
  kill: () => Promise<void>;
  /** SIGTERM and wait for exit. */
  stop: () => Promise<void>;
}

const SERVER = fileURLToPath(new URL('../../src/cli/alcor-server.js', import.meta.url));

/**
 * Starts `alcor-server` with the given environment; resolves once it listens. `script` runs another
 * build's server (the upgrade tests start earlier releases).
 */
export async function startServerProcess(env: Record<string, string>, timeoutMs = 15000, script = SERVER): Promise<ServerProcess> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ALCOR_LISTEN: '127.0.0.1:0', ALCOR_SOUTHBOUND_LISTEN: '127.0.0.1:0', ALCOR_METRICS_LISTEN: '127.0.0.1:0', ALCOR_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`alcor-server did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`alcor-server exited with ${code} before listening:\n${output}`));
    });
  });
  const southboundPort = /"port":(\d+)[^\n]*southbound gRPC listening/.exec(output)?.[1];
  return {
    url,
    southbound: southboundPort ? `127.0.0.1:${southboundPort}` : undefined,
    metrics: /metrics listening at (http:\/\/[\d.:]+)\/metrics/.exec(output)?.[1],
    child,
    log: () => output,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
