/**
 * The process's one metrics registry. Each layer creates its own instruments on it in its own
 * `metrics.ts` (the API, the store, the data-plane manager, the southbound, the agent), so what a
 * process exposes is whatever layers it runs. Node's default process metrics are collected as well.
 *
 * Instruments that mirror live state (connected hosts, revisions) read it at scrape time from the
 * components registered in a `LiveSet`, so nothing is done per request or per batch to keep them.
 */
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

/** The registry every instrument of this process is created on. */
export const metricsRegistry = new Registry();

// Standard names (process_cpu_seconds_total, nodejs_eventloop_lag_seconds...), as dashboards expect them.
collectDefaultMetrics({ register: metricsRegistry });

/** Components a scrape reads from while they run (added on start, removed on close). */
export class LiveSet<T> {
  private readonly items = new Set<T>();

  /** Adds `item`; returns the function that removes it. */
  add(item: T): () => void {
    this.items.add(item);
    return () => void this.items.delete(item);
  }

  /** The current items. */
  values(): Iterable<T> {
    return this.items.values();
  }
}

/**
 * A counter that follows a monotonic reading kept elsewhere (a component's own `counters` object),
 * taken at scrape time: only the growth since the previous scrape is added, so a reading that starts
 * again from zero (a new component replaced the old one) never makes the counter go down.
 */
export function counterFrom(name: string, help: string, read: () => number): Counter {
  let last = 0;
  return new Counter({
    name,
    help,
    registers: [metricsRegistry],
    collect() {
      const now = read();
      if (now > last) this.inc(now - last);
      last = now;
    },
  });
}
