#!/usr/bin/env node
/** `alcor-server`: the controller process. Flags override environment variables (see docs/configuration.md). */
import { Command } from 'commander';
import { buildApiServer } from '../api/server.js';
import { compileServerOptions, ConfigError, optionsFromEnv, type ServerConfig, type ServerOptions } from '../config.js';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from '../services/health.js';
import { createServices } from '../services/services.js';
import { openStore } from '../store/open-store.js';
import { PostgresStore } from '../store/postgres.js';
import { exposeBus, notifyingStore, startSouthbound } from '../southbound/southbound.js';
import { novaNotifierFor } from '../notify/nova-notifier.js';
import type { SouthboundLogger } from '../southbound/log.js';
import { startMetricsListener } from '../metrics/listener.js';
import { createOperatorView } from '../southbound/operator-view.js';
import { DatabaseRefused } from '../store/schema-state.js';
import { ALCOR_VERSION } from '../version.js';
import { formatSchemaStatus, schemaStatusOf } from './commands/db.js';

const program = new Command()
  .name('alcor-server')
  .description('Alcor controller: Neutron v2.0 API, allocation and goal-state manager')
  .option('--listen <host:port>', 'API listen address (ALCOR_LISTEN)')
  .option('--metrics-listen <host:port>', 'Prometheus metrics listen address, or off (ALCOR_METRICS_LISTEN)')
  .option('--database-url <url>', 'sqlite:<path> or postgres://... (ALCOR_DATABASE_URL)')
  .option('--auth <mode>', 'noauth or keystone (ALCOR_AUTH)')
  .option('--log-level <level>', 'pino log level (ALCOR_LOG_LEVEL)')
  .option('--check-migrations', 'print applied and pending schema migrations and exit (1 when any is pending); writes nothing')
  .version(ALCOR_VERSION)
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const { checkMigrations, ...flags } = program.opts<ServerOptions & { checkMigrations?: boolean }>();
  let config: ServerConfig;
  try {
    config = compileServerOptions({ ...optionsFromEnv(process.env), ...stripUndefined(flags) });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`alcor-server: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (checkMigrations) {
    const status = await schemaStatusOf(config.database, 'inspect');
    process.stdout.write(formatSchemaStatus(status));
    process.exit(status.pending.length > 0 ? 1 : 0);
  }
  // With ALCOR_AUTO_MIGRATE=false a database behind this build is refused until `alcor db upgrade` ran.
  const store = await openStore(config.database, config.autoMigrate ? 'apply' : 'require-current');
  // The southbound logs through the API server's logger once it exists.
  let sbLog: SouthboundLogger | undefined;
  const sb = config.southbound;
  const southbound = await startSouthbound(store, {
    listen: sb.listen,
    insecure: sb.insecure,
    maxSessions: sb.maxSessions,
    ...(sb.tls ? { tls: sb.tls } : {}),
    ...(sb.natsUrl ? { nats: { url: sb.natsUrl, maxPerSubject: sb.maxPerSubject, maxAgeMs: sb.maxAgeSeconds * 1000, ...(/tls:\/\//.test(sb.natsUrl) && sb.tls ? { tls: sb.tls } : {}) } } : {}),
    channels: { mode: sb.channel, upperPorts: sb.upperPorts, lowerPorts: sb.lowerPorts },
    log: { debug: (o, m) => sbLog?.debug(o, m), info: (o, m) => sbLog?.info(o, m), warn: (o, m) => sbLog?.warn(o, m), error: (o, m) => sbLog?.error(o, m) },
  });
  // Events to Nova: derived from the outbox and, in the same transaction, from port status writes.
  const nova = novaNotifierFor(store, config, {
    exclusive: store.engine === 'sqlite',
    log: { info: (o, m) => sbLog?.info(o, m), warn: (o, m) => sbLog?.warn(o, m), error: (o, m) => sbLog?.error(o, m) },
  });
  if (nova) {
    southbound.manager.portStatus.addWriteHook(nova.statusHook);
    await nova.start();
  }
  const committed = () => {
    void southbound.notify();
    void nova?.poke();
  };
  const services = createServices(notifyingStore(store, committed), config);
  exposeBus(southbound, services);
  // Other replicas' commits reach this replica's data-plane manager at once (LISTEN/NOTIFY), not at its next poll.
  if (store instanceof PostgresStore) await store.onChanges(committed);
  const app = await buildApiServer({ config, services, operator: createOperatorView(store, southbound, ALCOR_VERSION) });
  sbLog = app.log;
  app.log.info({ port: southbound.port }, 'southbound gRPC listening');
  const metrics = config.metrics ? await startMetricsListener(config.metrics.host, config.metrics.port) : undefined;
  if (metrics) app.log.info({ url: metrics.url }, `metrics listening at ${metrics.url}/metrics`);
  // Graceful shutdown: report not ready (so load balancers stop routing here), stop accepting, let
  // in-flight requests and their transactions finish, close the southbound, then the store. A second
  // signal, or a drain longer than ALCOR_SHUTDOWN_TIMEOUT_MS (default 25 s, under Kubernetes' 30 s
  // grace period), exits at once.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      app.log.warn({ signal }, 'second signal: exiting without draining');
      process.exit(1);
    }
    stopping = true;
    app.log.info({ signal }, 'shutting down: draining');
    services.health.startDraining();
    const timeoutMs = Number(process.env.ALCOR_SHUTDOWN_TIMEOUT_MS || DEFAULT_SHUTDOWN_TIMEOUT_MS);
    setTimeout(() => {
      app.log.error({ timeoutMs }, 'drain timed out; exiting');
      process.exit(1);
    }, timeoutMs).unref();
    try {
      await app.close();
      await metrics?.close();
      await nova?.close();
      await southbound.close();
      await store.close();
      app.log.info('drained; exiting');
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', (s) => void shutdown(s));
  process.on('SIGTERM', (s) => void shutdown(s));
  // Certificate rotation without a restart: the files are also polled, SIGHUP re-reads them at once.
  process.on('SIGHUP', () => app.log.info({ reloaded: southbound.server.reloadTls() }, 'SIGHUP: southbound TLS files re-read'));
  await app.listen({ host: config.listenHost, port: config.listenPort });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

main().catch((err: unknown) => {
  // A refused database is an operator's situation, not a bug: its message says what to do.
  process.stderr.write(`alcor-server: ${err instanceof DatabaseRefused ? err.message : ((err as Error).stack ?? String(err))}\n`);
  process.exit(1);
});
