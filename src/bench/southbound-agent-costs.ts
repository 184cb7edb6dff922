/**
 * In-process agent costs for `alcor bench southbound`: the sim driver's apply of one neighbor with few
 * and with many neighbors installed (it must not grow); a snapshot of N neighbor states decoded by the
 * agent's desired-state store and applied by the sim driver in full (reconcile) mode; and the same
 * snapshot end to end: chunked by the controller's encoder, sent over a real gRPC Watch stream (loopback)
 * to an `AgentRuntime` with the sim driver in another process, until its ack comes back.
 */
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { NeighborStateSchema, VpcStateSchema } from '../proto/alcor/v1/goal_state_pb.js';
import { WatchRequestSchema, WatchResponseSchema } from '../proto/alcor/v1/southbound_pb.js';
import { DesiredState } from '../agent/desired-state.js';
import { SimDriver } from '../agent/drivers/sim.js';
import { encodeUpsert, watchSnapshotChunks } from '../dataplane/wire.js';
import { SOUTHBOUND_SERVICE } from '../southbound/grpc-definition.js';
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { readProcessCpuMs } from './server-process.js';
import type { WorkerOptions } from './southbound-agents.js';
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
  /** Seconds from the agent's Hello to its ack of the snapshot over gRPC (encode + transfer + decode + apply). */
  grpcSnapshotS: number;
  /** CPU seconds over the same span of the sending process (chunk encoding, gRPC) and of the agent process. */
  grpcSnapshotControllerCpuS: number;
  grpcSnapshotAgentCpuS: number;
  /** Chunks and bytes sent. */
  grpcSnapshotChunks: number;
  grpcSnapshotBytes: number;
}

/** States per chunk: the data-plane manager's default. */
const CHUNK_STATES = 4096;
/** Unflushed bytes before the sender waits: the southbound server's default. */
const MAX_PENDING_BYTES = 16 << 20;

interface GrpcSnapshot {
  grpcSnapshotS: number;
  grpcSnapshotControllerCpuS: number;
  grpcSnapshotAgentCpuS: number;
  grpcSnapshotChunks: number;
  grpcSnapshotBytes: number;
}

const AGENT_WORKER = fileURLToPath(new URL('./southbound-agents.js', import.meta.url));

/**
 * Serves one Watch stream the way the southbound session sends a snapshot (Welcome, then the chunks
 * with the same flow control) to a sim-driver agent in its own process (the benchmark's agent worker,
 * so each side's garbage collector walks only its own heap), and times it from the Hello to the ack.
 */
async function grpcSnapshot(states: readonly Uint8Array[]): Promise<GrpcSnapshot> {
  const revision = 1;
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 256 << 20, 'grpc.max_send_message_length': 256 << 20 });
  let agentPid = 0;
  let acked: (result: GrpcSnapshot) => void = () => {};
  const result = new Promise<GrpcSnapshot>((resolve) => (acked = resolve));
  server.addService(SOUTHBOUND_SERVICE, {
    watch: (call: grpc.ServerDuplexStream<Buffer, Uint8Array>) => {
      let t0 = 0;
      let cpu0 = process.cpuUsage();
      let agentCpu0 = 0;
      let chunks = 0;
      let bytes = 0;
      call.on('data', (buf: Buffer) => {
        const request = fromBinary(WatchRequestSchema, buf);
        if (request.kind.case === 'hello') {
          t0 = performance.now();
          cpu0 = process.cpuUsage();
          agentCpu0 = readProcessCpuMs(agentPid) ?? NaN;
          call.write(toBinary(WatchResponseSchema, create(WatchResponseSchema, { kind: { case: 'welcome', value: { revision: BigInt(revision), resumed: false } } })));
          void (async () => {
            let pending = 0;
            let drained: (() => void) | undefined;
            for (const chunk of watchSnapshotChunks(revision, states, CHUNK_STATES)) {
              chunks++;
              bytes += chunk.length;
              pending += chunk.length;
              call.write(chunk, () => {
                pending -= chunk.length;
                if (pending <= MAX_PENDING_BYTES / 2) drained?.();
              });
              if (pending > MAX_PENDING_BYTES) await new Promise<void>((resolve) => (drained = resolve));
            }
          })();
        } else if (request.kind.case === 'ack' && request.kind.value.revision === BigInt(revision)) {
          const cpu = process.cpuUsage(cpu0);
          acked({
            grpcSnapshotS: round((performance.now() - t0) / 1000),
            grpcSnapshotControllerCpuS: round((cpu.user + cpu.system) / 1e6),
            grpcSnapshotAgentCpuS: round(((readProcessCpuMs(agentPid) ?? NaN) - agentCpu0) / 1000),
            grpcSnapshotChunks: chunks,
            grpcSnapshotBytes: bytes,
          });
        }
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  const stateRoot = await mkdtemp(join(tmpdir(), 'alcor-bench-snapshot-'));
  const worker: WorkerOptions = { controller: `127.0.0.1:${port}`, prefix: 'snapshot', first: 0, count: 1, stateRoot };
  const agent = fork(AGENT_WORKER, [JSON.stringify(worker)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  agentPid = agent.pid ?? 0;
  try {
    return await Promise.race([
      result,
      new Promise<never>((_, reject) => agent.once('exit', (code) => reject(new Error(`snapshot agent exited with ${code}`)))),
    ]);
  } finally {
    agent.removeAllListeners('exit');
    const exited = new Promise((resolve) => (agent.exitCode !== null ? resolve(null) : agent.once('exit', resolve)));
    agent.send?.({ type: 'stop' });
    await exited;
    server.forceShutdown();
    await rm(stateRoot, { recursive: true, force: true });
  }
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

/** Decode + full apply of a snapshot's records, in process (the desired state and driver are dropped after). */
async function inProcessSnapshot(records: readonly Uint8Array[]) {
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
  return {
    snapshotStates: records.length - 1,
    snapshotDecodeS: round((t1 - t0) / 1000),
    snapshotApplyS: round((t2 - t1) / 1000),
    snapshotS: round((t2 - t0) / 1000),
    snapshotCpuS: round((cpu.user + cpu.system) / 1e6),
  };
}

/** Runs the agent measurements. */
export async function measureAgentCosts(bigNeighbors: number, snapshotStates: number, log: (line: string) => void): Promise<AgentCosts> {
  const oneNeighborSmallMs = await oneNeighborMs(100);
  const oneNeighborBigMs = await oneNeighborMs(bigNeighbors);
  log(`sim apply of one neighbor: ${oneNeighborSmallMs} ms with 100 installed, ${oneNeighborBigMs} ms with ${bigNeighbors}`);
  const vpc = encodeUpsert('vpc', 'vpc-1', { case: 'vpc', value: create(VpcStateSchema, { id: 'vpc-1', segmentationId: 100 }) });
  const records: Uint8Array[] = [vpc];
  for (let i = 0; i < snapshotStates; i++) records.push(neighbor(i));
  const inProcess = await inProcessSnapshot(records);
  log(`snapshot of ${snapshotStates} neighbors: decode ${inProcess.snapshotDecodeS} s, apply ${inProcess.snapshotApplyS} s`);
  collectGarbage();
  const overGrpc = await grpcSnapshot(records);
  log(`snapshot of ${snapshotStates} neighbors over gRPC (encode, transfer, decode, apply, ack): ${overGrpc.grpcSnapshotS} s, CPU ${overGrpc.grpcSnapshotControllerCpuS} s sender + ${overGrpc.grpcSnapshotAgentCpuS} s agent`);
  return { oneNeighborSmallMs, oneNeighborBigMs, bigNeighbors, ...inProcess, ...overGrpc };
}
