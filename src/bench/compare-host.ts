/**
 * What `alcor bench compare` asks of the machine it runs on: commands run to completion (apt, psql,
 * neutron-db-manage) and throwaway PostgreSQL databases on the local server.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** A command that exited non-zero, with the tail of its output. */
export class CommandFailed extends Error {
  override name = 'CommandFailed';
}

/** Options of one command run. */
export interface RunOptions {
  env?: Record<string, string>;
  /** Run as this user id (and group id). */
  uid?: number;
  gid?: number;
  /** Kill it after this long. @default 600000 */
  timeoutMs?: number;
}

/** Runs `file args...` to completion; resolves with stdout, rejects with CommandFailed. */
export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env: { ...process.env, ...options.env }, uid: options.uid, gid: options.gid, timeout: options.timeoutMs ?? 600_000, maxBuffer: 64 * 2 ** 20 },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-15).join('\n');
        reject(new CommandFailed(`${file} ${args.join(' ')} failed (${error.code ?? error.signal ?? error.message}):\n${tail}`));
      },
    );
  });
}

/** The PostgreSQL server the benchmark's databases live on (trust authentication). */
export interface PostgresServer {
  host: string;
  port: number;
  user: string;
}

/** Parses `postgres://user@host:port` (no database part needed). */
export function parsePostgresServer(url: string): PostgresServer {
  const parsed = new URL(url);
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw new RangeError(`--postgres ${url}: expected postgres://user@host:port`);
  return { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || 5432), user: decodeURIComponent(parsed.username) || 'postgres' };
}

/** Runs SQL (a string or `-f file` with `-v` variables) with psql against one database. */
export function psql(server: PostgresServer, database: string, sql: { command: string } | { file: string; vars: Record<string, string> }): Promise<string> {
  const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', server.host, '-p', String(server.port), '-U', server.user, '-d', database];
  if ('command' in sql) args.push('-c', sql.command);
  else {
    for (const [name, value] of Object.entries(sql.vars)) args.push('-v', `${name}=${value}`);
    args.push('-f', sql.file);
  }
  return run('psql', args);
}

/** A database created for one run. */
export interface ScratchDatabase {
  name: string;
  /** `postgres://user@host:port/name`. */
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database named `<prefix>_<random>`; `drop()` removes it (and its connections). */
export async function createScratchDatabase(server: PostgresServer, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await psql(server, 'postgres', { command: `CREATE DATABASE ${name}` });
  return {
    name,
    url: `postgres://${encodeURIComponent(server.user)}@${server.host}:${server.port}/${name}`,
    drop: async () => {
      await psql(server, 'postgres', { command: `DROP DATABASE IF EXISTS ${name} WITH (FORCE)` });
    },
  };
}
