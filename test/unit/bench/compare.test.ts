import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { compileApiBenchOptions, type ApiBenchResult } from '../../../src/bench/api-bench.js';
import { sampleCounts, type CompareResult, type CompareRun } from '../../../src/bench/compare.js';
import { parsePostgresServer } from '../../../src/bench/compare-host.js';
import { neutronConfig } from '../../../src/bench/compare-neutron.js';
import { topUpSql } from '../../../src/bench/compare-neutron-fill.js';
import { comparePlotSpec, renderComparePlot } from '../../../src/bench/compare-plot.js';
import { compareRows, formatCompareMarkdown, ratio } from '../../../src/bench/compare-report.js';
import { processTree, readTreeCpuMs, readTreeMemory } from '../../../src/bench/process-tree.js';
import { summarize } from '../../../src/bench/stats.js';

/** An `alcor bench api` result whose every time is `ms`, throughput `perSecond` and memory `mb`. */
function benchResult(ms: number, perSecond: number, mb: number): ApiBenchResult {
  const latency = summarize([ms]);
  const single = [0, 10_000].flatMap((level) =>
    [1, 16].map((concurrency) => ({ level, concurrency, storedBefore: level, ...latency, portsPerSecond: perSecond * (concurrency === 16 ? 2 : 1), serverCpuMsPerRequest: ms / 2, clientCpuMsPerRequest: 0.1, rssMb: mb })),
  );
  return {
    tool: 'alcor bench api',
    formatVersion: 1,
    startedAt: '2026-12-06T05:00:00.000Z',
    durationS: 1,
    url: 'http://127.0.0.1:1',
    concurrency: 16,
    scale: 1,
    environment: { cpus: 2, memoryGb: 24, node: 'v24', loadAverageBefore: 1, loadAverageAfter: 1 },
    single,
    bulk: { size: 1000, storedBefore: 100, ms: ms * 100, serverCpuMs: null, rssMb: mb },
    fill: { method: 'api', bulks: 0, ports: 0, portsPerSecond: 0, p50Ms: NaN, maxMs: NaN },
    list: { stored: 10_000, limit: 100, ...latency, serverCpuMsPerRequest: ms, rssMb: mb },
    networks: { network: latency, subnet: latency, serverCpuMsPerRequest: ms },
    memory: { rssMb: mb, peakRssMb: mb, pssMb: mb / 2, processes: 1 },
    targets: [],
  };
}

function run(name: string, role: CompareRun['role'], result: ApiBenchResult): CompareRun {
  return { name, label: `${name} label`, role, loadAverageBefore: 0.5, loadAverageAfter: 0.7, result };
}

function comparison(): CompareResult {
  return {
    tool: 'alcor bench compare',
    formatVersion: 1,
    command: 'alcor bench compare',
    startedAt: '2026-12-06T05:00:00.000Z',
    durationS: 600,
    stored: 10_000,
    concurrency: 16,
    bulkSize: 1000,
    machine: { cpus: 2, cpuModel: 'test CPU', memoryGb: 24, node: 'v24' },
    runs: [
      run('neutron', 'baseline', benchResult(250, 4, 1000)),
      run('alcor-sqlite', 'contender', benchResult(1, 1000, 200)),
      run('alcor-postgres', 'contender', benchResult(5, 300, 300)),
    ],
  };
}

test('bench compare - a ratio is always "times better": throughput over the baseline, or the baseline\'s cost over the contender\'s', () => {
  assert.equal(ratio({ better: 'higher' }, 4, 1000), 250);
  assert.equal(ratio({ better: 'lower' }, 250, 2), 125);
  assert.equal(ratio({ better: 'lower' }, 1000, 300), 3.3);
  assert.equal(ratio({ better: 'higher' }, null, 5), null);
  assert.equal(ratio({ better: 'lower' }, 5, 0), null, 'no division by a zero reading');
});

test('bench compare - rows read every metric from every run and check the goals per contender', () => {
  const { rows, verdicts } = compareRows(comparison());
  const row = (id: string) => rows.find((r) => r.metric.id === id);
  assert.deepEqual(row('create-c16-10000')?.values, { neutron: 8, 'alcor-sqlite': 2000, 'alcor-postgres': 600 });
  assert.deepEqual(row('create-c16-10000')?.ratios, { 'alcor-sqlite': 250, 'alcor-postgres': 75 });
  assert.deepEqual(row('bulk')?.ratios, { 'alcor-sqlite': 250, 'alcor-postgres': 50 });
  assert.deepEqual(row('rss')?.ratios, { 'alcor-sqlite': 5, 'alcor-postgres': 3.3 });
  assert.equal(row('rss')?.goal?.atLeast, 4);
  const verdict = (goal: string, name: string) => verdicts.find((v) => v.goal.metric === goal && v.run === name)?.pass;
  assert.equal(verdict('create-c16-10000', 'alcor-sqlite'), true);
  assert.equal(verdict('create-c16-10000', 'alcor-postgres'), false);
  assert.equal(verdict('list', 'alcor-postgres'), true, '250 ms against 5 ms is 50×');
  assert.equal(verdict('rss', 'alcor-postgres'), false, '1000 MB against 300 MB is 3.3×, under 4×');
  assert.equal(verdicts.length, 10, 'five goals for each of the two contenders');
});

test('bench compare - the Markdown has the machine, each run\'s load, one row per metric with its ratios, and the verdicts', () => {
  const markdown = formatCompareMarkdown(comparison(), 'plot.svg');
  assert.match(markdown, /Machine: 2 CPUs \(test CPU\), 24 GiB/);
  assert.match(markdown, /- `neutron`: neutron label: load average 0.5 → 0.7/);
  assert.match(markdown, /\| metric \| neutron \| alcor-sqlite \| alcor-postgres \| alcor-sqlite × \| alcor-postgres × \| goal \|/);
  assert.match(markdown, /\| single port create, c = 16, 10,000 stored \(ports\/s\) \| 8 \| 2,000 \| 600 \| 250× \| 75× \| ≥ 200× \|/);
  assert.match(markdown, /\| server RSS at the end \(all processes\) \(MB\) \| 1,000 \| 200 \| 300 \| 5× \| 3.3× \| ≥ 4× \|/);
  assert.match(markdown, /- MISS: alcor-postgres label, RSS ≤ 1\/4 of Neutron’s: 3.3×/);
  assert.match(markdown, /- pass: alcor-sqlite label, bulk create of 1,000 ≥ 190×: 250×/);
  assert.match(markdown, /!\[[^\]]+\]\(plot\.svg\)/);
});

test('bench compare - the plot is a Vega-Lite bar chart of the ratios rendered to SVG', async () => {
  const spec = comparePlotSpec(comparison()) as { layer: { data: { values: { ratio?: number; goal?: number }[] } }[] };
  assert.equal(spec.layer[0]?.data.values.filter((v) => v.ratio !== undefined).length, 2 * 12, 'a bar per metric and contender');
  assert.deepEqual(spec.layer[2]?.data.values.map((v) => v.goal), [200, 200, 190, 10, 4]);
  const svg = await renderComparePlot(comparison());
  assert.match(svg, /^<svg /);
  assert.match(svg, /class="mark-rect role-mark/, 'bars are drawn');
  assert.match(svg, /250×/);
  assert.match(svg, /times better than Neutron/);
});

test('bench compare - the workload takes explicit stored levels, increasing, instead of the scaled ones', () => {
  assert.deepEqual(compileApiBenchOptions({ levels: [0, 10_000] }).levels, [0, 10_000]);
  assert.throws(() => compileApiBenchOptions({ levels: [0, 0] }), /expected increasing non-negative integers/);
  assert.throws(() => compileApiBenchOptions({ levels: [] }), /expected increasing/);
  assert.throws(() => compileApiBenchOptions({ networkSamples: -1 }), /network samples -1/);
});

test('bench compare - sample counts derive from the single-create count and refuse too few', () => {
  assert.deepEqual(sampleCounts(2000), { throughput: 2000, latency: 500, list: 500, networks: 50 });
  assert.deepEqual(sampleCounts(200), { throughput: 200, latency: 50, list: 50, networks: 10 });
  assert.throws(() => sampleCounts(5), /expected an integer >= 20/);
});

test('bench compare - the Neutron top-up SQL continues the bench- names, uses its own MAC prefix and validates its inputs', () => {
  const sql = topUpSql('0b0e1f55-3c3f-4a43-9b1b-7d1c1a2b3c4d', 250, 9750);
  assert.match(sql, /^BEGIN;/m);
  assert.match(sql, /'bench-' \|\| f\.n/);
  assert.match(sql, /250 - 1 \+ row_number\(\)/);
  assert.match(sql, /'fa:16:3f:'/);
  for (const table of ['standardattributes', 'ports', 'ipallocations', 'ipamallocations', 'ml2_port_bindings', 'portsecuritybindings', 'securitygroupportbindings']) {
    assert.match(sql, new RegExp(`INSERT INTO ${table} \\(`), table);
  }
  assert.throws(() => topUpSql("x'; DROP TABLE ports; --", 0, 1), /expected a UUID/);
  assert.throws(() => topUpSql('0b0e1f55-3c3f-4a43-9b1b-7d1c1a2b3c4d', 0, 0), /expected a positive integer/);
});

test('bench compare - neutron-server gets its own port and database, noauth, no mechanism driver, fake transport', () => {
  const { neutron, ml2 } = neutronConfig({ port: 45678, databaseUrl: 'postgres://postgres@127.0.0.1:5432/n_1', dir: '/tmp/x', apiWorkers: 2 });
  assert.match(neutron, /^bind_port = 45678$/m);
  assert.match(neutron, /^bind_host = 127\.0\.0\.1$/m);
  assert.match(neutron, /^connection = postgresql\+psycopg2:\/\/postgres@127\.0\.0\.1:5432\/n_1$/m);
  assert.match(neutron, /^auth_strategy = noauth$/m);
  assert.match(neutron, /^transport_url = fake:\/\/$/m);
  assert.match(neutron, /^api_workers = 2$/m);
  assert.match(neutron, /^lock_path = \/tmp\/x\/lock$/m);
  assert.match(ml2, /^mechanism_drivers =$/m);
  assert.deepEqual(parsePostgresServer('postgres://postgres@127.0.0.1:5432'), { host: '127.0.0.1', port: 5432, user: 'postgres' });
  assert.throws(() => parsePostgresServer('mysql://x@y'), /expected postgres:\/\//);
});

test('bench compare - CPU and memory are summed over a process and the children it forked', async () => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await once(child, 'spawn');
  try {
    assert.ok(processTree(process.pid).includes(child.pid ?? -1), 'the child is in the tree');
    const self = readTreeMemory(child.pid ?? -1);
    const tree = readTreeMemory(process.pid);
    assert.ok(self && tree && tree.processes >= 2 && tree.rssMb > self.rssMb, 'the parent\'s tree holds more than the child');
    assert.ok((readTreeCpuMs(process.pid) ?? 0) > 0);
  } finally {
    child.kill();
  }
  assert.deepEqual(processTree(2 ** 22 + 1), [], 'no such process');
});
