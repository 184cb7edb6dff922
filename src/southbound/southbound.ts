/**
 * Composition of the southbound inside the controller: the data-plane manager, the change feed that
 * wakes it, and the gRPC server. `alcor-server` and the test harness call `startSouthbound`.
 *
 * Waking the manager: with the embedded SQLite engine every write goes through this process, so the
 * store handed to the services is wrapped by `notifyingStore`, which pokes the manager right after each
 * commit (no polling delay). A slow poll of `MAX(revision)` stays on as a safety net for writers outside
 * this process; for PostgreSQL replicas it is where `LISTEN/NOTIFY` plugs in (see docs/southbound.md).
 */
import type { Store } from '../store/store.js';
import { DataPlaneManager, type DataPlaneManagerOptions } from '../dataplane/manager.js';
import { createHostService, type HostService } from '../services/hosts.js';
import type { ChannelPolicy } from '../dataplane/channels.js';
import { NatsBus, type NatsBusOptions } from './nats-bus.js';
import { SouthboundServer, type SouthboundServerOptions } from './grpc-server.js';
import { RecentEvents, silentLogger, type SouthboundLogger } from './log.js';
import { runningManagers } from '../dataplane/metrics.js';
import { watchSouthbound } from './metrics.js';

/** Options of the whole southbound. */
export interface SouthboundOptions extends SouthboundServerOptions, Omit<DataPlaneManagerOptions, 'store' | 'onError' | 'channels'> {
  /** The NATS JetStream bus; without it every VPC scope travels on gRPC. */
  nats?: NatsBusOptions;
  /** How long start-up waits for the bus before serving gRPC without it. @default 5000 */
  busConnectWaitMs?: number;
  /** Channel mode and thresholds (used only with a bus). @default auto, 1000 / 100 ports */
  channels?: Omit<ChannelPolicy, 'bus'>;
  /** Safety-net poll of the outbox. @default 500 */
  pollIntervalMs?: number;
  /** @default silent */
  log?: SouthboundLogger;
  /**
   * This controller is the only one on the store, so hosts still marked connected at start-up belong to a
   * previous run of it. @default true for SQLite, false for PostgreSQL (replicas share the registry)
   */
  exclusive?: boolean;
}

/** A store that can announce commits of other processes (PostgreSQL LISTEN/NOTIFY, see store/postgres.ts). */
interface AnnouncingStore extends Store {
  onChanges(listener: () => void): Promise<() => void>;
}

function announces(store: Store): store is AnnouncingStore {
  return typeof (store as Partial<AnnouncingStore>).onChanges === 'function';
}

/** A running southbound. */
export interface Southbound {
  manager: DataPlaneManager;
  server: SouthboundServer;
  hosts: HostService;
  /** The bus, when one is configured. */
  bus: NatsBus | undefined;
  /** Port the gRPC server is bound to. */
  port: number;
  /** Its last warnings and errors. */
  events: RecentEvents;
  /** Tells the manager something committed; resolves when it has compiled and published it. */
  notify(): Promise<void>;
  close(): Promise<void>;
}

/** Wraps a store so every successful write transaction calls `onCommit` after it committed. */
export function notifyingStore(store: Store, onCommit: () => void): Store {
  return {
    engine: store.engine,
    async write(fn) {
      const result = await store.write(fn);
      onCommit();
      return result;
    },
    read: (fn) => store.read(fn),
    close: () => store.close(),
  };
}

/**
 * Lets the API see the bus: `/readyz` checks it (`bus`), and GET /v2.0/agents shows each host's VPC
 * revisions acked on it. No-op without a bus.
 */
export function exposeBus(southbound: Southbound, services: { health: { addCheck(name: string, check: () => Promise<void>): void }; hosts: HostService }): void {
  const bus = southbound.bus;
  if (!bus) return;
  services.health.addCheck('bus', () => bus.check());
  services.hosts.setLiveConfiguration((host) => bus.configurationOf(host));
}

/** Compiles the current goal states, starts the outbox tail and the gRPC server. */
export async function startSouthbound(store: Store, options: SouthboundOptions = {}): Promise<Southbound> {
  const events = new RecentEvents();
  const log = events.tee(options.log ?? silentLogger);
  const manager = new DataPlaneManager(store, {
    ...(options.logLimits ? { logLimits: options.logLimits } : {}),
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    ...(options.snapshotChunkStates ? { snapshotChunkStates: options.snapshotChunkStates } : {}),
    onError: (err, what) => log.error({ err }, `dataplane: ${what}`),
    channels: { mode: 'auto', upperPorts: 1000, lowerPorts: 100, ...options.channels, bus: options.nats !== undefined },
  });
  const hosts = createHostService(store);
  const exclusive = options.exclusive ?? store.engine === 'sqlite';
  // Hosts whose stream no live controller holds: all of them for an exclusive controller, otherwise those
  // whose heartbeats stopped (their replica died).
  await hosts.disconnectStale(new Date(exclusive ? Date.now() + 1000 : Date.now() - 3 * (options.idleTimeoutMs ?? 45_000)));
  await manager.start();
  const bus = options.nats ? new NatsBus(manager, log, options.nats) : undefined;
  // Usually connected at once; an unreachable bus is logged and retried while gRPC serves.
  if (bus && !(await bus.connected(options.busConnectWaitMs ?? 5000))) log.warn({ url: options.nats?.url }, 'nats bus unreachable at start-up; serving gRPC, retrying');
  const stopListening = announces(store) ? await store.onChanges(() => void manager.poll()) : undefined;
  const server = new SouthboundServer(manager, hosts, log, options);
  try {
    await server.start();
  } catch (err) {
    await bus?.close();
    throw err;
  }
  const timer = setInterval(() => void manager.poll(), options.pollIntervalMs ?? 500);
  timer.unref();
  const unwatch = [runningManagers.add(manager), watchSouthbound(server, bus !== undefined)];
  return {
    manager,
    server,
    hosts,
    bus,
    port: server.port,
    events,
    notify: () => manager.poll(),
    async close() {
      clearInterval(timer);
      for (const stop of unwatch) stop();
      stopListening?.();
      await server.close();
      await bus?.close();
      await manager.close();
    },
  };
}
