/** Options of the agent runtime (`AgentOptions`), compiled once with their defaults (`compileAgentOptions`). */
import type { TlsFiles } from '../proto/tls-files.js';
import type { Driver } from './driver.js';
import type { BusLocation } from './bus-connection.js';
import { MQ_CAPABILITY } from './nats-consumer.js';

/** Options of the runtime. */
export interface AgentOptions {
  /**
   * Controller southbound address `host:port`, or several separated by commas (replicas): the agent
   * uses one at a time and moves to the next whenever a stream ends or cannot be opened.
   */
  controller: string;
  hostId: string;
  datapathIp: string;
  /** The host's availability zone, reported to the controller. @default "" (the controller's default zone) */
  availabilityZone?: string;
  driver: Driver;
  /** Bridge mappings `physnet:bridge`, reported to the controller. @default [] */
  bridgeMappings?: string[];
  /** Directory for persisted state. */
  stateDir: string;
  /** @default 10000 */
  heartbeatMs?: number;
  /** @default 100 */
  backoffInitialMs?: number;
  /** @default 5000 */
  backoffMaxMs?: number;
  /** Coalescing delay of state-file writes. @default 1000 */
  persistDebounceMs?: number;
  /** Keep the desired state in `stateDir` (benchmarks with thousands of simulated hosts turn it off). @default true */
  persistState?: boolean;
  /** @default ["sim"] or the driver name */
  capabilities?: string[];
  /** The bus: VPC scopes on the `mq` channel are consumed there (adds the `mq` capability). */
  nats?: BusLocation;
  /** Mutual TLS to the controller: the agent's certificate, key and the CA (the caller watches the files). */
  tls?: TlsFiles;
  /** Dial a gRPC connection of its own (grpc-js shares one per address and process): simulated hosts. @default false */
  privateGrpcConnection?: boolean;
  /** @default no logging */
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

/** The options with every default filled in (`nats`, `tls` and `privateGrpcConnection` stay optional). */
export type CompiledAgentOptions = Required<Omit<AgentOptions, 'nats' | 'privateGrpcConnection' | 'tls'>>;

/** Fills in the defaults; the `mq` capability is added when the agent consumes the bus. */
export function compileAgentOptions(options: AgentOptions): CompiledAgentOptions {
  return {
    heartbeatMs: 10_000,
    backoffInitialMs: 100,
    backoffMaxMs: 5000,
    persistDebounceMs: 1000,
    persistState: true,
    availabilityZone: '',
    bridgeMappings: [],
    log: () => {},
    ...options,
    capabilities: [...(options.capabilities ?? [options.driver.name]), ...(options.nats ? [MQ_CAPABILITY] : [])],
  };
}
