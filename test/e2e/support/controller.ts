/**
 * A real controller for the end-to-end suites, in this process: SQLite store, Neutron API on an
 * ephemeral port, southbound gRPC on an ephemeral port (the agents dial it), wired like alcor-server.
 */
import type { FastifyInstance } from 'fastify';
import { buildApiServer } from '../../../src/api/server.js';
import { compileServerOptions } from '../../../src/config.js';
import { createServices } from '../../../src/services/services.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/store.js';
import { createOperatorView } from '../../../src/southbound/operator-view.js';
import { notifyingStore, startSouthbound, type Southbound } from '../../../src/southbound/southbound.js';

/** A running controller. */
export interface E2eController {
  app: FastifyInstance;
  store: Store;
  southbound: Southbound;
  /** `host:port` agents dial. */
  southboundAddress: string;
  /** JSON request as a project (admin role). Throws on a non-2xx answer unless `expect` says otherwise. */
  request: (method: string, path: string, body?: unknown, options?: { project?: string; expect?: number }) => Promise<any>;
  /** Host names whose agent is connected. */
  connectedHosts: () => Promise<string[]>;
  close: () => Promise<void>;
}

/** Starts a controller with a fresh in-memory database. */
export async function startE2eController(): Promise<E2eController> {
  const config = compileServerOptions({ listen: '127.0.0.1:0', databaseUrl: 'sqlite::memory:', logLevel: 'silent' });
  const store = await openStore(config.database);
  const southbound = await startSouthbound(store, { listen: '127.0.0.1:0' });
  const services = createServices(notifyingStore(store, () => void southbound.notify()), config);
  const app = await buildApiServer({ config, services, logger: false, operator: createOperatorView(store, southbound, 'e2e') });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const request = async (method: string, path: string, body?: unknown, options: { project?: string; expect?: number } = {}) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-project-id': options.project ?? 'project-e2e', 'x-roles': 'admin,member' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : undefined;
    const ok = options.expect !== undefined ? res.status === options.expect : res.status >= 200 && res.status < 300;
    if (!ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
    return parsed;
  };
  return {
    app,
    store,
    southbound,
    southboundAddress: `127.0.0.1:${southbound.port}`,
    request,
    connectedHosts: async () =>
      (await store.read((q) => q.all<{ host: string }>('SELECT host FROM hosts WHERE connected = 1'))).map((r) => r.host),
    async close() {
      await app.close();
      await southbound.close();
      await store.close();
    },
  };
}
