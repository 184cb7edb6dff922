/** Runs many asynchronous tasks with a fixed number in flight, like a pool of closed-loop clients. */

/**
 * Calls `task(i)` for i in 0..total-1 with at most `concurrency` calls in flight; resolves when all
 * finished. The first rejection stops new calls and is rethrown once the in-flight ones settle.
 */
export async function runConcurrently(total: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < total) {
      const index = next++;
      try {
        await task(index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, total)) }, () => worker()));
  if (failure) throw failure.error;
}
