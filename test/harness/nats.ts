/**
 * NATS JetStream for integration suites: the shared server (ALCOR_TEST_NATS_URL, default
 * nats://127.0.0.1:4222), a unique stream name and subject prefix per test so runs sharing the server
 * never see each other's subjects, and a private nats-server process that a test may kill and restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NodeConnectionOptions as ConnectionOptions } from '@nats-io/transport-node';
import { deleteStream as deleteBusStream } from '../../src/southbound/nats-bus.js';
import { missingPrerequisite } from './services.js';
import { waitFor } from './wait-for.js';

/** The shared test server. */
export const TEST_NATS_URL = process.env.ALCOR_TEST_NATS_URL || 'nats://127.0.0.1:4222';

/** True when a JetStream-enabled server answers at `url`. */
export async function jetStreamAt(url: string, options: Partial<ConnectionOptions> = {}): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, timeout: 2000, reconnect: false, ...options });
    try {
      await (await jetstreamManager(nc)).getAccountInfo();
      return true;
    } finally {
      await nc.close();
    }
  } catch {
    return false;
  }
}

/** The shared server's URL, or undefined after reporting it missing (skip locally, fail under CI). */
export async function requireNats(t: TestContext): Promise<string | undefined> {
  if (await jetStreamAt(TEST_NATS_URL)) return TEST_NATS_URL;
  missingPrerequisite(t, `NATS JetStream at ${TEST_NATS_URL}`, 'ALCOR_TEST_NATS_URL');
  return undefined;
}

/** A stream name and subject prefix nobody else uses. */
export function uniqueBus(url: string): { url: string; stream: string; prefix: string } {
  const tag = randomBytes(4).toString('hex');
  return { url, stream: `ALCOR_TEST_${tag}`, prefix: `t${tag}` };
}

/** Deletes a test stream (ignores a missing one or an unreachable server). */
export function deleteStream(url: string, stream: string): Promise<void> {
  return deleteBusStream({ url, stream });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** How a private server runs: its limits, a configuration file (TLS, users), and how the harness connects to it. */
export interface PrivateNatsOptions {
  /** nats-server configuration file; with one the server is reached at tls:// (the file sets TLS up). */
  config?: string;
  /** Connection options of the readiness check (e.g. the controller's TLS files). */
  connect?: Partial<ConnectionOptions>;
  /** Bytes the server buffers for one client connection before it cuts it as a slow consumer (`max_pending`). */
  maxPendingBytes?: number;
  /** How long a write to a client may block before the server cuts it as a slow consumer (`write_deadline`). */
  writeDeadline?: string;
}

/** A connection the server closed, as its monitoring endpoint reports it. */
export interface ClosedConnection {
  name?: string;
  reason?: string;
}

/** A nats-server process of this test alone, restartable on the same port and store directory. */
export class PrivateNats {
  private child: ChildProcess | undefined;
  readonly storeDir = mkdtempSync(join(tmpdir(), 'alcor-nats-'));

  private constructor(
    readonly port: number,
    /** HTTP monitoring port (`/connz`). */
    readonly monitorPort: number,
    private readonly binary: string,
    private readonly options: PrivateNatsOptions,
  ) {}

  get url(): string {
    return `${this.options.config ? 'tls' : 'nats'}://127.0.0.1:${this.port}`;
  }

  /**
   * Starts one on a free port, with JetStream storing in a temporary directory (`nats-server` from PATH,
   * or NATS_SERVER_BIN), and `options` in its configuration file.
   */
  static async start(options: PrivateNatsOptions = {}, binary = process.env.NATS_SERVER_BIN || 'nats-server'): Promise<PrivateNats> {
    const port = await freePort();
    let monitorPort = await freePort();
    while (monitorPort === port) monitorPort = await freePort();
    const server = new PrivateNats(port, monitorPort, binary, options);
    await server.resume();
    return server;
  }

  /** Connections the server closed, with the reason (e.g. "Slow Consumer (Pending Bytes)"). */
  async closedConnections(): Promise<ClosedConnection[]> {
    const res = await fetch(`http://127.0.0.1:${this.monitorPort}/connz?state=closed&limit=1024`);
    return ((await res.json()) as { connections?: ClosedConnection[] }).connections ?? [];
  }

  /** (Re)starts the process and waits until JetStream answers. */
  async resume(): Promise<void> {
    const config = join(this.storeDir, 'server.conf');
    const { maxPendingBytes, writeDeadline } = this.options;
    const lines = [
      // The server refuses a message size limit (1 MiB by default) above the pending limit.
      ...(maxPendingBytes !== undefined ? [`max_pending: ${maxPendingBytes}`, `max_payload: ${Math.min(maxPendingBytes, 1 << 20)}`] : []),
      ...(writeDeadline !== undefined ? [`write_deadline: "${writeDeadline}"`] : []),
      ...(this.options.config ? [readFileSync(this.options.config, 'utf8')] : []),
    ];
    writeFileSync(config, `${lines.join('\n')}\n`);
    const args = ['-c', config, '-a', '127.0.0.1', '-p', String(this.port), '-m', String(this.monitorPort), '-js', '-sd', this.storeDir];
    const child = spawn(this.binary, args, { stdio: 'ignore' });
    this.child = child;
    const failed = new Promise<never>((_, reject) => child.once('error', (err) => reject(new Error(`cannot run ${this.binary}: ${err.message}`))));
    await Promise.race([waitFor(() => jetStreamAt(this.url, this.options.connect), 15_000, `nats-server on ${this.port}`), failed]);
  }

  /** Kills the process (an outage) and waits for it to exit. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** Kills it and removes its store. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
