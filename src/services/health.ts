/**
 * Liveness and readiness of this controller replica. Readiness runs every registered check (the store
 * always; the southbound registers its bus) and is false while the replica drains for shutdown, so a
 * load balancer or Kubernetes stops sending new requests before the listener closes.
 */
import type { Store } from '../store/store.js';

/** One dependency probe; resolves when reachable, rejects (or times out) when not. */
export type ReadinessCheck = () => Promise<void>;

/** Outcome of one check. */
export interface CheckResult {
  ok: boolean;
  /** Why it failed. */
  error?: string;
  durationMs: number;
}

/** What `/readyz` reports. */
export interface ReadinessReport {
  ready: boolean;
  draining: boolean;
  checks: Record<string, CheckResult>;
}

/** Health of the replica. */
export interface HealthService {
  /** Adds a named readiness check (e.g. `bus` by the southbound); a later one with the same name replaces it. */
  addCheck(name: string, check: ReadinessCheck): void;
  /** Runs every check concurrently, each bounded by the timeout. */
  readiness(): Promise<ReadinessReport>;
  /** From now on the replica reports not ready: shutdown has begun. */
  startDraining(): void;
}

/**
 * Longest graceful-shutdown drain (readyz 503, in-flight requests finish) before the controller exits
 * anyway, in milliseconds; keep it below the orchestrator's grace period. @default 25000 (env ALCOR_SHUTDOWN_TIMEOUT_MS)
 */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 25_000;

/** How long one check may take before it counts as failed. */
const CHECK_TIMEOUT_MS = 2000;

async function runCheck(check: ReadinessCheck): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new RangeError(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { ok: true, durationMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { ok: false, error: (err as Error).message, durationMs: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

/** Builds the health service; the store check is a trivial query through the normal read path. */
export function createHealthService(store: Store): HealthService {
  const checks = new Map<string, ReadinessCheck>([['store', () => store.read((q) => q.get('SELECT 1 AS ok')).then(() => undefined)]]);
  let draining = false;
  return {
    addCheck: (name, check) => void checks.set(name, check),
    readiness: async () => {
      const entries = await Promise.all([...checks].map(async ([name, check]) => [name, await runCheck(check)] as const));
      const results = Object.fromEntries(entries);
      return { ready: !draining && entries.every(([, r]) => r.ok), draining, checks: results };
    },
    startDraining: () => {
      draining = true;
    },
  };
}
