/**
 * Starts a real controller API on an ephemeral port over a fresh store, and a tiny JSON client for it.
 * The store is SQLite in memory unless ALCOR_TEST_DATABASE_URL names another (e.g. the PostgreSQL suite).
 */
import type { FastifyInstance } from 'fastify';
import { buildApiServer } from '../../src/api/server.js';
import { compileServerOptions, type ServerConfig, type ServerOptions } from '../../src/config.js';
import { createServices, type Services } from '../../src/services/services.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { createTestSchema, isPostgresUrl } from './postgres.js';

/** A running test controller. */
export interface TestApi {
  url: string;
  app: FastifyInstance;
  store: Store;
  services: Services;
  config: ServerConfig;
  /** Sends a JSON request as the given project (admin unless roles say otherwise). */
  request: (method: string, path: string, options?: RequestOptions) => Promise<ApiResponse>;
  close: () => Promise<void>;
}

/** Per-request options of the test client. */
export interface RequestOptions {
  body?: unknown;
  /** Raw body text (sent as-is, for malformed-input tests). */
  rawBody?: string;
  project?: string;
  roles?: string;
  headers?: Record<string, string>;
}

/** A decoded answer. */
export interface ApiResponse {
  status: number;
  // The body is arbitrary JSON; tests index into it freely.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  headers: Headers;
}

/** A response's status and Neutron error type, the pair error-path assertions compare. */
export function fault(r: ApiResponse): [number, string | undefined] {
  return [r.status, (r.body as { NeutronError?: { type?: string } } | undefined)?.NeutronError?.type];
}

/** Starts a controller with optional configuration overrides. */
export async function startTestApi(overrides: ServerOptions = {}): Promise<TestApi> {
  // On PostgreSQL every instance gets a fresh schema of its own, dropped again by close().
  const baseUrl = process.env.ALCOR_TEST_DATABASE_URL;
  const schema = overrides.databaseUrl === undefined && isPostgresUrl(baseUrl) ? await createTestSchema(baseUrl) : undefined;
  const config = compileServerOptions({
    listen: '127.0.0.1:0',
    databaseUrl: schema?.url ?? baseUrl ?? 'sqlite::memory:',
    logLevel: 'silent',
    ...overrides,
  });
  const store = await openStore(config.database);
  const services = createServices(store, config);
  const app = await buildApiServer({ config, services, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  const request = async (method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
    if (options.project) headers['x-project-id'] = options.project;
    if (options.roles) headers['x-roles'] = options.roles;
    const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const res = await fetch(`${url}${path}`, { method, headers, body });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
  return {
    url,
    app,
    store,
    services,
    config,
    request,
    close: async () => {
      await app.close();
      await store.close();
      await schema?.drop();
    },
  };
}
