/**
 * In-process agent costs for `alcor bench southbound`: the sim driver's apply of one neighbor with few
 * and with many neighbors installed (it must not grow), and a snapshot of N neighbor states decoded by
 * the agent's desired-state store and applied by the sim driver in full (reconcile) mode.
 */
import { create } from '@bufbuild/protobuf';
import { NeighborStateSchema, VpcStateSchema } from '../proto/alcor/v1/goal_state_pb.js';
import { DesiredState } from '../agent/desired-state.js';
import { SimDriver } from '../agent/drivers/sim.js';
import { encodeUpsert } from '../dataplane/wire.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { round } from './stats.js';

/** A full garbage collection before a timed phase, so the garbage of generating its input is not billed to it. */
function collectGarbage(): void {
  setFlagsFromString('--expose_gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
}

/** What was measured. */
export interface AgentCosts {
  /** Median ms to decode and apply one new neighbor with 100 installed. */
  oneNeighborSmallMs: number;
  /** The same with `bigNeighbors` installed. */
  oneNeighborBigMs: number;
  bigNeighbors: number;
  snapshotStates: number;
  /** Seconds to decode + diff the snapshot into the desired state. */
  snapshotDecodeS: number;
  /** Seconds for the sim driver's full apply of it. */
  snapshotApplyS: number;
  /** Total. */
  snapshotS: number;
  /** CPU seconds this process spent on decode + apply (less sensitive to a shared machine than wall time). */
  snapshotCpuS: number;
}

function neighbor(i: number): Uint8Array {
  const id = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
  return encodeUpsert('neighbor', id, {
    case: 'neighbor',
    value: create(NeighborStateSchema, {
      id,
      vpcId: 'vpc-1',
      macAddress: `fa:16:3e:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
      fixedIps: [{ subnetId: 'subnet-1', ipAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }],
      hostId: `sim-${i % 1000}`,
      hostIp: `10.128.${(i >> 8) & 3}.${i & 255}`,
    }),
  });
}

function sim(): SimDriver {
  return new SimDriver({ hostId: 'bench', datapathIp: '192.0.2.1', stateDir: '/nonexistent', options: {}, log: () => {} });
}

async function oneNeighborMs(installed: number): Promise<number> {
  const desired = new DesiredState();
  const driver = sim();
  const vpc = encodeUpsert('vpc', 'vpc-1', { case: 'vpc', value: create(VpcStateSchema, { id: 'vpc-1', segmentationId: 100 }) });
  const batch = 10_000;
  await driver.apply({ revision: 1, mode: 'delta', changes: desired.applyRecords([vpc]), desired: desired.view });
  for (let i = 0; i < installed; i += batch) {
    const records = Array.from({ length: Math.min(batch, installed - i) }, (_, k) => neighbor(i + k));
    await driver.apply({ revision: 2, mode: 'delta', changes: desired.applyRecords(records), desired: desired.view });
  }
  const samples: number[] = [];
  for (let s = 0; s < 200; s++) {
    const record = neighbor(installed + s);
    const t0 = performance.now();
    await driver.apply({ revision: 3 + s, mode: 'delta', changes: desired.applyRecords([record]), desired: desired.view });
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return round(samples[samples.length >> 1] ?? NaN, 4);
}

/** Runs the agent measurements. */
export async function measureAgentCosts(bigNeighbors: number, snapshotStates: number, log: (line: string) => void): Promise<AgentCosts> {
  const oneNeighborSmallMs = await oneNeighborMs(100);
  const oneNeighborBigMs = await oneNeighborMs(bigNeighbors);
  log(`sim apply of one neighbor: ${oneNeighborSmallMs} ms with 100 installed, ${oneNeighborBigMs} ms with ${bigNeighbors}`);
  const vpc = encodeUpsert('vpc', 'vpc-1', { case: 'vpc', value: create(VpcStateSchema, { id: 'vpc-1', segmentationId: 100 }) });
  const records: Uint8Array[] = [vpc];
  for (let i = 0; i < snapshotStates; i++) records.push(neighbor(i));
  const desired = new DesiredState();
  const driver = sim();
  collectGarbage();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const changes = desired.replace(records);
  const t1 = performance.now();
  await driver.apply({ revision: 1, mode: 'full', changes, desired: desired.view });
  const t2 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  log(`snapshot of ${snapshotStates} neighbors: decode ${round((t1 - t0) / 1000)} s, apply ${round((t2 - t1) / 1000)} s`);
  return {
    oneNeighborSmallMs,
    oneNeighborBigMs,
    bigNeighbors,
    snapshotStates,
    snapshotDecodeS: round((t1 - t0) / 1000),
    snapshotApplyS: round((t2 - t1) / 1000),
    snapshotS: round((t2 - t0) / 1000),
    snapshotCpuS: round((cpu.user + cpu.system) / 1e6),
  };
}
