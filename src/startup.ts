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

/** Network errors (Node's, postgres.js's) that say the other side is not there, or not yet. */
const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
]);
/** The Temporal core's words for the same, and a namespace its set-up job has not made yet. */
const unreachableMessage =
  /failed to connect|transport error|connection (refused|reset|closed)|tcp connect error|unavailable|deadline exceeded|namespace .* is not found/i;

/**
 * Whether `error`, or an error it was caused by, says that a service is not reachable yet, which
 * waiting heals: a refused or reset connection, an unknown host, PostgreSQL's connection failures
 * (SQLSTATE class 08) and its "starting up" (57P03). Anything else (a bundle that does not build,
 * a refused login, a migration refused for its data) is a fault waiting does not heal.
 */
export function isUnreachable(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && (unreachableCodes.has(code) || code.startsWith('08') || code === '57P03'))
      return true;
    if (unreachableMessage.test(cause.message)) return true;
  }
  return false;
}

/**
 * `connect()`'s result once it succeeds, trying again after each failure that says the service is
 * not reachable yet (`isUnreachable`). Any other failure is thrown at once: the process exits and
 * says why, rather than wait for what waiting does not heal. Rejects also when `signal` aborts
 * (the process is told to stop while it waits).
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
      if (!isUnreachable(error)) throw error;
      const retryInMs = backoffDelay(attempt, backoff);
      log.warn({ err: error, attempt, retryInMs }, `${what} not reachable yet; trying again`);
      await sleep(retryInMs, undefined, { signal });
    }
  }
}

/**
 * `untilConnected` for a process's start. Told to stop while it waits, it never settles: the
 * signal's handler finishes the stop and exits. A fault that waiting does not heal is logged
 * before it ends the start (and the process, with exit code 1).
 */
export async function whenReachable<T>(
  what: string,
  connect: () => Promise<T>,
  log: Pick<Logger, 'warn'> & { fatal(fields: object, message: string): void },
  signal: AbortSignal,
): Promise<T> {
  try {
    return await untilConnected(what, connect, log, signal);
  } catch (error) {
    if (signal.aborted) return new Promise<never>(() => {});
    log.fatal({ err: error }, `cannot start: ${what} failed in a way that waiting does not heal`);
    throw error;
  }
}
