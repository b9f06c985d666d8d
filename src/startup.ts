import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from './log';

/*
 * How a process starts when what it needs is not there yet (Temporal, the reporting copy's
 * PostgreSQL, during a cluster's start or an outage): it waits and tries again, with a longer
 * pause each time up to a bound, while its probes say live and not ready. It never exits into a
 * crash loop; only a signal stops the wait.
 */

export interface Backoff {
  firstDelayMs: number;
  maxDelayMs: number;
}

export const startupBackoff: Backoff = { firstDelayMs: 500, maxDelayMs: 30_000 };

/** The pause before attempt `attempt + 1`: doubling from the first, bounded. */
export function backoffDelay(attempt: number, { firstDelayMs, maxDelayMs }: Backoff = startupBackoff): number {
  return Math.min(maxDelayMs, firstDelayMs * 2 ** (attempt - 1));
}

/**
 * `connect()`'s result once it succeeds, trying again after each failure. Rejects only when
 * `signal` aborts (the process is told to stop while it waits).
 */
export async function untilConnected<T>(
  what: string,
  connect: () => Promise<T>,
  log: Pick<Logger, 'warn'>,
  signal?: AbortSignal,
  backoff: Backoff = startupBackoff,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await connect();
    } catch (error) {
      const retryInMs = backoffDelay(attempt, backoff);
      log.warn({ err: error, attempt, retryInMs }, `${what} not reachable yet; trying again`);
      await sleep(retryInMs, undefined, { signal });
    }
  }
}
