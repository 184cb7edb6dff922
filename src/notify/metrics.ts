/**
 * The Nova notifier's instruments, read at scrape time from the running senders: events waiting in the
 * queue (as the last claim saw them), events delivered and dropped, requests and retries.
 */
import { Gauge } from 'prom-client';
import { counterFrom, LiveSet, metricsRegistry } from '../metrics/registry.js';

/** What a sender exposes to a scrape. */
export interface SenderReading {
  readonly counters: { readonly requests: number; readonly delivered: number; readonly dropped: number; readonly retries: number };
  /** Events in the queue, of every replica, when this sender last looked. */
  readonly queued: number;
}

/** Senders running in this process. */
export const runningSenders = new LiveSet<SenderReading>();

function sum(read: (s: SenderReading) => number): number {
  let total = 0;
  for (const sender of runningSenders.values()) total += read(sender);
  return total;
}

new Gauge({
  name: 'alcor_nova_events_queued',
  help: 'Events to Nova waiting in the queue (all replicas), as this replica last saw it',
  registers: [metricsRegistry],
  collect() {
    let queued = 0;
    for (const sender of runningSenders.values()) queued = Math.max(queued, sender.queued);
    this.set(queued);
  },
});
counterFrom('alcor_nova_events_delivered_total', 'Events Nova accepted', () => sum((s) => s.counters.delivered));
counterFrom('alcor_nova_events_dropped_total', 'Events Nova refused (unknown instance, bad batch) and dropped', () => sum((s) => s.counters.dropped));
counterFrom('alcor_nova_requests_total', 'Requests to os-server-external-events', () => sum((s) => s.counters.requests));
counterFrom('alcor_nova_request_retries_total', 'Requests that failed (Nova down, 5xx, garbage) and are retried with backoff', () => sum((s) => s.counters.retries));
