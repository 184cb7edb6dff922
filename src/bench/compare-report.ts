/**
 * The comparison's numbers: each metric read from every run, Alcor's ratio to Neutron per metric (always
 * "times better": throughput divided by Neutron's, or Neutron's time or memory divided by Alcor's), the
 * goals checked against the ratios, and the Markdown table of all of it.
 */
import type { ApiBenchResult } from './api-bench.js';
import type { CompareResult, CompareRun } from './compare.js';
import { round } from './stats.js';

/** A number read from one run. */
export interface Metric {
  id: string;
  label: string;
  unit: string;
  /** Higher is better (throughput) or lower is better (time, CPU, memory). */
  better: 'higher' | 'lower';
  read(result: ApiBenchResult): number | null;
}

function single(result: ApiBenchResult, level: 'first' | 'last', concurrency: number): ApiBenchResult['single'][number] | undefined {
  const levels = result.single.map((s) => s.level);
  const wanted = level === 'first' ? Math.min(...levels) : Math.max(...levels);
  return result.single.find((s) => s.level === wanted && s.concurrency === concurrency);
}

function finite(value: number | null | undefined): number | null {
  return value === null || value === undefined || !Number.isFinite(value) ? null : value;
}

/** The metrics of the comparison, for a run with `stored` ports at its second level. */
export function compareMetrics(stored: number, concurrency: number, bulkSize: number): Metric[] {
  const at = (level: 'first' | 'last') => (level === 'first' ? 'empty network' : `${stored.toLocaleString('en')} stored`);
  const creates = (['first', 'last'] as const).flatMap((level) =>
    [1, concurrency].map(
      (c): Metric => ({
        id: `create-c${c}-${level === 'first' ? 0 : stored}`,
        label: `single port create, c = ${c}, ${at(level)}`,
        unit: 'ports/s',
        better: 'higher',
        read: (r) => finite(single(r, level, c)?.portsPerSecond),
      }),
    ),
  );
  return [
    ...creates,
    { id: 'bulk', label: `bulk create of ${bulkSize.toLocaleString('en')} ports`, unit: 'ms', better: 'lower', read: (r) => finite(r.bulk.ms) },
    { id: 'list', label: `paged list (limit 100) p50, ${at('last')}`, unit: 'ms', better: 'lower', read: (r) => finite(r.list.p50Ms) },
    { id: 'network-create', label: 'network create p50', unit: 'ms', better: 'lower', read: (r) => finite(r.networks.network.p50Ms) },
    { id: 'subnet-create', label: 'subnet create p50', unit: 'ms', better: 'lower', read: (r) => finite(r.networks.subnet.p50Ms) },
    { id: 'cpu-create', label: `server CPU per port create (c = ${concurrency}, ${at('last')})`, unit: 'ms', better: 'lower', read: (r) => finite(single(r, 'last', concurrency)?.serverCpuMsPerRequest) },
    { id: 'cpu-list', label: 'server CPU per paged list', unit: 'ms', better: 'lower', read: (r) => finite(r.list.serverCpuMsPerRequest) },
    { id: 'rss', label: 'server RSS at the end (all processes)', unit: 'MB', better: 'lower', read: (r) => finite(r.memory.rssMb) },
    { id: 'pss', label: 'server PSS at the end (shared pages counted once)', unit: 'MB', better: 'lower', read: (r) => finite(r.memory.pssMb) },
  ];
}

/** "Times better than the baseline", or null when either side is missing or zero. */
export function ratio(metric: Pick<Metric, 'better'>, baseline: number | null, contender: number | null): number | null {
  if (baseline === null || contender === null || baseline <= 0 || contender <= 0) return null;
  return round(metric.better === 'higher' ? contender / baseline : baseline / contender, 1);
}

/** A goal on a ratio: `metric` at least `atLeast` times better than Neutron. */
export interface Goal {
  metric: string;
  atLeast: number;
  text: string;
}

/** The comparison's goals. */
export function compareGoals(stored: number, concurrency: number, bulkSize: number): Goal[] {
  return [
    { metric: `create-c1-${stored}`, atLeast: 200, text: 'single create throughput ≥ 200× (c = 1)' },
    { metric: `create-c${concurrency}-${stored}`, atLeast: 200, text: `single create throughput ≥ 200× (c = ${concurrency})` },
    { metric: 'bulk', atLeast: 190, text: `bulk create of ${bulkSize.toLocaleString('en')} ≥ 190×` },
    { metric: 'list', atLeast: 10, text: `paged list ≥ 10× at ${stored.toLocaleString('en')} ports` },
    { metric: 'rss', atLeast: 4, text: 'RSS ≤ 1/4 of Neutron’s' },
  ];
}

/** One metric across the runs. */
export interface ComparisonRow {
  metric: Metric;
  /** Per run name. */
  values: Record<string, number | null>;
  /** Per contender run name: times better than the baseline. */
  ratios: Record<string, number | null>;
  goal?: Goal;
}

/** A goal checked for one contender. */
export interface GoalVerdict {
  goal: Goal;
  run: string;
  ratio: number | null;
  pass: boolean | null;
}

/** Rows and goal verdicts of a comparison (the baseline is the run with role "baseline"). */
export function compareRows(result: CompareResult): { rows: ComparisonRow[]; verdicts: GoalVerdict[] } {
  const baseline = result.runs.find((r) => r.role === 'baseline');
  const contenders = result.runs.filter((r) => r.role === 'contender');
  const goals = compareGoals(result.stored, result.concurrency, result.bulkSize);
  const rows = compareMetrics(result.stored, result.concurrency, result.bulkSize).map((metric): ComparisonRow => {
    const values = Object.fromEntries(result.runs.map((r) => [r.name, metric.read(r.result)]));
    const base = baseline ? metric.read(baseline.result) : null;
    const ratios = Object.fromEntries(contenders.map((r) => [r.name, ratio(metric, base, metric.read(r.result))]));
    return { metric, values, ratios, goal: goals.find((g) => g.metric === metric.id) };
  });
  const verdicts = goals.flatMap((goal) => {
    const row = rows.find((r) => r.metric.id === goal.metric);
    return contenders.map((run): GoalVerdict => {
      const value = row?.ratios[run.name] ?? null;
      return { goal, run: run.name, ratio: value, pass: value === null ? null : value >= goal.atLeast };
    });
  });
  return { rows, verdicts };
}

function number(value: number | null): string {
  if (value === null) return '–';
  return value >= 100 ? Math.round(value).toLocaleString('en') : String(round(value, value >= 10 ? 1 : 2));
}

function loadLine(run: CompareRun): string {
  const r = run.result;
  const count = (c: number) => r.single.find((s) => s.concurrency === c)?.count ?? 0;
  const samples = `c = 1 ${count(1)}, c = ${r.concurrency} ${count(r.concurrency)} per level, list ${r.list.count}, networks ${r.networks.network.count}`;
  return `${run.label}: load average ${run.loadAverageBefore} → ${run.loadAverageAfter}, ${r.durationS} s; samples ${samples}; fill ${r.fill.method === 'api' ? 'through the API' : 'in SQL'}`;
}

/** The Markdown report: context lines, the table with a ratio column per contender, the goals. */
export function formatCompareMarkdown(result: CompareResult, plotFile?: string): string {
  const { rows, verdicts } = compareRows(result);
  const contenders = result.runs.filter((r) => r.role === 'contender');
  const lines = [
    `Command: \`${result.command}\` — ${result.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${result.durationS} s.`,
    `Machine: ${result.machine.cpus} CPUs (${result.machine.cpuModel}), ${result.machine.memoryGb} GiB, Node ${result.machine.node}.`,
    '',
    ...result.runs.map((r) => `- \`${r.name}\`: ${loadLine(r)}`),
    '',
  ];
  const header = ['metric', ...result.runs.map((r) => r.name), ...contenders.map((r) => `${r.name} ×`), 'goal'];
  lines.push(`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const row of rows) {
    const cells = [
      `${row.metric.label} (${row.metric.unit})`,
      ...result.runs.map((r) => number(row.values[r.name] ?? null)),
      ...contenders.map((r) => (row.ratios[r.name] === null ? '–' : `${number(row.ratios[r.name] ?? null)}×`)),
      row.goal ? `≥ ${row.goal.atLeast}×` : '',
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('', '× = times better than Neutron: throughput ÷ Neutron’s, or Neutron’s time, CPU or memory ÷ Alcor’s.', '');
  for (const v of verdicts) {
    const run = result.runs.find((r) => r.name === v.run);
    const verdict = v.pass === null ? 'n/a' : v.pass ? 'pass' : 'MISS';
    lines.push(`- ${verdict}: ${run?.label ?? v.run}, ${v.goal.text}: ${v.ratio === null ? '–' : `${number(v.ratio)}×`}`);
  }
  if (plotFile) lines.push('', `![Alcor against Neutron, times better per metric](${plotFile})`);
  return `${lines.join('\n')}\n`;
}
