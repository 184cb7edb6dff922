/**
 * A server process together with the processes it forked (neutron-server runs a parent and its API
 * workers; alcor-server is one process): CPU time and memory summed over the tree, from /proc (Linux).
 * RSS summed over forked processes counts their shared pages once per process; PSS divides each shared
 * page among its sharers, so both are reported.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readProcessCpuMs, readProcessMemory } from './server-process.js';

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** `pid` and all its living descendants (empty when `pid` is gone). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const child = Number(name);
    if (!Number.isInteger(child)) continue;
    const parent = parentOf(child);
    if (parent === undefined) continue;
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  if (parentOf(pid) === undefined) return [];
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

/** CPU milliseconds used so far by the tree's living processes; undefined when `pid` is gone. */
export function readTreeCpuMs(pid: number): number | undefined {
  const pids = processTree(pid);
  if (pids.length === 0) return undefined;
  return pids.reduce((sum, p) => sum + (readProcessCpuMs(p) ?? 0), 0);
}

/** Memory of a process tree, in MiB. */
export interface TreeMemory {
  processes: number;
  /** Summed resident set size now. */
  rssMb: number;
  /** Summed peak resident set size (VmHWM) of the living processes. */
  peakRssMb: number;
  /** Summed proportional set size; null where smaps_rollup cannot be read. */
  pssMb: number | null;
}

function pssKb(pid: number): number | undefined {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = /^Pss:\s+(\d+) kB/m.exec(rollup)?.[1];
    return kb === undefined ? undefined : Number(kb);
  } catch {
    return undefined;
  }
}

/** Memory of `pid` and its descendants; undefined when `pid` is gone. */
export function readTreeMemory(pid: number): TreeMemory | undefined {
  const pids = processTree(pid);
  if (pids.length === 0) return undefined;
  let rssMb = 0;
  let peakRssMb = 0;
  let pss: number | null = 0;
  for (const p of pids) {
    const memory = readProcessMemory(p);
    rssMb += memory?.rssMb ?? 0;
    peakRssMb += memory?.peakRssMb ?? 0;
    const kb = pssKb(p);
    pss = pss === null || kb === undefined ? null : pss + kb;
  }
  return { processes: pids.length, rssMb, peakRssMb, pssMb: pss === null ? null : Math.round(pss / 1024) };
}
