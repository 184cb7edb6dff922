/**
 * The controller under test when it runs on this machine: either a process the benchmark spawns itself
 * (fresh SQLite database in a temporary directory, stopped afterwards) or one given by pid. Either way
 * the benchmark can read its resident memory from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Memory of a process, in MiB. */
export interface ProcessMemory {
  /** Resident set size now. */
  rssMb: number;
  /** Peak resident set size so far (VmHWM). */
  peakRssMb: number;
}

/** Reads a process's memory from /proc (Linux); undefined when it cannot be read. */
export function readProcessMemory(pid: number): ProcessMemory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: Math.round(kb('VmRSS') / 1024), peakRssMb: Math.round(kb('VmHWM') / 1024) };
  } catch {
    return undefined;
  }
}

/**
 * CPU time (user + system) a process has used so far, in milliseconds, from /proc/<pid>/stat (Linux);
 * undefined when it cannot be read. On a busy machine CPU time per request is steadier than latency.
 */
export function readProcessCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (1-based).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

/** USER_HZ: clock ticks per second of /proc times; 100 on every Linux architecture Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Options of a spawned controller. */
export interface SpawnServerOptions {
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeArgs: string[];
  /** How long to wait for the API to answer. */
  startTimeoutMs: number;
  /** Receives the server's stderr lines (progress output). */
  log: (line: string) => void;
  /** Extra environment of the server (e.g. ALCOR_NOVA_URL). */
  env?: Record<string, string>;
}

/** A controller process started by the benchmark. */
export interface SpawnedServer {
  url: string;
  /** `http://127.0.0.1:<port>` of its metrics listener (`/metrics`). */
  metricsUrl: string;
  pid: number;
  databasePath: string;
  /** Stops the process (SIGTERM, then SIGKILL) and removes its temporary directory. */
  stop(): Promise<void>;
}

/** A local TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function waitUntilServing(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`alcor-server exited with code ${child.exitCode} before serving`);
    try {
      const res = await fetch(`${url}/`);
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`alcor-server did not answer at ${url} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts `alcor-server` from this build on a free local port over a fresh SQLite file. */
export async function spawnServer(options: SpawnServerOptions): Promise<SpawnedServer> {
  const dir = mkdtempSync(join(tmpdir(), 'alcor-bench-'));
  const databasePath = join(dir, 'alcor.db');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const metricsPort = await freePort();
  const entry = fileURLToPath(new URL('../cli/alcor-server.js', import.meta.url));
  const child = spawn(process.execPath, [...options.nodeArgs, entry], {
    cwd: dir,
    env: {
      ...process.env,
      ALCOR_LISTEN: `127.0.0.1:${port}`,
      ALCOR_DATABASE_URL: `sqlite:${databasePath}`,
      ALCOR_LOG_LEVEL: 'warn',
      // The southbound must not take the default port from a controller that may already run here.
      ALCOR_SOUTHBOUND_LISTEN: '127.0.0.1:0',
      ALCOR_METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') options.log(`[server] ${line}`);
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited(child);
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilServing(url, child, options.startTimeoutMs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, metricsUrl: `http://127.0.0.1:${metricsPort}`, pid: child.pid ?? 0, databasePath, stop };
}
