// Test responses are arbitrary JSON.
/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Southbound test harness: a real controller southbound (SQLite store, data-plane manager, gRPC server
 * on an ephemeral port) and real agents (sim driver, gRPC client) in this process, plus fixtures that
 * write resources the way the API services do (rows + outbox record in one transaction).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { AgentRuntime } from '../../../src/agent/runtime.js';
import { agentStates, type AgentWorker } from '../../../src/bench/agent-workers.js';
import type { BusLocation } from '../../../src/agent/bus-connection.js';
import type { TlsFiles } from '../../../src/proto/tls-files.js';
import { SimDriver } from '../../../src/agent/drivers/sim.js';
import { openStore } from '../../../src/store/open-store.js';
import { appendChange } from '../../../src/store/outbox.js';
import type { Store } from '../../../src/store/store.js';
import { waitFor } from '../../harness/wait-for.js';
import { notifyingStore, startSouthbound, type Southbound, type SouthboundOptions } from '../../../src/southbound/southbound.js';
import type { ServerOptions } from '../../../src/config.js';

/** A temporary directory removed by `cleanup`. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `alcor-${prefix}-`));
}

/** A running controller southbound. */
export interface TestController {
  store: Store;
  /** The store the "API" writes through (notifies the manager after each commit). */
  api: Store;
  southbound: Southbound;
  address: string;
  close(): Promise<void>;
}

/** Starts a controller southbound over a store (a fresh in-memory one unless `path` names a file). */
export async function startController(options: SouthboundOptions & { path?: string } = {}): Promise<TestController> {
  const store = await openStore({ engine: 'sqlite', path: options.path ?? ':memory:' });
  const southbound = await startSouthbound(store, { listen: '127.0.0.1:0', ...options });
  const api = notifyingStore(store, () => void southbound.notify());
  return {
    store,
    api,
    southbound,
    address: `127.0.0.1:${southbound.port}`,
    async close() {
      await southbound.close();
      await store.close();
    },
  };
}

/** A test agent with its sim driver. */
export interface TestAgent {
  agent: AgentRuntime;
  driver: SimDriver;
  stateDir: string;
}

/** Starts an agent for `hostId` against `address`. */
export async function startAgent(
  address: string,
  hostId: string,
  options: { stateDir?: string; datapathIp?: string; availabilityZone?: string; driverOptions?: Record<string, string>; nats?: BusLocation; tls?: TlsFiles } = {},
): Promise<TestAgent> {
  const stateDir = options.stateDir ?? tempDir(`agent-${hostId}`);
  const datapathIp = options.datapathIp ?? '192.0.2.1';
  const driver = new SimDriver({ hostId, datapathIp, stateDir, options: options.driverOptions ?? {}, log: () => {} });
  const agent = await AgentRuntime.create({
    controller: address,
    hostId,
    datapathIp,
    driver,
    stateDir,
    heartbeatMs: 1000,
    backoffInitialMs: 50,
    backoffMaxMs: 500,
    persistDebounceMs: 20,
    ...(options.availabilityZone ? { availabilityZone: options.availabilityZone } : {}),
    ...(options.nats ? { nats: options.nats } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
  });
  agent.start();
  return { agent, driver, stateDir };
}

/** Settles `p` or gives up after `ms` (cleanup must never hang a test file). */
function bounded(p: Promise<unknown>, ms = 10_000): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p.catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]).finally(() => clearTimeout(timer));
}

/** Closes agents and controllers, ignoring errors, and removes temp dirs. */
export async function cleanup(items: { agents?: TestAgent[]; controllers?: TestController[]; dirs?: string[]; closers?: (() => void)[] }): Promise<void> {
  for (const close of items.closers ?? []) {
    try {
      close();
    } catch {
      // Already closed.
    }
  }
  for (const a of items.agents ?? []) await bounded(a.agent.close());
  for (const c of items.controllers ?? []) await bounded(c.close());
  for (const a of items.agents ?? []) rmSync(a.stateDir, { recursive: true, force: true });
  for (const d of items.dirs ?? []) rmSync(d, { recursive: true, force: true });
}

/** Starts controllers and agents for one test and closes them all when it ends. */
export interface SouthboundFixture {
  controller(options?: SouthboundOptions & { path?: string }): Promise<TestController>;
  /** A controller with the Neutron API too (see startStack). */
  stack(options?: SouthboundOptions, server?: Partial<ServerOptions>): Promise<TestStack>;
  agent(address: string, hostId: string, options?: Parameters<typeof startAgent>[2]): Promise<TestAgent>;
  /** A temporary directory removed at the end. */
  dir(prefix: string): string;
  /** Runs `close` at the end (e.g. a raw gRPC client). */
  defer(close: () => void): void;
}

/** Runs `body` with a fixture; whatever it started is closed afterwards, even when it throws. */
export async function withSouthbound(body: (f: SouthboundFixture) => Promise<void>): Promise<void> {
  const items = { agents: [] as TestAgent[], controllers: [] as TestController[], dirs: [] as string[], closers: [] as (() => void)[] };
  try {
    await body({
      async controller(options) {
        const c = await startController(options);
        items.controllers.push(c);
        return c;
      },
      async stack(options, server) {
        const s = await startStack(options, server);
        items.controllers.push(s);
        return s;
      },
      async agent(address, hostId, options) {
        const a = await startAgent(address, hostId, options);
        items.agents.push(a);
        return a;
      },
      dir(prefix) {
        const d = tempDir(prefix);
        items.dirs.push(d);
        return d;
      },
      defer(close) {
        items.closers.push(close);
      },
    });
  } finally {
    await cleanup(items);
  }
}

const now = () => new Date().toISOString();
let vni = 1000;
let macSeq = 1;

/** Creates a network (VPC); returns its id. */
export async function createNetwork(store: Store, id = randomUUID()): Promise<string> {
  await store.write(async (tx) => {
    await tx.run(
      `INSERT INTO networks (id, project_id, name, description, admin_state_up, shared, router_external, mtu, port_security_enabled,
        network_type, physical_network, segmentation_id, status, revision_number, created_at, updated_at)
        VALUES (?, 'p1', 'n', '', 1, 0, 0, 1450, 1, 'vxlan', '', ?, 'ACTIVE', 1, ?, ?)`,
      [id, vni++, now(), now()],
    );
    await appendChange(tx, 'network', id, 'create');
  });
  return id;
}

/** Creates a subnet; returns its id. */
export async function createSubnet(store: Store, networkId: string, cidr: string, id = randomUUID()): Promise<string> {
  await store.write(async (tx) => {
    await tx.run(
      `INSERT INTO subnets (id, project_id, network_id, name, description, ip_version, cidr, gateway_ip, enable_dhcp, allocation_pools,
        dns_nameservers, host_routes, revision_number, created_at, updated_at)
        VALUES (?, 'p1', ?, 's', '', 4, ?, ?, 1, '[]', '[]', '[]', 1, ?, ?)`,
      [id, networkId, cidr, cidr.replace(/\d+\/\d+$/, '1'), now(), now()],
    );
    await appendChange(tx, 'subnet', id, 'create');
  });
  return id;
}

/** Sets a subnet's host routes. */
export async function setHostRoutes(store: Store, subnetId: string, routes: { destination: string; nexthop: string }[]): Promise<void> {
  await store.write(async (tx) => {
    await tx.run('UPDATE subnets SET host_routes = ? WHERE id = ?', [JSON.stringify(routes), subnetId]);
    await appendChange(tx, 'subnet', subnetId, 'update');
  });
}

/** Creates a port with one fixed IP, bound to `host` ('' = unbound); returns its id. */
export async function createPort(
  store: Store,
  p: { networkId: string; subnetId: string; ip: string; host: string; deviceId?: string; id?: string },
): Promise<string> {
  const id = p.id ?? randomUUID();
  const seq = macSeq++;
  const mac = `fa:16:3e:${((seq >> 16) & 255).toString(16).padStart(2, '0')}:${((seq >> 8) & 255).toString(16).padStart(2, '0')}:${(seq & 255).toString(16).padStart(2, '0')}`;
  await store.write(async (tx) => {
    await tx.run(
      `INSERT INTO ports (id, project_id, network_id, name, description, mac_address, admin_state_up, status, device_id, device_owner,
        port_security_enabled, binding_host_id, binding_vnic_type, binding_vif_type, binding_profile, allowed_address_pairs,
        extra_dhcp_opts, revision_number, created_at, updated_at)
        VALUES (?, 'p1', ?, '', '', ?, 1, 'DOWN', ?, 'compute:nova', 1, ?, 'normal', 'ovs', '{}', '[]', '[]', 1, ?, ?)`,
      [id, p.networkId, mac, p.deviceId ?? 'vm', p.host, now(), now()],
    );
    await tx.run('INSERT INTO ip_allocations (subnet_id, ip_address, port_id, network_id, position) VALUES (?, ?, ?, ?, 0)', [
      p.subnetId,
      p.ip,
      id,
      p.networkId,
    ]);
    await appendChange(tx, 'port', id, 'create');
  });
  return id;
}

/** Rebinds a port (`''` unbinds). */
export async function bindPort(store: Store, portId: string, host: string): Promise<void> {
  await store.write(async (tx) => {
    await tx.run('UPDATE ports SET binding_host_id = ? WHERE id = ?', [host, portId]);
    await appendChange(tx, 'port', portId, 'update');
  });
}

/** Deletes a port. */
export async function deletePort(store: Store, portId: string): Promise<void> {
  await store.write(async (tx) => {
    await tx.run('DELETE FROM ports WHERE id = ?', [portId]);
    await appendChange(tx, 'port', portId, 'delete');
  });
}

/** Status column of a port. */
export async function portStatus(store: Store, portId: string): Promise<string | undefined> {
  return (await store.read((q) => q.get<{ status: string }>('SELECT status FROM ports WHERE id = ?', [portId])))?.status;
}

/** Current outbox revision. */
export async function currentRevision(store: Store): Promise<number> {
  return Number((await store.read((q) => q.get<{ r: number | null }>('SELECT MAX(revision) AS r FROM changes')))?.r ?? 0);
}

/** A controller with the Neutron API and the southbound sharing one store, as alcor-server runs them. */
export interface TestStack extends TestController {
  /** Base URL of the API (without /v2.0). */
  url: string;
  request: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;
}

/** Starts API + southbound over a fresh in-memory store; `server` adds API settings (e.g. Keystone). */
export async function startStack(options: SouthboundOptions = {}, server: Partial<ServerOptions> = {}): Promise<TestStack> {
  const { buildApiServer } = await import('../../../src/api/server.js');
  const { compileServerOptions } = await import('../../../src/config.js');
  const { createServices } = await import('../../../src/services/services.js');
  const controller = await startController(options);
  const config = compileServerOptions({ listen: '127.0.0.1:0', databaseUrl: 'sqlite::memory:', logLevel: 'silent', ...server });
  const { exposeBus } = await import('../../../src/southbound/southbound.js');
  const services = createServices(controller.api, config);
  exposeBus(controller.southbound, services);
  const { createOperatorView } = await import('../../../src/southbound/operator-view.js');
  const app = await buildApiServer({ config, services, logger: false, operator: createOperatorView(controller.store, controller.southbound, 'test') });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    ...controller,
    url,
    async request(method, path, body) {
      const res = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async close() {
      await app.close();
      await controller.close();
    },
  };
}

/** The raw states a host must hold now according to the controller (its snapshot), as sorted hex. */
export function expectedStates(c: TestController, host: string): string[] {
  const m = c.southbound.manager;
  const out: string[] = [];
  for (const e of m.scopes.get(`host/${host}`)?.entries.values() ?? []) out.push(Buffer.from(e.bytes).toString('hex'));
  for (const vpc of m.hostVpcs.get(host) ?? []) for (const e of m.scopes.get(`vpc/${vpc}`)?.entries.values() ?? []) out.push(Buffer.from(e.bytes).toString('hex'));
  return out.sort();
}

/** The raw states an agent holds, as sorted hex. */
export function heldStates(a: TestAgent): string[] {
  return [...a.agent.desired.rawStates()].map((b) => Buffer.from(b).toString('hex')).sort();
}

/** Waits until every agent holds exactly its snapshot. */
export async function converged(c: TestController, agents: readonly TestAgent[], hosts: readonly string[], ms = 30_000): Promise<void> {
  await c.southbound.notify();
  await c.southbound.bus?.idle();
  for (const [i, a] of agents.entries()) {
    const host = hosts[i] as string;
    await waitFor(() => heldStates(a).join() === expectedStates(c, host).join(), ms, `${host} holds its snapshot`);
  }
}

/** Hosts of a worker process whose state differs from what the controller would send them in a snapshot. */
export async function workerHostsBehind(c: TestController, worker: AgentWorker, hosts: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const host of hosts) {
    const want = createHash('sha256').update(expectedStates(c, host).join()).digest('hex');
    if ((await agentStates(worker, host)).digest !== want) out.push(host);
  }
  return out;
}
