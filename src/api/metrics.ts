/** The API layer's instruments: how long each request took, by route template, method and status. */
import type { FastifyInstance } from 'fastify';
import { Histogram } from 'prom-client';
import { metricsRegistry } from '../metrics/registry.js';

const requestDuration = new Histogram({
  name: 'alcor_http_request_duration_seconds',
  help: 'Neutron API requests from arrival to the last byte of the response, by route template, method and status code',
  labelNames: ['route', 'method', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

/**
 * Observes every response of `app`. The route label is the matched template (`/v2.0/ports/:id`), never the
 * raw URL, so ids and query strings cannot multiply the series; requests matching no route share one label.
 */
export function recordRequestDurations(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const labels = { route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.statusCode) };
    requestDuration.observe(labels, reply.elapsedTime / 1000);
  });
}
