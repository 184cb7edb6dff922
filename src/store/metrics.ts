/** The store layer's instruments: transaction durations and the write transactions run again after a conflict. */
import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '../metrics/registry.js';
import type { Store } from './store.js';

const transactionDuration = new Histogram({
  name: 'alcor_store_transaction_duration_seconds',
  help: 'Store transactions from the call to the result, waiting for the connection and retries included, by engine and kind (read or write)',
  labelNames: ['engine', 'kind'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [metricsRegistry],
});

/** Counts a PostgreSQL write transaction that is run again after a conflict with a concurrent writer. */
export const transactionRetries = new Counter({
  name: 'alcor_store_transaction_retries_total',
  help: 'Write transactions run again after a conflict with a concurrent writer (serialization failure, deadlock, racing allocation)',
  registers: [metricsRegistry],
});

/** Times every transaction of `store`. The store object itself is kept (engines are recognised by class). */
export function timeTransactions<S extends Store>(store: S): S {
  const write = store.write.bind(store);
  const read = store.read.bind(store);
  store.write = async (fn) => {
    const end = transactionDuration.startTimer({ engine: store.engine, kind: 'write' });
    try {
      return await write(fn);
    } finally {
      end();
    }
  };
  store.read = async (fn) => {
    const end = transactionDuration.startTimer({ engine: store.engine, kind: 'read' });
    try {
      return await read(fn);
    } finally {
      end();
    }
  };
  return store;
}
