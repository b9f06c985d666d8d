/**
 * Polls `probe` until it returns something other than undefined, or fails after `timeoutMs`.
 * It asks again after 10 ms, then twice as long each time up to every 100 ms, so a condition met
 * at once is seen at once and a slow one is not asked too often.
 */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let pauseMs = 10; ; pauseMs = Math.min(pauseMs * 2, 100)) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}
