/**
 * A PostgreSQL server of the test's own (initdb into a temporary directory, a free port), for faults that
 * stop or restart the database: the shared server on 5432 serves every other suite and must stay up.
 * Uses the PostgreSQL binaries of the machine's Debian packages, run as the `postgres` user (initdb
 * refuses root), so it needs root or that user.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PG_LIB = '/usr/lib/postgresql';

/** A private server. */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  url: string;
  /** Stops it (fast shutdown: connections are cut, as on a restart or a crash of the server). */
  stop(): void;
  start(): void;
  /** Stops it and removes its data. */
  destroy(): void;
}

/** The newest installed PostgreSQL's bin directory, or undefined. */
function binDir(): string | undefined {
  if (!existsSync(PG_LIB)) return undefined;
  const versions = readdirSync(PG_LIB).filter((v) => existsSync(join(PG_LIB, v, 'bin', 'pg_ctl'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] && join(PG_LIB, versions[0], 'bin');
}

/** Why a private server cannot be run here, or undefined. */
export function privatePostgresUnavailable(): string | undefined {
  if (!binDir()) return `a private PostgreSQL needs the server binaries under ${PG_LIB} (apt-get install postgresql)`;
  if (process.getuid?.() !== 0) return 'a private PostgreSQL is started as the postgres user, which needs root';
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** initdb + start; the caller destroys it. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  if (!bin) throw new Error(privatePostgresUnavailable());
  const port = await freePort();
  const root = mkdtempSync(join(tmpdir(), 'alcor-pg-'));
  const data = join(root, 'data');
  const asPostgres = (tool: string, args: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args], { stdio: 'pipe' });
  execFileSync('chown', ['postgres', root]);
  asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
  const server: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: () => asPostgres('pg_ctl', ['-D', data, '-o', options, '-l', join(root, 'log'), '-w', 'start']),
    stop: () => asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
    destroy() {
      try {
        server.stop();
      } catch {
        // Already stopped.
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
  server.start();
  return server;
}
