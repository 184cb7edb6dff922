/**
 * The agent's instruments (`alcor-agent --metrics-listen`): how long applying a batch takes, installed
 * flows, resyncs (snapshots received), data-plane errors and reconnects. The driver's `apply` is timed by
 * wrapping it; the rest is read from the runtime's and the driver's own counters at scrape time.
 */
import { Gauge, Histogram } from 'prom-client';
import { counterFrom, LiveSet, metricsRegistry } from '../metrics/registry.js';
import type { Driver } from './driver.js';

/** What a scrape reads of a running agent. */
interface WatchedAgent {
  runtime: { readonly counters: { readonly connects: number; readonly snapshots: number; readonly persistFailures: number } };
  driver: Driver;
}

const running = new LiveSet<WatchedAgent>();

const applyDuration = new Histogram({
  name: 'alcor_agent_apply_duration_seconds',
  help: 'Time the data-plane driver took to apply one batch of goal-state changes, by driver and mode (delta or full)',
  labelNames: ['driver', 'mode'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

/** Batches that threw plus resources reported as failed, counted by `timeDriver`. */
let errors = 0;
counterFrom(
  'alcor_agent_driver_errors_total',
  'Data-plane errors: batches the driver failed to apply (retried) plus resources it reported as failed (for ovs: OpenFlow or OVSDB errors)',
  () => errors,
);

new Gauge({
  name: 'alcor_agent_flows_installed',
  help: 'Data-plane entries the driver holds installed (OpenFlow flows for ovs, modelled flows for sim)',
  registers: [metricsRegistry],
  collect() {
    let flows = 0;
    for (const { driver } of running.values()) flows += driver.stats().installedEntries;
    this.set(flows);
  },
});

counterFrom('alcor_agent_resyncs_total', 'Complete goal states (snapshots) received from the controller: first sync, gaps, restarts', () => {
  let n = 0;
  for (const { runtime } of running.values()) n += runtime.counters.snapshots;
  return n;
});

counterFrom('alcor_agent_state_persist_failures_total', 'Writes of the desired state to the state directory that failed (disk full, read-only, permissions); the agent keeps running', () => {
  let n = 0;
  for (const { runtime } of running.values()) n += runtime.counters.persistFailures;
  return n;
});

counterFrom('alcor_agent_reconnects_total', 'Watch streams opened to the controller after the first one', () => {
  let n = 0;
  for (const { runtime } of running.values()) n += Math.max(0, runtime.counters.connects - 1);
  return n;
});

/** Times the driver's `apply` and counts its failures; returns the same driver. */
export function timeDriver<D extends Driver>(driver: D): D {
  const apply = driver.apply.bind(driver);
  driver.apply = async (request) => {
    const end = applyDuration.startTimer({ driver: driver.name, mode: request.mode });
    try {
      const outcomes = await apply(request);
      for (const outcome of outcomes) if (!outcome.ok) errors++;
      return outcomes;
    } catch (err) {
      errors++;
      throw err;
    } finally {
      end();
    }
  };
  return driver;
}

/** Starts reporting an agent's counters; returns the function that stops it. */
export function watchAgent(runtime: WatchedAgent['runtime'], driver: Driver): () => void {
  return running.add({ runtime, driver });
}
