/**
 * The comparison's plot: per metric, how many times better than Neutron each Alcor run is (log scale),
 * with the goals as ticks and 1× marked. A Vega-Lite spec rendered to SVG by Vega, headlessly (no
 * browser, no canvas).
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { CompareResult } from './compare.js';
import { compareRows } from './compare-report.js';

/** The Vega-Lite specification of the plot (data inline). */
export function comparePlotSpec(result: CompareResult): TopLevelSpec {
  const { rows } = compareRows(result);
  const contenders = result.runs.filter((r) => r.role === 'contender');
  const order = rows.map((r) => r.metric.label);
  const bars = rows.flatMap((row) =>
    contenders.flatMap((run) => {
      const value = row.ratios[run.name];
      return value === null || value === undefined ? [] : [{ metric: row.metric.label, run: run.label, ratio: value, text: `${value >= 100 ? Math.round(value) : value}×` }];
    }),
  );
  const goals = rows.flatMap((row) => (row.goal ? [{ metric: row.metric.label, goal: row.goal.atLeast }] : []));
  const y = { field: 'metric', type: 'nominal' as const, sort: order, title: null };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Alcor against Neutron: times better per metric (log scale)',
      subtitle: `${result.startedAt.slice(0, 10)}, ${result.machine.cpus} CPUs, ${result.stored.toLocaleString('en')} ports stored; ticks = goals, grey line = as good as Neutron`,
    },
    width: 460,
    config: { font: 'sans-serif', view: { stroke: null }, axis: { labelLimit: 0 } },
    layer: [
      {
        data: { values: bars },
        mark: { type: 'bar', height: { band: 0.8 } },
        encoding: {
          y,
          yOffset: { field: 'run', type: 'nominal', sort: contenders.map((r) => r.label) },
          // Bars start at 1× (as good as Neutron): a log scale has no zero.
          x: { field: 'ratio', type: 'quantitative', scale: { type: 'log' }, title: 'times better than Neutron' },
          x2: { datum: 1 },
          color: { field: 'run', type: 'nominal', sort: contenders.map((r) => r.label), title: null, legend: { orient: 'bottom' } },
        },
      },
      {
        data: { values: bars },
        mark: { type: 'text', align: 'left', dx: 3, fontSize: 9 },
        encoding: {
          y,
          yOffset: { field: 'run', type: 'nominal', sort: contenders.map((r) => r.label) },
          x: { field: 'ratio', type: 'quantitative' },
          text: { field: 'text', type: 'nominal' },
        },
      },
      {
        data: { values: goals },
        mark: { type: 'tick', color: 'black', thickness: 2 },
        encoding: { y, x: { field: 'goal', type: 'quantitative' } },
      },
      {
        data: { values: [{ one: 1 }] },
        mark: { type: 'rule', color: '#888', strokeDash: [4, 3] },
        encoding: { x: { field: 'one', type: 'quantitative' } },
      },
    ],
  };
}

/** Renders the plot as an SVG document. */
export async function renderComparePlot(result: CompareResult): Promise<string> {
  const view = new View(parse(compile(comparePlotSpec(result)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
