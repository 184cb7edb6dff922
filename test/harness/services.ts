/**
 * External services for integration suites. Locally a missing service skips its suite with a loud
 * `skipping:` line; under CI (the service's env variable is set, or CI=true) it fails the suite instead.
 */
import type { TestContext } from 'node:test';

/** True when a missing prerequisite must fail rather than skip. */
export function strictPrerequisites(envVar?: string): boolean {
  return process.env.CI === 'true' || (envVar !== undefined && process.env[envVar] !== undefined && process.env[envVar] !== '');
}

/**
 * Reports a missing prerequisite: throws under CI, otherwise prints a loud line and skips the test.
 * Returns false so callers can `if (!available) return;`.
 */
export function missingPrerequisite(t: TestContext, what: string, envVar?: string): false {
  const message = `skipping: ${what}`;
  if (strictPrerequisites(envVar)) throw new Error(`required prerequisite missing under CI: ${what}`);
  process.stderr.write(`\n*** ${message} ***\n`);
  t.skip(message);
  return false;
}
