/**
 * The metrics listener: a plain HTTP server apart from the API (its own address, no authentication,
 * like every Prometheus target) answering `GET /metrics` in the Prometheus text format. Scrapes read
 * instruments that are already up to date, or live state in memory; they never touch the database,
 * so a scrape cannot hold up an API request.
 *
 *   listening ──close()──▶ closed
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metricsRegistry } from './registry.js';

/** A running metrics listener. */
export interface MetricsListener {
  /** `http://host:port` it is bound to. */
  url: string;
  /** Stops listening. */
  close(): Promise<void>;
}

/** Splits `host:port` (IPv6 hosts in brackets); undefined when malformed. */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text.trim());
  const port = Number(m?.[2]);
  if (!m?.[1] || port > 65535) return undefined;
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

/** Serves the process's registry on `host:port` (port 0 picks a free one). */
export async function startMetricsListener(host: string, port: number): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the metrics are at GET /metrics\n');
      return;
    }
    metricsRegistry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
