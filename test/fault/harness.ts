/**
 * Fault injection for the fault suite: stopping a process of simulated hosts for a set time while a
 * workload runs, and spreading a workload over a set time. `ALCOR_FAULT_HEAVY=1` selects the heavy
 * variants (the sizes named in BENCHMARKS.md).
 */
import type { ChildProcess } from 'node:child_process';

/** Heavy variants of the fault tests. */
export const HEAVY = process.env.ALCOR_FAULT_HEAVY === '1';

/** Waits `ms`: fault injection runs on the clock (a fault lands a set time into a workload), not on state. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `step(0)` … `step(count - 1)` one after another, spread evenly over about `overMs` (in 50
 * slices), so that a fault injected meanwhile lands in the middle of the workload.
 */
export async function spreadOver(count: number, overMs: number, step: (i: number) => Promise<void>): Promise<void> {
  const slices = 50;
  const started = Date.now();
  for (let slice = 0, i = 0; slice < slices; slice++) {
    for (const end = Math.round(((slice + 1) * count) / slices); i < end; i++) await step(i);
    const due = started + ((slice + 1) * overMs) / slices;
    if (due > Date.now()) await pause(due - Date.now());
  }
}

/**
 * SIGSTOPs `child`, runs `during` while it is stopped, keeps it stopped for at least `ms` in all, then
 * SIGCONTs it (also when `during` throws).
 */
export async function whileStopped(child: ChildProcess, ms: number, during: () => Promise<void>): Promise<void> {
  const stoppedAt = Date.now();
  child.kill('SIGSTOP');
  try {
    await during();
    const left = stoppedAt + ms - Date.now();
    if (left > 0) await pause(left);
  } finally {
    child.kill('SIGCONT');
  }
}
