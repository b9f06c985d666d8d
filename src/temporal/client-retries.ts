import { type ConnectionOptions, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';

type Interceptor = NonNullable<ConnectionOptions['interceptors']>[number];

/**
 * The Temporal client's retries of a failed call (its default policy), which a closing
 * connection waits out. The client retries on a timer, and a retry whose timer fires once the
 * connection is closed throws from that timer ("Channel has been shut down"): an uncaught
 * exception in a process that is stopping, seen when the API stopped just after Temporal was out
 * of reach. Once `settle()` is called no retry is scheduled, and it resolves when those already
 * scheduled (5 s apart at most) have been made.
 */
export function settlingRetries() {
  const defaults = defaultGrpcRetryOptions();
  let settling = false;
  const scheduled = new Set<Promise<void>>();
  const interceptor: Interceptor = makeGrpcRetryInterceptor({
    retryableDecider: (attempt, status) => !settling && defaults.retryableDecider(attempt, status),
    delayFunction: (attempt, status) => {
      const delayMs = defaults.delayFunction(attempt, status);
      // Fires just after the client's own timer for the retry, which is set for `delayMs`.
      const made = new Promise<void>((resolve) => setTimeout(resolve, delayMs + 1));
      scheduled.add(made);
      void made.then(() => scheduled.delete(made));
      return delayMs;
    },
  });
  return {
    interceptor,
    /** Retries scheduled and not yet made. */
    waiting: () => scheduled.size,
    async settle() {
      settling = true;
      await Promise.all(scheduled);
    },
  };
}
