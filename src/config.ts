/**
 * Controller configuration: one `ServerOptions` from flags and environment, compiled once at start-up
 * into a fully populated `ServerConfig`. Invalid values throw `ConfigError` with a message naming the
 * setting, and the CLI exits non-zero with it.
 */
import { isQuotaResource, NEUTRON_DEFAULT_QUOTAS, QUOTA_RESOURCES, type QuotaLimits } from './domain/quota.js';

/** What an operator may set. Every field is optional; defaults are documented per field. */
export interface ServerOptions {
  /** `host:port` of the Neutron API. @default "127.0.0.1:9696" (env ALCOR_LISTEN) */
  listen?: string;
  /** `host:port` of the Prometheus metrics listener (`GET /metrics`, unauthenticated; keep it on a private address); `off` turns it off. @default "127.0.0.1:9697" (env ALCOR_METRICS_LISTEN) */
  metricsListen?: string;
  /** `sqlite:<path>`, `sqlite::memory:` or `postgres://...`. @default "sqlite:./data/alcor.db" (env ALCOR_DATABASE_URL) */
  databaseUrl?: string;
  /** Apply pending schema migrations at start; `false` refuses to start until `alcor db upgrade` applied them. @default true (env ALCOR_AUTO_MIGRATE) */
  autoMigrate?: string | boolean;
  /** `noauth` or `keystone`. @default "noauth" (env ALCOR_AUTH) */
  auth?: string;
  /** Project of noauth requests that carry no X-Project-Id (they run as admin, like Neutron's noauth). @default "admin" (env ALCOR_NOAUTH_PROJECT) */
  noauthProject?: string;
  /** VXLAN VNI range `min:max`. @default "1:16777215" (env ALCOR_VXLAN_RANGE) */
  vxlanRange?: string;
  /** VLAN ranges `physnet:min:max[,physnet:min:max]`. @default "physnet1:1:4094" (env ALCOR_VLAN_RANGES) */
  vlanRanges?: string;
  /** Physical networks usable by flat networks, comma separated. @default "physnet1,physnet-ext" (env ALCOR_FLAT_NETWORKS) */
  flatNetworks?: string;
  /** Base MAC: the first three octets are kept, the rest are random. @default "fa:16:3e:00:00:00" (env ALCOR_MAC_BASE) */
  macBase?: string;
  /** MTU of the underlay; VXLAN networks get it minus 50. @default 1500 (env ALCOR_GLOBAL_MTU) */
  globalMtu?: string | number;
  /** Largest accepted request body in bytes. @default 1048576 (env ALCOR_MAX_BODY_BYTES) */
  maxBodyBytes?: string | number;
  /** pino log level. @default "info" (env ALCOR_LOG_LEVEL) */
  logLevel?: string;
  /** Default quota limits overriding Neutron's, `resource=N` comma separated (-1 = unlimited), e.g. "network=10,port=-1". @default "" (env ALCOR_QUOTA_DEFAULTS) */
  quotaDefaults?: string;
  /** Keystone v3 base URL (required with auth=keystone), e.g. http://keystone:5000. (env ALCOR_KEYSTONE_URL) */
  keystoneUrl?: string;
  /** Service user that validates tokens. @default "neutron" (env ALCOR_KEYSTONE_USERNAME) */
  keystoneUsername?: string;
  /** Service user's password (required with auth=keystone). (env ALCOR_KEYSTONE_PASSWORD) */
  keystonePassword?: string;
  /** Project of the service user. @default "service" (env ALCOR_KEYSTONE_PROJECT) */
  keystoneProject?: string;
  /** Domain of the service user and its project. @default "Default" (env ALCOR_KEYSTONE_DOMAIN) */
  keystoneDomain?: string;
  /** Longest time a validated token is cached (never beyond its expiry). @default 300 (env ALCOR_KEYSTONE_CACHE_SECONDS) */
  keystoneCacheSeconds?: string | number;
  /** NATS JetStream URL(s) of the southbound bus, e.g. nats://127.0.0.1:4222; unset = gRPC only, no external service. (env ALCOR_NATS_URL) */
  natsUrl?: string;
  /** `host:port` of the southbound gRPC server; an address other than loopback needs TLS or ALCOR_SOUTHBOUND_INSECURE. @default "127.0.0.1:9016" (env ALCOR_SOUTHBOUND_LISTEN) */
  southboundListen?: string;
  /** CA certificate that signs agent certificates: with the two below, the southbound is mutual TLS and each agent's host id is its certificate's CN or DNS name. (env ALCOR_SOUTHBOUND_TLS_CA) */
  southboundTlsCa?: string;
  /** The controller's certificate (also its NATS client certificate with a tls:// ALCOR_NATS_URL); re-read when it changes or on SIGHUP. (env ALCOR_SOUTHBOUND_TLS_CERT) */
  southboundTlsCert?: string;
  /** The key of ALCOR_SOUTHBOUND_TLS_CERT. (env ALCOR_SOUTHBOUND_TLS_KEY) */
  southboundTlsKey?: string;
  /** `true` lets the southbound listen without TLS on an address other than loopback (anyone reaching it can act as any host). @default "false" (env ALCOR_SOUTHBOUND_INSECURE) */
  southboundInsecure?: string;
  /** Southbound streams open at once; more are refused. @default 20000 (env ALCOR_SOUTHBOUND_MAX_SESSIONS) */
  southboundMaxSessions?: string | number;
  /** Channel of VPC scopes without a per-network override: grpc, mq or auto (by VPC size). Needs ALCOR_NATS_URL for mq. @default "auto" (env ALCOR_SOUTHBOUND_CHANNEL) */
  southboundChannel?: string;
  /** auto: a VPC with more bound ports than this moves to the bus. @default 1000 (env ALCOR_MQ_UPPER_PORTS) */
  mqUpperPorts?: string | number;
  /** auto: a VPC on the bus with fewer bound ports than this moves back to gRPC. @default 100 (env ALCOR_MQ_LOWER_PORTS) */
  mqLowerPorts?: string | number;
  /** Messages the bus stream keeps per VPC subject (an agent further behind re-fetches over gRPC). @default 10000 (env ALCOR_NATS_MAX_PER_SUBJECT) */
  natsMaxPerSubject?: string | number;
  /** Oldest message the bus stream keeps, in seconds. @default 86400 (env ALCOR_NATS_MAX_AGE_SECONDS) */
  natsMaxAgeSeconds?: string | number;
  /** Nova's compute endpoint for instance events, e.g. http://nova:8774/v2.1, or `catalog` (auth=keystone) to take it from the Keystone catalog; unset = no events to Nova. (env ALCOR_NOVA_URL) */
  novaUrl?: string;
  /** Longest wait, in ms, that gathers events to Nova into one request. @default 200 (env ALCOR_NOVA_EVENT_INTERVAL_MS) */
  novaEventIntervalMs?: string | number;
  /** Timeout of one request to Nova in ms; a replica's claim on a batch lasts twice this. @default 30000 (env ALCOR_NOVA_TIMEOUT_MS) */
  novaTimeoutMs?: string | number;
  /** Keystone catalog region of Nova's endpoint with ALCOR_NOVA_URL=catalog; "" = any. @default "" (env ALCOR_NOVA_REGION) */
  novaRegion?: string;
  /** Keystone catalog interface of Nova's endpoint with ALCOR_NOVA_URL=catalog: public, internal or admin. @default "public" (env ALCOR_NOVA_INTERFACE) */
  novaInterface?: string;
}

/** Inclusive id range. */
export interface IdRange {
  min: number;
  max: number;
}

/** The compiled configuration: every field set and validated. */
export interface ServerConfig {
  listenHost: string;
  listenPort: number;
  /** Metrics listener; undefined when turned off. */
  metrics: { host: string; port: number } | undefined;
  database: { engine: 'sqlite'; path: string } | { engine: 'postgres'; url: string };
  autoMigrate: boolean;
  auth: 'noauth' | 'keystone';
  noauthProject: string;
  vxlanRange: IdRange;
  vlanRanges: Map<string, IdRange>;
  flatNetworks: Set<string>;
  macPrefix: [number, number, number];
  globalMtu: number;
  maxBodyBytes: number;
  logLevel: string;
  /** Default quota limits (Neutron's defaults overridden by ALCOR_QUOTA_DEFAULTS). */
  quotaDefaults: QuotaLimits;
  /** Keystone settings; used when auth is keystone. */
  keystone: KeystoneConfig;
  /** Southbound bus and channel selection. */
  southbound: SouthboundConfig;
  /** Events to Nova. */
  nova: NovaConfig;
}

/** Compiled settings of the events to Nova. */
export interface NovaConfig {
  /** False: no events are derived or sent. */
  enabled: boolean;
  /** Nova's endpoint without a trailing slash; undefined = from the Keystone catalog. */
  url: string | undefined;
  intervalMs: number;
  timeoutMs: number;
  region: string;
  interface: 'public' | 'internal' | 'admin';
}

/** Compiled southbound settings. */
export interface SouthboundConfig {
  /** gRPC listen address. */
  listen: string;
  /** Mutual TLS files (gRPC, and NATS with a tls:// URL); undefined = plaintext. */
  tls: { ca: string; cert: string; key: string } | undefined;
  /** Plaintext allowed on an address other than loopback. */
  insecure: boolean;
  maxSessions: number;
  /** Empty: no bus, every VPC scope on gRPC. */
  natsUrl: string;
  channel: 'grpc' | 'mq' | 'auto';
  upperPorts: number;
  lowerPorts: number;
  maxPerSubject: number;
  maxAgeSeconds: number;
}

/** Compiled Keystone settings. */
export interface KeystoneConfig {
  url: string;
  username: string;
  password: string;
  project: string;
  domain: string;
  cacheSeconds: number;
}

/** A configuration value is invalid. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const ENV: Record<keyof ServerOptions, string> = {
  listen: 'ALCOR_LISTEN',
  metricsListen: 'ALCOR_METRICS_LISTEN',
  databaseUrl: 'ALCOR_DATABASE_URL',
  autoMigrate: 'ALCOR_AUTO_MIGRATE',
  auth: 'ALCOR_AUTH',
  noauthProject: 'ALCOR_NOAUTH_PROJECT',
  vxlanRange: 'ALCOR_VXLAN_RANGE',
  vlanRanges: 'ALCOR_VLAN_RANGES',
  flatNetworks: 'ALCOR_FLAT_NETWORKS',
  macBase: 'ALCOR_MAC_BASE',
  globalMtu: 'ALCOR_GLOBAL_MTU',
  maxBodyBytes: 'ALCOR_MAX_BODY_BYTES',
  logLevel: 'ALCOR_LOG_LEVEL',
  quotaDefaults: 'ALCOR_QUOTA_DEFAULTS',
  keystoneUrl: 'ALCOR_KEYSTONE_URL',
  keystoneUsername: 'ALCOR_KEYSTONE_USERNAME',
  keystonePassword: 'ALCOR_KEYSTONE_PASSWORD',
  keystoneProject: 'ALCOR_KEYSTONE_PROJECT',
  keystoneDomain: 'ALCOR_KEYSTONE_DOMAIN',
  keystoneCacheSeconds: 'ALCOR_KEYSTONE_CACHE_SECONDS',
  natsUrl: 'ALCOR_NATS_URL',
  southboundChannel: 'ALCOR_SOUTHBOUND_CHANNEL',
  mqUpperPorts: 'ALCOR_MQ_UPPER_PORTS',
  mqLowerPorts: 'ALCOR_MQ_LOWER_PORTS',
  natsMaxPerSubject: 'ALCOR_NATS_MAX_PER_SUBJECT',
  natsMaxAgeSeconds: 'ALCOR_NATS_MAX_AGE_SECONDS',
  southboundListen: 'ALCOR_SOUTHBOUND_LISTEN',
  southboundTlsCa: 'ALCOR_SOUTHBOUND_TLS_CA',
  southboundTlsCert: 'ALCOR_SOUTHBOUND_TLS_CERT',
  southboundTlsKey: 'ALCOR_SOUTHBOUND_TLS_KEY',
  southboundInsecure: 'ALCOR_SOUTHBOUND_INSECURE',
  southboundMaxSessions: 'ALCOR_SOUTHBOUND_MAX_SESSIONS',
  novaUrl: 'ALCOR_NOVA_URL',
  novaEventIntervalMs: 'ALCOR_NOVA_EVENT_INTERVAL_MS',
  novaTimeoutMs: 'ALCOR_NOVA_TIMEOUT_MS',
  novaRegion: 'ALCOR_NOVA_REGION',
  novaInterface: 'ALCOR_NOVA_INTERFACE',
};

/** Options from the environment; flags given on the command line override them. */
export function optionsFromEnv(env: NodeJS.ProcessEnv): ServerOptions {
  const options: ServerOptions = {};
  for (const [key, name] of Object.entries(ENV) as [keyof ServerOptions, string][]) {
    const value = env[name];
    if (value !== undefined && value !== '') options[key] = value;
  }
  return options;
}

function parseRange(text: string, setting: string, limit: IdRange): IdRange {
  const m = /^(\d+):(\d+)$/.exec(text.trim());
  const min = Number(m?.[1]);
  const max = Number(m?.[2]);
  if (!m || min > max || min < limit.min || max > limit.max) {
    throw new ConfigError(`${setting}: "${text}" is not a range min:max within ${limit.min}:${limit.max}`);
  }
  return { min, max };
}

function parseInteger(value: string | number, setting: string, min: number, max: number): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${setting}: "${value}" is not an integer in ${min}..${max}`);
  return n;
}

function parseListen(text: string, setting = 'ALCOR_LISTEN'): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(text.trim());
  if (!m || m[1] === undefined || m[2] === undefined) throw new ConfigError(`${setting}: "${text}" is not host:port`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port: parseInteger(m[2], `${setting} port`, 0, 65535) };
}

function parseDatabaseUrl(text: string): ServerConfig['database'] {
  if (text.startsWith('sqlite:')) {
    const path = text.slice('sqlite:'.length).replace(/^\/\//, '');
    if (path === '') throw new ConfigError('ALCOR_DATABASE_URL: sqlite: needs a path, e.g. sqlite:./data/alcor.db');
    return { engine: 'sqlite', path };
  }
  if (/^postgres(ql)?:\/\//.test(text)) return { engine: 'postgres', url: text };
  throw new ConfigError(`ALCOR_DATABASE_URL: "${text}" must start with sqlite: or postgres://`);
}

function parseBoolean(value: string | boolean, setting: string): boolean {
  if (typeof value === 'boolean') return value;
  const text = value.trim().toLowerCase();
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new ConfigError(`${setting}: "${value}" must be true or false`);
}

function parseMacBase(text: string): [number, number, number] {
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(text)) throw new ConfigError(`ALCOR_MAC_BASE: "${text}" is not a MAC address`);
  const octets = text.split(':').map((o) => parseInt(o, 16));
  const [a = 0, b = 0, c = 0] = octets;
  // A multicast base would make every generated MAC invalid for a port.
  if (a & 1) throw new ConfigError(`ALCOR_MAC_BASE: "${text}" is a multicast address`);
  return [a, b, c];
}

/** Validates options and fills in defaults. Throws ConfigError on the first invalid setting. */
export function compileServerOptions(options: ServerOptions): ServerConfig {
  const listen = parseListen(options.listen ?? '127.0.0.1:9696');
  const auth = options.auth ?? 'noauth';
  if (auth !== 'noauth' && auth !== 'keystone') throw new ConfigError(`ALCOR_AUTH: "${auth}" must be noauth or keystone`);
  const vlanRanges = new Map<string, IdRange>();
  for (const part of (options.vlanRanges ?? 'physnet1:1:4094').split(',').filter((p) => p.trim() !== '')) {
    const idx = part.indexOf(':');
    const physnet = part.slice(0, idx).trim();
    if (idx <= 0) throw new ConfigError(`ALCOR_VLAN_RANGES: "${part}" is not physnet:min:max`);
    vlanRanges.set(physnet, parseRange(part.slice(idx + 1), 'ALCOR_VLAN_RANGES', { min: 1, max: 4094 }));
  }
  return {
    listenHost: listen.host,
    listenPort: listen.port,
    metrics: options.metricsListen === 'off' ? undefined : parseListen(options.metricsListen ?? '127.0.0.1:9697', 'ALCOR_METRICS_LISTEN'),
    database: parseDatabaseUrl(options.databaseUrl ?? 'sqlite:./data/alcor.db'),
    autoMigrate: parseBoolean(options.autoMigrate ?? true, 'ALCOR_AUTO_MIGRATE'),
    auth,
    noauthProject: options.noauthProject ?? 'admin',
    vxlanRange: parseRange(options.vxlanRange ?? '1:16777215', 'ALCOR_VXLAN_RANGE', { min: 1, max: 16777215 }),
    vlanRanges,
    flatNetworks: new Set((options.flatNetworks ?? 'physnet1,physnet-ext').split(',').map((s) => s.trim()).filter(Boolean)),
    macPrefix: parseMacBase(options.macBase ?? 'fa:16:3e:00:00:00'),
    globalMtu: parseInteger(options.globalMtu ?? 1500, 'ALCOR_GLOBAL_MTU', 1280, 9216),
    maxBodyBytes: parseInteger(options.maxBodyBytes ?? 1048576, 'ALCOR_MAX_BODY_BYTES', 1024, 1 << 30),
    logLevel: options.logLevel ?? 'info',
    quotaDefaults: parseQuotaDefaults(options.quotaDefaults ?? ''),
    keystone: compileKeystone(options, auth),
    southbound: compileSouthbound(options),
    nova: compileNova(options, auth),
  };
}

function compileNova(options: ServerOptions, auth: ServerConfig['auth']): NovaConfig {
  const url = (options.novaUrl ?? '').trim().replace(/\/+$/, '');
  if (url !== '' && url !== 'catalog' && !/^https?:\/\/[^\s]+$/.test(url)) throw new ConfigError(`ALCOR_NOVA_URL: "${url}" must be an http(s) URL or catalog`);
  if (url === 'catalog' && auth !== 'keystone') throw new ConfigError('ALCOR_NOVA_URL: catalog needs auth=keystone');
  const iface = options.novaInterface ?? 'public';
  if (iface !== 'public' && iface !== 'internal' && iface !== 'admin') throw new ConfigError(`ALCOR_NOVA_INTERFACE: "${iface}" must be public, internal or admin`);
  return {
    enabled: url !== '',
    url: url === '' || url === 'catalog' ? undefined : url,
    intervalMs: parseInteger(options.novaEventIntervalMs ?? 200, 'ALCOR_NOVA_EVENT_INTERVAL_MS', 0, 60_000),
    timeoutMs: parseInteger(options.novaTimeoutMs ?? 30_000, 'ALCOR_NOVA_TIMEOUT_MS', 100, 600_000),
    region: options.novaRegion ?? '',
    interface: iface,
  };
}

function compileSouthbound(options: ServerOptions): SouthboundConfig {
  const natsUrl = (options.natsUrl ?? '').trim();
  for (const url of natsUrl === '' ? [] : natsUrl.split(',')) {
    if (!/^(nats|tls|wss?):\/\/[^\s/]+$/.test(url.trim())) throw new ConfigError(`ALCOR_NATS_URL: "${url}" is not a nats://host:port URL`);
  }
  const channel = options.southboundChannel ?? 'auto';
  if (channel !== 'grpc' && channel !== 'mq' && channel !== 'auto') throw new ConfigError(`ALCOR_SOUTHBOUND_CHANNEL: "${channel}" must be grpc, mq or auto`);
  const upperPorts = parseInteger(options.mqUpperPorts ?? 1000, 'ALCOR_MQ_UPPER_PORTS', 0, 1e9);
  const lowerPorts = parseInteger(options.mqLowerPorts ?? 100, 'ALCOR_MQ_LOWER_PORTS', 0, 1e9);
  if (lowerPorts > upperPorts) throw new ConfigError(`ALCOR_MQ_LOWER_PORTS: ${lowerPorts} is above ALCOR_MQ_UPPER_PORTS ${upperPorts}`);
  const listen = options.southboundListen ?? '127.0.0.1:9016';
  if (!/^(\[[^\]]+\]|[^:]+):\d+$/.test(listen.trim())) throw new ConfigError(`ALCOR_SOUTHBOUND_LISTEN: "${listen}" is not host:port`);
  const files = [options.southboundTlsCa, options.southboundTlsCert, options.southboundTlsKey].filter((f) => f !== undefined && f !== '');
  if (files.length !== 0 && files.length !== 3) throw new ConfigError('ALCOR_SOUTHBOUND_TLS_CA, ALCOR_SOUTHBOUND_TLS_CERT and ALCOR_SOUTHBOUND_TLS_KEY go together');
  const tls = options.southboundTlsCa && options.southboundTlsCert && options.southboundTlsKey
    ? { ca: options.southboundTlsCa, cert: options.southboundTlsCert, key: options.southboundTlsKey }
    : undefined;
  const insecure = options.southboundInsecure ?? 'false';
  if (insecure !== 'true' && insecure !== 'false') throw new ConfigError(`ALCOR_SOUTHBOUND_INSECURE: "${insecure}" must be true or false`);
  if (!tls && insecure === 'false' && !isLoopbackListen(listen)) {
    throw new ConfigError(`ALCOR_SOUTHBOUND_LISTEN: ${listen} is reachable from other machines; set ALCOR_SOUTHBOUND_TLS_CA/CERT/KEY (or ALCOR_SOUTHBOUND_INSECURE=true to let any client act as any host)`);
  }
  if (/(^|,)\s*tls:\/\//.test(natsUrl) && !tls) throw new ConfigError('ALCOR_NATS_URL: a tls:// bus needs ALCOR_SOUTHBOUND_TLS_CA/CERT/KEY (the controller\'s client certificate)');
  return {
    listen,
    tls,
    insecure: insecure === 'true',
    maxSessions: parseInteger(options.southboundMaxSessions ?? 20_000, 'ALCOR_SOUTHBOUND_MAX_SESSIONS', 1, 1e7),
    natsUrl,
    channel,
    upperPorts,
    lowerPorts,
    maxPerSubject: parseInteger(options.natsMaxPerSubject ?? 10_000, 'ALCOR_NATS_MAX_PER_SUBJECT', 1, 1e9),
    maxAgeSeconds: parseInteger(options.natsMaxAgeSeconds ?? 86_400, 'ALCOR_NATS_MAX_AGE_SECONDS', 1, 1e9),
  };
}

/** True for a listen address only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopbackListen(listen: string): boolean {
  const host = /^(\[[^\]]+\]|[^:]+):\d+$/.exec(listen.trim())?.[1]?.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || (host !== undefined && /^127\.\d+\.\d+\.\d+$/.test(host));
}

function parseQuotaDefaults(text: string): QuotaLimits {
  const limits: QuotaLimits = { ...NEUTRON_DEFAULT_QUOTAS };
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z_]+)=(-1|\d+)$/.exec(part);
    if (!m?.[1] || !isQuotaResource(m[1])) throw new ConfigError(`ALCOR_QUOTA_DEFAULTS: "${part}" is not resource=N (resources: ${QUOTA_RESOURCES.join(', ')})`);
    limits[m[1]] = Number(m[2]);
  }
  return limits;
}

function compileKeystone(options: ServerOptions, auth: ServerConfig['auth']): KeystoneConfig {
  const url = (options.keystoneUrl ?? '').replace(/\/+$/, '');
  if (auth === 'keystone' && !/^https?:\/\//.test(url)) throw new ConfigError(`ALCOR_KEYSTONE_URL: "${url}" must be an http(s) URL with auth=keystone`);
  if (auth === 'keystone' && !options.keystonePassword) throw new ConfigError('ALCOR_KEYSTONE_PASSWORD: required with auth=keystone');
  return {
    url,
    username: options.keystoneUsername ?? 'neutron',
    password: options.keystonePassword ?? '',
    project: options.keystoneProject ?? 'service',
    domain: options.keystoneDomain ?? 'Default',
    cacheSeconds: parseInteger(options.keystoneCacheSeconds ?? 300, 'ALCOR_KEYSTONE_CACHE_SECONDS', 0, 86400),
  };
}
