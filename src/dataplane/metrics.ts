/** The data-plane layer's instruments: the compiled outbox head, and how long ports take to become ACTIVE. */
import { Gauge, Histogram } from 'prom-client';
import { LiveSet, metricsRegistry } from '../metrics/registry.js';

/** Data-plane managers running in this process (one per controller; tests may run several). */
export const runningManagers = new LiveSet<{ readonly revision: number }>();

new Gauge({
  name: 'alcor_outbox_head_revision',
  help: 'Newest outbox revision the data-plane manager has compiled into goal states',
  registers: [metricsRegistry],
  collect() {
    let head = 0;
    for (const manager of runningManagers.values()) head = Math.max(head, manager.revision);
    this.set(head);
  },
});

/** Observes one port's programming latency in seconds. */
export const portProgrammingSeconds = new Histogram({
  name: 'alcor_port_programming_seconds',
  help: 'From the compile of a port\'s new state (right after its commit) to the ack that makes it ACTIVE on its host',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [metricsRegistry],
});
