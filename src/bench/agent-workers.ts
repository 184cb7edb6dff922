/**
 * Worker processes of simulated hosts (southbound-agents.ts) for the southbound benchmarks and the fault
 * tests: spawning them, asking them what their hosts applied and hold, stopping them.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { WorkerOptions } from './southbound-agents.js';

const WORKER = fileURLToPath(new URL('./southbound-agents.js', import.meta.url));
/** Young-generation semi-space of a worker process, MB (V8's default is 16 on 64-bit). */
const WORKER_SEMI_SPACE_MB = 64;

/** A worker process of simulated hosts (southbound-agents.ts). */
export interface AgentWorker {
  child: ChildProcess;
  /** Resolves once every host of the worker is connected and synced. */
  ready: Promise<void>;
  /** Summed agent counters, reported when the worker stops. */
  totals: Record<string, number>;
}

/**
 * Starts simulated hosts on one worker process (see southbound-agents.ts for the options), at scheduling
 * priority `nice` (0 = the benchmark's own).
 */
export function spawnAgentWorker(options: WorkerOptions, nice = 0): AgentWorker {
  // Hundreds of hosts in one process allocate per message what one agent would; a larger young
  // generation keeps the scavenges from billing the simulation for them.
  const execArgv = [...process.execArgv, `--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`];
  const child = fork(WORKER, [JSON.stringify(options)], { execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  if (nice !== 0 && child.pid !== undefined) setPriority(child.pid, nice);
  const worker: AgentWorker = { child, ready: Promise.resolve(), totals: {} };
  worker.ready = new Promise<void>((resolve, reject) => {
    child.on('message', (m: { type?: string; totals?: Record<string, number> }) => {
      if (m?.type === 'ready') resolve();
      if (m?.type === 'counters' && m.totals) worker.totals = m.totals;
    });
    child.once('exit', (code) => reject(new Error(`agent worker exited with ${code}`)));
  });
  return worker;
}

/** Sends `question` to the worker and resolves with its first answer that `matches`. */
function ask<T extends { type?: string }>(worker: AgentWorker, question: Record<string, unknown>, matches: (m: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const listener = (m: T) => {
      if (m?.type === question.type && matches(m)) {
        worker.child.off('message', listener);
        resolve(m);
      }
    };
    worker.child.on('message', listener);
    worker.child.send(question);
  });
}

/**
 * When (ms since the epoch, comparable across this machine's processes) `host` on `worker` first had
 * applied at least `revision`; waits for it if it has not yet. The worker must record applies.
 */
export async function agentAppliedAt(worker: AgentWorker, host: string, revision: number): Promise<number> {
  const m = await ask<{ type?: string; host?: string; revision?: number; at?: number }>(worker, { type: 'appliedAt', host, revision }, (a) => a.host === host && a.revision === revision);
  return m.at ?? NaN;
}

/** Digest and count of the states `host` on `worker` holds (see southbound-agents.ts). */
export function agentStates(worker: AgentWorker, host: string): Promise<{ digest: string; count: number }> {
  return ask<{ type?: string; host?: string; digest: string; count: number }>(worker, { type: 'states', host }, (a) => a.host === host);
}

/** Stops the workers and waits for them to exit. */
export async function stopAgentWorkers(workers: readonly AgentWorker[]): Promise<void> {
  for (const w of workers) w.child.send?.({ type: 'stop' });
  await Promise.all(workers.map((w) => new Promise((resolve) => (w.child.exitCode !== null ? resolve(null) : w.child.once('exit', resolve)))));
}
