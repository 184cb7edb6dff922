/**
 * Round trips of one port create on PostgreSQL, counted in process: the port service over a PostgresStore on
 * a fresh schema, a network with a subnet, then `creates` single-port creates. Every statement sent and every
 * BEGIN/COMMIT round trip is counted by the store (`writeStats`); the statements of the last create are kept,
 * so the report can say which remain.
 */
import { compileServerOptions } from '../config.js';
import { adminContext } from '../domain/context.js';
import { createServices } from '../services/services.js';
import { openPostgresStore } from '../store/postgres.js';
import type { Queryable, Store } from '../store/store.js';

/** What one port create costs in round trips. */
export interface RoundTripCount {
  /** Round trips per create (the write transaction; the store's BEGIN + locks and commit included). */
  perCreate: number;
  /** The statements of one create, in order: the first line is BEGIN with its locks, the last the COMMIT. */
  statements: string[];
}

/** Wraps a store so the statements of each write are listed (first words only). */
function listing(store: Store, into: string[]): Store {
  const short = (sql: string) => sql.replace(/\s+/g, ' ').trim().slice(0, 90);
  return {
    engine: store.engine,
    read: (fn) => store.read(fn),
    close: () => store.close(),
    write: (fn) =>
      store.write((tx) => {
        into.length = 0;
        const listed: Queryable = {
          all: (sql, params) => (into.push(short(sql)), tx.all(sql, params)),
          get: (sql, params) => (into.push(short(sql)), tx.get(sql, params)),
          run: (sql, params) => (into.push(short(sql)), tx.run(sql, params)),
          scope: (...keys) => (into.push(`scope ${keys.join(', ')}`), tx.scope(...keys)),
        };
        return fn(listed);
      }),
  };
}

/** Counts the round trips of `creates` port creates on a fresh schema of `schemaUrl`. */
export async function countPortCreateRoundTrips(schemaUrl: string, creates = 20): Promise<RoundTripCount> {
  const store = await openPostgresStore(schemaUrl);
  const statements: string[] = [];
  try {
    const config = compileServerOptions({ quotaDefaults: 'port=100000' });
    const services = createServices(listing(store, statements), config);
    const ctx = adminContext('bench-round-trips');
    const network = (await services.networks.createMany(ctx, [{ name: 'round-trips' }]))[0];
    if (!network) throw new Error('no network');
    await services.subnets.createMany(ctx, [{ network_id: network.id, cidr: '10.99.0.0/16', ip_version: 4 }]);
    await services.ports.createMany(ctx, [{ network_id: network.id }]);
    const before = { ...store.writeStats };
    for (let i = 0; i < creates; i++) await services.ports.createMany(ctx, [{ network_id: network.id }]);
    const perCreate = (store.writeStats.roundTrips - before.roundTrips) / (store.writeStats.transactions - before.transactions);
    return { perCreate, statements };
  } finally {
    await store.close();
  }
}
