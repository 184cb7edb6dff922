/**
 * When a PostgreSQL write transaction is worth running again, and how long to wait first.
 *
 * Several controller replicas allocate from the same tables. Each allocator reads what is free and
 * inserts its pick; the schema's unique indexes (ip_allocations (subnet_id, ip_address), ports
 * (network_id, mac_address), networks (network_type, physical_network, segmentation_id)) are the final
 * guard, so two replicas picking the same value make one of them fail with a unique violation. Running
 * the whole transaction again re-reads the committed state and picks another value: the API never sees
 * the race. Serialization failures (REPEATABLE READ saw a concurrent update of a row it changes) and
 * deadlocks are retried the same way. A user asking for a taken value explicitly is not hurt by this:
 * on the retry the service's own check sees the committed row and answers its 409.
 */

/** SQLSTATEs that mean "a concurrent transaction got in the way; the same work may succeed now". */
export const RETRYABLE_SQLSTATES: ReadonlySet<string> = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '23505', // unique_violation: two replicas allocated the same IP, MAC or segment
]);

/** The SQLSTATE of a pg error (or of an error wrapping one as `cause`), if any. */
export function sqlState(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** True when the error (or its cause) is a concurrency conflict worth retrying. */
export function isRetryableConflict(err: unknown): boolean {
  const state = sqlState(err);
  return state !== undefined && RETRYABLE_SQLSTATES.has(state);
}

/** How the write loop retries; compiled once per store. */
export interface RetryPolicy {
  /** Attempts in total, the first included. @default 30 */
  maxAttempts: number;
  /** Upper bound of the first backoff in ms. @default 2 */
  baseDelayMs: number;
  /** Largest backoff in ms. @default 100 */
  maxDelayMs: number;
}

/** The defaults: enough attempts that dozens of writers racing for one small subnet all get through. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 30, baseDelayMs: 2, maxDelayMs: 100 };

/**
 * Full-jitter exponential backoff before attempt `attempt + 1` (attempt counts from 1): a random delay in
 * [0, min(max, base * 2^(attempt-1))], so colliding writers spread out instead of colliding again.
 */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt - 1, 20));
  return Math.floor(random() * ceiling);
}

/** Node socket errors that mean the database server cannot be reached. */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * True when the error (or its cause) says the database is unavailable rather than that the request was
 * wrong: the server unreachable or gone mid-transaction (SQLSTATE class 08), shutting down or starting
 * (57P01-57P03), out of connections (53300), or the pool timing out while connecting. The API answers these
 * with 503 and Retry-After, never 500.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const state = sqlState(err);
  if (state !== undefined) return state.startsWith('08') || state === '57P01' || state === '57P02' || state === '57P03' || state === '53300';
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && /^Connection terminated|timeout exceeded when trying to connect/.test(message)) return true;
  }
  return false;
}
