/**
 * The servers `alcor bench compare` measures, one after the other: neutron-server (installed and started
 * here, or one already running), and alcor-server from this build on SQLite and on PostgreSQL.
 */
import { installNeutron, startNeutron } from './compare-neutron.js';
import { createScratchDatabase, type PostgresServer } from './compare-host.js';
import type { PortFill } from './api-bench.js';
import { spawnServer } from './server-process.js';

/** A server that answers the Neutron API, for the duration of one measurement. */
export interface StartedTarget {
  url: string;
  /** Its process on this machine (CPU and memory are read over it and its descendants). */
  pid?: number;
  /** How to store many ports quickly, when the API is too slow for it. */
  fill?: PortFill;
  /** True when `stop` throws the server's data away (else the run deletes what it created). */
  throwaway: boolean;
  /** Stops what `start` started and removes its data; safe to call twice. */
  stop(): Promise<void>;
}

/** One server of the comparison. */
export interface CompareTarget {
  /** Short key, e.g. `neutron`, `alcor-sqlite`. */
  name: string;
  /** What the report calls it. */
  label: string;
  /** The baseline (Neutron) or a contender (Alcor). */
  role: 'baseline' | 'contender';
  start(log: (line: string) => void): Promise<StartedTarget>;
}

function once(stop: () => Promise<void>): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => (stopping ??= stop());
}

/** neutron-server from Debian's packages (installed on first use) with its own database and port. */
export function neutronTarget(postgres: PostgresServer, apiWorkers: number): CompareTarget {
  return {
    name: 'neutron',
    label: `Neutron (neutron-server, ${apiWorkers} API workers, PostgreSQL)`,
    role: 'baseline',
    start: async (log) => {
      await installNeutron(log);
      const started = await startNeutron({ postgres, apiWorkers, log });
      return { ...started, throwaway: true, stop: once(started.stop) };
    },
  };
}

/** An endpoint that already runs (nothing is started or stopped; ports are stored through the API). */
export function runningTarget(name: string, label: string, role: CompareTarget['role'], url: string, pid?: number): CompareTarget {
  return { name, label, role, start: () => Promise.resolve({ url, pid, throwaway: false, stop: () => Promise.resolve() }) };
}

/** alcor-server from this build on a free port, over a fresh SQLite file or a scratch PostgreSQL database. */
export function alcorTarget(engine: 'sqlite' | 'postgres', postgres: PostgresServer): CompareTarget {
  return {
    name: `alcor-${engine}`,
    label: engine === 'sqlite' ? 'Alcor (SQLite)' : 'Alcor (PostgreSQL)',
    role: 'contender',
    start: async (log) => {
      const db = engine === 'postgres' ? await createScratchDatabase(postgres, 'alcor_compare_alcor') : undefined;
      try {
        const server = await spawnServer({ nodeArgs: [], startTimeoutMs: 60_000, log, env: db ? { ALCOR_DATABASE_URL: db.url } : {} });
        log(`alcor: alcor-server pid ${server.pid} at ${server.url} (${db ? `database ${db.name}` : server.databasePath})`);
        return {
          url: server.url,
          pid: server.pid,
          throwaway: true,
          stop: once(async () => {
            await server.stop();
            await db?.drop();
          }),
        };
      } catch (err) {
        await db?.drop();
        throw err;
      }
    },
  };
}
