#!/usr/bin/env node
/**
 * `alcor-agent`: the host agent. Dials the controller's southbound, applies goal states through the
 * chosen driver and keeps its revision in the state directory so a restart resumes and reconciles.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { DRIVER_NAMES, loadDriver } from '../agent/drivers/registry.js';
import { formatBridgeMappings, parseBridgeMappings } from '../agent/bridge-mappings.js';
import { AgentRuntime } from '../agent/runtime.js';
import { timeDriver, watchAgent } from '../agent/metrics.js';
import { parseHostPort, startMetricsListener } from '../metrics/listener.js';
import { ALCOR_VERSION } from '../version.js';
import { TlsFiles } from '../proto/tls-files.js';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof LEVELS;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const program = new Command()
  .name('alcor-agent')
  .description('Alcor host agent: programs the data plane from the controller goal states')
  .requiredOption('--host-id <name>', 'this host\'s name (ports bind to it with binding:host_id)')
  .requiredOption('--datapath-ip <ip>', 'underlay (tunnel endpoint) address of this host')
  .option('--availability-zone <name>', 'availability zone of this host, shown by the agents list (ALCOR_AVAILABILITY_ZONE)', process.env.ALCOR_AVAILABILITY_ZONE ?? 'nova')
  .option('--controller <host:port>', 'controller southbound address host:port, or several (replicas) comma separated', process.env.ALCOR_CONTROLLER ?? '127.0.0.1:9016')
  .option('--driver <name>', `data-plane driver: ${DRIVER_NAMES.join('|')}`, 'sim')
  .option('--bridge-mapping <physnet:bridge>', 'physical network carried by an OVS bridge, as Neutron\'s bridge_mappings (repeatable)', collect, [] as string[])
  .option('--driver-opt <key=value>', 'driver option (repeatable)', collect, [] as string[])
  .option('--state-dir <dir>', 'directory for persisted state (default ./data/agent-<host-id>)')
  .option('--heartbeat-ms <ms>', 'heartbeat interval', '10000')
  .option('--nats <url>', 'NATS URL of the southbound bus: VPC scopes on the mq channel are consumed there (ALCOR_NATS_URL)', process.env.ALCOR_NATS_URL)
  .option('--metrics-listen <host:port>', 'serve Prometheus metrics at http://host:port/metrics (unauthenticated; off by default) (ALCOR_AGENT_METRICS_LISTEN)', process.env.ALCOR_AGENT_METRICS_LISTEN)
  .option('--tls-ca <file>', 'CA certificate that signed the controller\'s certificate: mutual TLS (ALCOR_TLS_CA)', process.env.ALCOR_TLS_CA)
  .option('--tls-cert <file>', 'this host\'s certificate; its CN or a DNS name must be the host id (ALCOR_TLS_CERT)', process.env.ALCOR_TLS_CERT)
  .option('--tls-key <file>', 'the key of --tls-cert (ALCOR_TLS_KEY); the three files are re-read when they change or on SIGHUP', process.env.ALCOR_TLS_KEY)
  .option('--metadata-url <url>', 'Nova metadata API the proxy for 169.254.169.254 forwards to, e.g. http://nova-api:8775; unset = no metadata (ALCOR_METADATA_URL)', process.env.ALCOR_METADATA_URL)
  .option('--metadata-secret-file <file>', 'file holding Nova\'s metadata_proxy_shared_secret (ALCOR_METADATA_SECRET_FILE); or set ALCOR_METADATA_SHARED_SECRET', process.env.ALCOR_METADATA_SECRET_FILE)
  .option('--log-level <level>', 'debug|info|warn|error', process.env.ALCOR_LOG_LEVEL ?? 'info')
  .version(ALCOR_VERSION)
  .showHelpAfterError();

/**
 * Nova's metadata_proxy_shared_secret when no --metadata-secret-file is given (never a flag value, so it
 * stays out of process listings). (env ALCOR_METADATA_SHARED_SECRET)
 */
function metadataSecret(file: string | undefined): string {
  if (!file) return process.env.ALCOR_METADATA_SHARED_SECRET ?? '';
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    return program.error(`--metadata-secret-file: ${(err as Error).message}`);
  }
}

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<{
    hostId: string;
    datapathIp: string;
    availabilityZone: string;
    controller: string;
    driver: string;
    driverOpt: string[];
    bridgeMapping: string[];
    stateDir?: string;
    heartbeatMs: string;
    logLevel: string;
    nats?: string;
    metricsListen?: string;
    tlsCa?: string;
    tlsCert?: string;
    tlsKey?: string;
    metadataUrl?: string;
    metadataSecretFile?: string;
  }>();
  const tlsFlags = [o.tlsCa, o.tlsCert, o.tlsKey].filter((f) => f !== undefined && f !== '').length;
  if (tlsFlags !== 0 && tlsFlags !== 3) program.error('--tls-ca, --tls-cert and --tls-key go together');
  if (isIP(o.datapathIp) === 0) program.error(`--datapath-ip "${o.datapathIp}" is not an IP address`);
  const metricsAt = o.metricsListen ? parseHostPort(o.metricsListen) : undefined;
  if (o.metricsListen && !metricsAt) program.error(`--metrics-listen "${o.metricsListen}" is not host:port`);
  const threshold = LEVELS[(o.logLevel as Level) in LEVELS ? (o.logLevel as Level) : 'info'];
  const log = (level: Level, message: string, fields: Record<string, unknown> = {}) => {
    if (LEVELS[level] >= threshold) process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, host: o.hostId, msg: message, ...fields })}\n`);
  };
  const options = Object.fromEntries(
    o.driverOpt.map((kv) => {
      const i = kv.indexOf('=');
      return i < 0 ? [kv, 'true'] : [kv.slice(0, i), kv.slice(i + 1)];
    }),
  );
  const tls = o.tlsCa && o.tlsCert && o.tlsKey
    ? new TlsFiles({ ca: o.tlsCa, cert: o.tlsCert, key: o.tlsKey }, (err) => log('error', 'TLS files invalid; keeping the previous ones', { err: err.message })).watch()
    : undefined;
  const bridgeMappings = (() => {
    try {
      return parseBridgeMappings(o.bridgeMapping);
    } catch (err) {
      return program.error(`--bridge-mapping: ${(err as Error).message}`);
    }
  })();
  const stateDir = o.stateDir ?? `./data/agent-${o.hostId}`;
  const metadata = o.metadataUrl ? { url: o.metadataUrl, sharedSecret: metadataSecret(o.metadataSecretFile) } : undefined;
  if (metadata && !metadata.sharedSecret) log('warn', 'metadata proxy without a shared secret: Nova must have an empty metadata_proxy_shared_secret too');
  const driver = timeDriver(await loadDriver(o.driver, { hostId: o.hostId, datapathIp: o.datapathIp, stateDir, options, bridgeMappings, log, ...(metadata ? { metadata } : {}) }));
  const agent = await AgentRuntime.create({
    controller: o.controller,
    hostId: o.hostId,
    datapathIp: o.datapathIp,
    availabilityZone: o.availabilityZone,
    driver,
    bridgeMappings: formatBridgeMappings(bridgeMappings),
    stateDir,
    heartbeatMs: Number(o.heartbeatMs) || 10_000,
    // A tls:// bus gets the host's certificate as its NATS identity (docs/southbound.md).
    ...(o.nats ? { nats: { url: o.nats, ...(tls && /(^|,)\s*tls:\/\//.test(o.nats) ? { tls: tls.paths } : {}) } } : {}),
    ...(tls ? { tls } : {}),
    log,
  });
  watchAgent(agent, driver);
  const metrics = metricsAt ? await startMetricsListener(metricsAt.host, metricsAt.port) : undefined;
  if (metrics) log('info', `metrics listening at ${metrics.url}/metrics`, { url: metrics.url });
  const shutdown = async (signal: string) => {
    log('info', 'shutting down', { signal });
    await metrics?.close();
    await agent.close();
    process.exit(0);
  };
  process.once('SIGINT', (s) => void shutdown(s));
  process.once('SIGTERM', (s) => void shutdown(s));
  process.on('SIGHUP', () => log('info', tls?.reload() ? 'TLS files reloaded' : 'SIGHUP: no valid TLS files to reload'));
  log('info', 'agent starting', { controller: o.controller, driver: o.driver, revision: agent.revision });
  agent.start();
}

main().catch((err: unknown) => {
  process.stderr.write(`alcor-agent: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
