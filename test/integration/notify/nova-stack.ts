// Test responses are arbitrary JSON.
/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * A controller as alcor-server composes it with events to Nova: the Neutron API, the southbound (data-plane
 * manager + gRPC) and the Nova notifier over one store, the notifier hooked into port status writes and
 * poked after every API commit. SQLite in memory unless `databaseUrl` names a file or PostgreSQL schema.
 */
import { buildApiServer } from '../../../src/api/server.js';
import { compileServerOptions, type ServerOptions } from '../../../src/config.js';
import { novaNotifierFor, type NovaNotifier } from '../../../src/notify/nova-notifier.js';
import { createServices } from '../../../src/services/services.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/store.js';
import { notifyingStore, startSouthbound, type Southbound } from '../../../src/southbound/southbound.js';
import { PostgresStore } from '../../../src/store/postgres.js';

/** A running controller with events to Nova. */
export interface NovaStack {
  store: Store;
  southbound: Southbound;
  notifier: NovaNotifier;
  /** `127.0.0.1:<port>` of the southbound, for agents. */
  address: string;
  /** Base URL of the API. */
  url: string;
  request: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** Test-only knobs of the stack. */
export interface NovaStackOptions extends ServerOptions {
  novaUrl: string;
  /** X-Auth-Token of the stack's API requests (keystone mode). */
  apiToken?: string;
}

/** Starts a controller whose events go to `options.novaUrl`. */
export async function startNovaStack({ apiToken, ...options }: NovaStackOptions): Promise<NovaStack> {
  const config = compileServerOptions({ listen: '127.0.0.1:0', databaseUrl: 'sqlite::memory:', logLevel: 'silent', novaEventIntervalMs: 20, ...options });
  const store = await openStore(config.database);
  const southbound = await startSouthbound(store, { listen: '127.0.0.1:0' });
  const notifier = novaNotifierFor(store, config, { exclusive: store.engine === 'sqlite', backoffInitialMs: 50, backoffMaxMs: 500 });
  if (!notifier) throw new Error('events to Nova are off: novaUrl missing');
  southbound.manager.portStatus.addWriteHook(notifier.statusHook);
  await notifier.start();
  const committed = () => {
    void southbound.notify();
    void notifier.poke();
  };
  const services = createServices(notifyingStore(store, committed), config);
  if (store instanceof PostgresStore) await store.onChanges(committed);
  const app = await buildApiServer({ config, services, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    store,
    southbound,
    notifier,
    address: `127.0.0.1:${southbound.port}`,
    url,
    async request(method, path, body) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...(apiToken ? { 'x-auth-token': apiToken } : {}) };
      const res = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async close() {
      await app.close();
      await notifier.close();
      await southbound.close();
      await store.close();
    },
  };
}

/** A network with one subnet; returns the network id. */
export async function networkWithSubnet(stack: NovaStack, cidr = '10.60.0.0/24'): Promise<string> {
  const net = (await stack.request('POST', '/v2.0/networks', { network: { name: 'n' } })).body.network;
  await stack.request('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr, ip_version: 4 } });
  return net.id as string;
}

/** Nova's boot calls: create the port for the server, then bind it to `host` as compute:nova. Returns the port. */
export async function bootPort(stack: NovaStack, networkId: string, server: string, host: string): Promise<any> {
  const created = await stack.request('POST', '/v2.0/ports', { port: { device_id: server, network_id: networkId, admin_state_up: true } });
  if (created.status !== 201) throw new Error(`port create: ${created.status} ${JSON.stringify(created.body)}`);
  const bound = await stack.request('PUT', `/v2.0/ports/${created.body.port.id}`, {
    port: { device_id: server, device_owner: 'compute:nova', 'binding:host_id': host },
  });
  if (bound.status !== 200) throw new Error(`port bind: ${bound.status} ${JSON.stringify(bound.body)}`);
  return bound.body.port;
}
