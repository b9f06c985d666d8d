import { setTimeout as sleep } from 'node:timers/promises';
import type { State } from '@temporalio/worker';

/*
 * How the switch's processes stop: on SIGINT or SIGTERM, each lets the work under way finish
 * and then exits, 0 when it stopped cleanly and 1 when not.
 */

export function stopOnSignals(stop: (signal: NodeJS.Signals) => Promise<void>, failed: (error: unknown) => void) {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, async () => {
      try {
        await stop(signal);
        process.exit(0);
      } catch (error) {
        failed(error);
        process.exit(1);
      }
    });
  }
}

/**
 * Stops polling and waits for the activities and workflow tasks under way to finish. The SDK
 * listens for the same signals and may have begun the shutdown itself: then only wait for it.
 */
export async function drainWorker(worker: { worker: { getState(): State }; stop(): Promise<void> }) {
  if (worker.worker.getState() === 'RUNNING') return worker.stop();
  while (!['STOPPED', 'FAILED'].includes(worker.worker.getState())) await sleep(100);
}

/**
 * A request in flight waits at most the channel response timeout for its workflow's answer; the
 * grace adds a margin for the answer to be written. Past it, what is left is cut off.
 */
export function apiGraceMs(channelResponseTimeoutMs: number): number {
  return channelResponseTimeoutMs + 5_000;
}
