/**
 * Race widening for concurrency tests. This is not a wait for state (use `waitFor` for that): it keeps
 * a transaction or request open for a random moment so that concurrent writers really overlap, which
 * is the condition the test wants to prove safe.
 */

/** Resolves after a random 0..maxMs milliseconds. */
export function widenRaceWindow(maxMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * maxMs)));
}
