/** Renders an `alcor bench api` result as the human table printed on stdout. */
import type { ApiBenchResult } from './api-bench.js';

function cell(value: number | string | null | undefined, width: number): string {
  const text = value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value)) ? '-' : String(value);
  return text.padStart(width);
}

/** The human-readable report. */
export function formatApiBenchReport(result: ApiBenchResult): string {
  const lines: string[] = [];
  lines.push(`alcor bench api  ${result.url}  concurrency ${result.concurrency}  scale ${result.scale}  ${result.startedAt}  (${result.durationS} s)`);
  const env = result.environment;
  lines.push(`machine: ${env.cpus} CPUs, ${env.memoryGb} GiB, Node ${env.node}, load average ${env.loadAverageBefore} before / ${env.loadAverageAfter} after`);
  lines.push('');
  const header = ['phase'.padEnd(26), cell('stored', 8), cell('c', 3), cell('count', 7), cell('p50 ms', 8), cell('p90 ms', 8), cell('p99 ms', 8), cell('max ms', 8), cell('ports/s', 8), cell('CPU ms', 7), cell('client', 7), cell('RSS MB', 7)];
  lines.push(header.join(' '));
  for (const s of result.single) {
    lines.push(['single port create'.padEnd(26), cell(s.storedBefore, 8), cell(s.concurrency, 3), cell(s.count, 7), cell(s.p50Ms, 8), cell(s.p90Ms, 8), cell(s.p99Ms, 8), cell(s.maxMs, 8), cell(s.portsPerSecond, 8), cell(s.serverCpuMsPerRequest, 7), cell(s.clientCpuMsPerRequest, 7), cell(s.rssMb, 7)].join(' '));
  }
  const b = result.bulk;
  const bulkRate = b.ms > 0 ? Math.round((b.size * 1000) / b.ms) : null;
  lines.push([`bulk create of ${b.size}`.padEnd(26), cell(b.storedBefore, 8), cell(1, 3), cell(1, 7), cell(b.ms, 8), cell('', 8), cell('', 8), cell('', 8), cell(bulkRate, 8), cell(b.serverCpuMs, 7), cell('', 7), cell(b.rssMb, 7)].join(' '));
  const f = result.fill;
  lines.push([`fill (${f.method === 'api' ? `bulks of ${b.size}` : 'outside the API'})`.padEnd(26), cell('', 8), cell(1, 3), cell(f.bulks, 7), cell(f.p50Ms, 8), cell('', 8), cell('', 8), cell(f.maxMs, 8), cell(f.portsPerSecond, 8), cell('', 7), cell('', 7), cell('', 7)].join(' '));
  const l = result.list;
  lines.push([`list ports limit=${l.limit}`.padEnd(26), cell(l.stored, 8), cell(1, 3), cell(l.count, 7), cell(l.p50Ms, 8), cell(l.p90Ms, 8), cell(l.p99Ms, 8), cell(l.maxMs, 8), cell('', 8), cell(l.serverCpuMsPerRequest, 7), cell('', 7), cell(l.rssMb, 7)].join(' '));
  const n = result.networks;
  lines.push([`network create`.padEnd(26), cell('', 8), cell(1, 3), cell(n.network.count, 7), cell(n.network.p50Ms, 8), cell(n.network.p90Ms, 8), cell(n.network.p99Ms, 8), cell(n.network.maxMs, 8), cell('', 8), cell(n.serverCpuMsPerRequest, 7), cell('', 7), cell('', 7)].join(' '));
  lines.push([`subnet create`.padEnd(26), cell('', 8), cell(1, 3), cell(n.subnet.count, 7), cell(n.subnet.p50Ms, 8), cell(n.subnet.p90Ms, 8), cell(n.subnet.p99Ms, 8), cell(n.subnet.maxMs, 8), cell('', 8), cell('', 7), cell('', 7), cell('', 7)].join(' '));
  lines.push('');
  const m = result.memory;
  lines.push(`server memory: RSS ${m.rssMb ?? '-'} MB, peak ${m.peakRssMb ?? '-'} MB, PSS ${m.pssMb ?? '-'} MB (${m.processes ?? '-'} processes)`);
  lines.push('');
  lines.push('c = requests in flight; CPU ms = server CPU time per request (per bulk for the bulk row);');
  lines.push('client = this benchmark\'s own CPU time per request (it competes for the same cores when local).');
  lines.push('With c in flight, latency = c / throughput (Little\'s law), so latency');
  lines.push('targets are read one request at a time and throughput targets with c in flight.');
  lines.push('');
  lines.push('targets:');
  for (const t of result.targets) {
    const verdict = t.pass === null ? 'n/a ' : t.pass ? 'pass' : 'MISS';
    lines.push(`  ${verdict}  ${t.name}: ${t.value ?? '-'} ${t.unit} (target ${t.target} ${t.unit})`);
  }
  return `${lines.join('\n')}\n`;
}
