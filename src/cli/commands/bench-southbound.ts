/** `alcor bench southbound`: the southbound scalability benchmark (see src/bench/southbound-bench.ts). */
import type { Command } from 'commander';
import { runSouthboundBench, type SouthboundBenchResult } from '../../bench/southbound-bench.js';
import { commandGroup, numberOption, type RegisterCommand } from '../command-group.js';

function report(r: SouthboundBenchResult): string {
  const lines = [
    `alcor bench southbound  ${r.transport}${r.tls ? ' + mutual TLS' : ' plaintext'}  ${r.hosts} hosts in ${r.processes} processes  VPC of ${r.vpcPorts} ports  ${r.startedAt} (${r.durationS} s)`,
    '',
    `connect             ${r.connect.seconds} s for all hosts (handshake, Hello, empty snapshot); controller CPU ${r.connect.controllerCpuMsPerHost} ms per host`,
    `populate            ${r.populate.seconds} s (${r.populate.portsPerSecond} ports/s, all hosts acked; ${r.populate.bulksWithHostsBehind} bulks went on with hosts behind)`,
    `new port → all ${r.newPort.hostsPerChange} hosts acked: p50 ${r.newPort.p50Ms} ms  p90 ${r.newPort.p90Ms} ms  p99 ${r.newPort.p99Ms} ms  max ${r.newPort.maxMs} ms  (n=${r.newPort.count})`,
    `  of which API call p50 ${r.apiCall.p50Ms} ms  p99 ${r.apiCall.p99Ms} ms   (load average ${r.loadAverage[0]} → ${r.loadAverage[1]})`,
    `per change          ${r.perChange.messages} gRPC messages, ${r.perChange.bytes} bytes; ${r.perChange.busPublishes} bus publishes, ${r.perChange.busBytes} bytes; ${r.perChange.neighborCompiles} neighbor compiles, ${r.perChange.scopeFields} scope deltas encoded`,
    `new host joins      ${r.join.ms} ms for ${r.join.neighbors} neighbors`,
    `hosts, summed       ${Object.entries(r.hostTotals).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `connections         ${r.connectionPerHost ? 'one per simulated host' : 'one per worker process, shared by its hosts'} (gRPC${r.transport === 'nats' ? ' and NATS' : ''}); host processes at nice ${r.hostsNice}`,
    `controller          fan-out ${r.fanOutSlice} streams per turn; ${r.controller.cpuMsPerChange} ms CPU per change, ${r.controller.cpuPercentDuringLatency}% CPU, RSS ${r.controller.rssMb} MB; event-loop delay p99 ${r.controller.eventLoopDelay.p99Ms} ms, max ${r.controller.eventLoopDelay.maxMs} ms`,
    `simulated hosts     ${r.agents.cpuMsPerChange} ms CPU per change, all worker processes together`,
    `sim driver          one neighbor: ${r.agent.oneNeighborSmallMs} ms (100 installed), ${r.agent.oneNeighborBigMs} ms (${r.agent.bigNeighbors} installed)`,
    `snapshot            ${r.agent.snapshotStates} neighbors: decode ${r.agent.snapshotDecodeS} s + apply ${r.agent.snapshotApplyS} s = ${r.agent.snapshotS} s (${r.agent.snapshotCpuS} s CPU)`,
    `  over gRPC          Hello → ack ${r.agent.grpcSnapshotS} s (CPU ${r.agent.grpcSnapshotControllerCpuS} s sender + ${r.agent.grpcSnapshotAgentCpuS} s agent): ${r.agent.grpcSnapshotChunks} chunks, ${r.agent.grpcSnapshotBytes} bytes`,
    '',
    'targets:',
    ...r.targets.map((t) => `  ${t.pass === null ? 'n/a ' : t.pass ? 'pass' : 'MISS'}  ${t.name}: ${t.value ?? '-'} ${t.unit} (target ${t.target} ${t.unit})`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Registers `alcor bench southbound`. */
export const registerBenchSouthbound: RegisterCommand = (program: Command) => {
  commandGroup(program, 'bench', 'scalability benchmarks')
    .command('southbound')
    .description('simulated hosts on real gRPC streams (and NATS with --transport nats) against an embedded controller: latency, fan-out, snapshot costs')
    .option('--hosts <n>', 'simulated hosts', numberOption('--hosts'), 100)
    .option('--processes <n>', 'worker processes for the hosts', numberOption('--processes'), 2)
    .option('--vpc-ports <n>', 'ports in the VPC', numberOption('--vpc-ports'), 1000)
    .option('--samples <n>', 'single-port creates measured', numberOption('--samples'), 50)
    .option('--big-neighbors <n>', 'installed neighbors for the one-neighbor apply', numberOption('--big-neighbors'), 100_000)
    .option('--snapshot-states <n>', 'neighbor states in the snapshot measurement', numberOption('--snapshot-states'), 1_000_000)
    .option('--transport <t>', 'grpc, or nats: the VPC on the mq channel, its deltas published once to NATS JetStream', 'grpc')
    .option('--nats <url>', 'NATS server for --transport nats', process.env.ALCOR_NATS_URL || 'nats://127.0.0.1:4222')
    .option('--fan-out-slice <n>', 'agent streams the controller writes per event-loop turn (a number >= hosts writes them all in one turn)', numberOption('--fan-out-slice'), 64)
    .option('--connection-per-host', 'each simulated host dials its own gRPC and NATS connections (default: one of each per worker process)', false)
    .option('--hosts-nice <n>', 'scheduling priority (nice, 0-19) of the simulated hosts\' processes, so that they take the CPU the controller leaves', numberOption('--hosts-nice'), 10)
    .option('--tls <mode>', 'off, on (mutual TLS: a certificate per host, made with openssl first), or both: two runs, plaintext then TLS, and their ratio', 'off')
    .option('--json', 'print the result as JSON', false)
    .action(async (flags: { tls: string; hosts: number; processes: number; vpcPorts: number; samples: number; bigNeighbors: number; snapshotStates: number; fanOutSlice: number; connectionPerHost: boolean; hostsNice: number; json: boolean; transport: string; nats: string }) => {
      if (flags.transport !== 'grpc' && flags.transport !== 'nats') throw new TypeError(`--transport "${flags.transport}" must be grpc or nats`);
      if (!Number.isInteger(flags.hostsNice) || flags.hostsNice < 0 || flags.hostsNice > 19) throw new TypeError(`--hosts-nice ${flags.hostsNice} must be an integer from 0 to 19`);
      const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
      let lastDraw = 0;
      const progress = (label: string, done: number, total: number) => {
        const now = Date.now();
        if (done !== total && now - lastDraw < 200) return;
        lastDraw = now;
        const width = 30;
        const filled = Math.round((width * done) / Math.max(total, 1));
        process.stderr.write(`\r${label.padEnd(9)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${done === total ? '\n' : ''}`);
      };
      if (flags.tls !== 'off' && flags.tls !== 'on' && flags.tls !== 'both') throw new TypeError(`--tls "${flags.tls}" must be off, on or both`);
      const modes = flags.tls === 'both' ? [false, true] : [flags.tls === 'on'];
      const results: SouthboundBenchResult[] = [];
      for (const tls of modes) results.push(await runSouthboundBench({ ...flags, tls, transport: flags.transport, natsUrl: flags.nats, log, progress }));
      const [plain, secure] = results;
      const ratio = plain && secure ? Math.round((100 * secure.newPort.p50Ms) / plain.newPort.p50Ms) / 100 : undefined;
      if (flags.json) process.stdout.write(`${JSON.stringify(results.length === 1 ? results[0] : { plaintext: plain, tls: secure, tlsOverPlaintextP50: ratio }, null, 2)}\n`);
      else process.stdout.write(`${results.map(report).join('\n')}${ratio === undefined ? '' : `\nnew port → all acked p50, TLS / plaintext: ${ratio}×\n`}`);
    });
};
