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

const program = new Command()
  .name('alcor-server')
  .description('Alcor controller: Neutron v2.0 API, allocation and goal-state manager')
  .option('--listen <host:port>', 'API listen address (ALCOR_LISTEN)')
  .option('--database-url <url>', 'sqlite:<path> or postgres://... (ALCOR_DATABASE_URL)')
  .option('--auth <mode>', 'noauth or keystone (ALCOR_AUTH)')
  .option('--log-level <level>', 'pino log level (ALCOR_LOG_LEVEL)')
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const flags = program.opts<ServerOptions>();
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
  const store = await openStore(config.database);
  // The southbound logs through the API server's logger once it exists.
  let sbLog: SouthboundLogger | undefined;
  const sb = config.southbound;
  const southbound = await startSouthbound(store, {
    listen: process.env.ALCOR_SOUTHBOUND_LISTEN || '127.0.0.1:9016',
    ...(sb.natsUrl ? { nats: { url: sb.natsUrl, maxPerSubject: sb.maxPerSubject, maxAgeMs: sb.maxAgeSeconds * 1000 } } : {}),
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
  const app = await buildApiServer({ config, services });
  sbLog = app.log;
  app.log.info({ port: southbound.port }, 'southbound gRPC listening');
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
  await app.listen({ host: config.listenHost, port: config.listenPort });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

main().catch((err: unknown) => {
  process.stderr.write(`alcor-server: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
