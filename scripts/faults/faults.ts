import { setTimeout as sleep } from 'node:timers/promises';
import { and, eq, inArray } from 'drizzle-orm';
import { advices } from '../../src/db/schema';
import type { Behaviour } from '../../src/providers/simulator/behaviours';
import type { Stack } from './stack';

/**
 * The faults, on a fixed timetable repeated once per cycle while the load runs: the worker
 * killed and replaced, the Temporal server stopped and started again on its file, provider
 * timeouts, a provider down for a while, the reporting database cut off, and with several
 * instances, an API process killed with requests in flight and started again. The full run
 * ends with faults that overlap (see `overlapping`).
 */

export interface FaultCounts {
  workerKills: number;
  apiRestarts: number;
  overlaps: number;
  temporalRestarts: number;
  temporalDownSeconds: number;
  providerOutages: number;
  providerDownSeconds: number;
  timeoutsInjected: number;
  databaseCuts: number;
  databaseDownSeconds: number;
}

/** The SAF backlog a provider's outage left, and how long it took to drain once the provider was back. */
export interface Drain {
  backlog: number;
  seconds?: number;
}

/**
 * Past this, a backlog counts as not drained (the check then says why): after an outage longer
 * than the backoff's 5-minute cap, an advice's next try may be that far off.
 */
const drainLimitMs = 330_000;

/** One cycle of the timetable, in seconds from the cycle's start. */
export const cycleSeconds = 80;

const timeout = (provider: string, operation: Behaviour['operation'], count: number): Behaviour => ({
  provider: provider as Behaviour['provider'],
  operation,
  mode: 'timeout',
  count,
  // Past the 1.5 s deadline: the provider acts, but too late.
  delayMs: 2_500,
});

export function createFaults(stack: Stack, log: (line: string) => void) {
  const counts: FaultCounts = {
    workerKills: 0,
    apiRestarts: 0,
    overlaps: 0,
    temporalRestarts: 0,
    temporalDownSeconds: 0,
    providerOutages: 0,
    providerDownSeconds: 0,
    timeoutsInjected: 0,
    databaseCuts: 0,
    databaseDownSeconds: 0,
  };
  const drains: Promise<Drain>[] = [];

  async function replaceWorker() {
    await stack.killWorker();
    counts.workerKills += 1;
    const started = Date.now();
    await stack.startWorker();
    log(`worker killed (SIGKILL); a new one polls after ${seconds(started)} s`);
  }

  async function injectTimeouts(behaviours: Behaviour[]) {
    for (const behaviour of behaviours) {
      await stack.simulator.behave(behaviour);
      counts.timeoutsInjected += behaviour.count ?? 0;
    }
    log(`provider timeouts injected: ${behaviours.map((b) => `${b.provider} ${b.operation} ×${b.count}`).join(', ')}`);
  }

  /** Advices still pending for `provider` in the reporting copy, as transaction/advice id pairs. */
  async function pendingAdvices(provider: string) {
    const { db } = await stack.reportingStore();
    return db
      .select({ transactionId: advices.transactionId, adviceId: advices.adviceId })
      .from(advices)
      .where(and(eq(advices.saf, 'pending'), eq(advices.provider, provider)));
  }

  async function measureDrain(provider: string, since: number): Promise<Drain> {
    const backlog = await pendingAdvices(provider);
    const ids = backlog.map((row) => row.adviceId);
    if (ids.length === 0) return { backlog: 0, seconds: 0 };
    const { db } = await stack.reportingStore();
    while (Date.now() - since < drainLimitMs) {
      const left = await db
        .select({ adviceId: advices.adviceId })
        .from(advices)
        .where(and(eq(advices.saf, 'pending'), inArray(advices.adviceId, ids)));
      if (left.length === 0) return { backlog: ids.length, seconds: Number(seconds(since)) };
      await sleep(250);
    }
    return { backlog: ids.length };
  }

  async function providerOutage(provider: string, downSeconds: number) {
    await stack.simulator.behave({ provider: provider as Behaviour['provider'], operation: '*', mode: 'down' });
    counts.providerOutages += 1;
    log(`${provider} down`);
    await sleep(downSeconds * 1_000);
    await stack.simulator.reset();
    counts.providerDownSeconds += downSeconds;
    const back = Date.now();
    const drain = measureDrain(provider, back);
    drains.push(drain);
    void drain.then((d) => log(`${provider} back: ${d.backlog} advices pending, drained in ${d.seconds ?? '—'} s`));
  }

  async function databaseCut(downSeconds: number) {
    stack.cutDatabase();
    counts.databaseCuts += 1;
    log('reporting database cut off');
    await sleep(downSeconds * 1_000);
    stack.restoreDatabase();
    counts.databaseDownSeconds += downSeconds;
    log('reporting database restored');
  }

  /** Kills an API process with its requests in flight, and starts it again on its port. */
  async function restartApi({ whileTemporalIsDown = false } = {}) {
    if (!whileTemporalIsDown) {
      // Provisions the provider is slow to answer, so that some are in flight when the API dies.
      await stack.simulator.behave({ provider: 'flash', operation: 'provision', mode: 'ok', count: 6, delayMs: 1_200 });
      await sleep(800);
    }
    const started = Date.now();
    const port = await stack.killApi();
    await stack.startApi(port, { whileTemporalIsDown });
    counts.apiRestarts += 1;
    log(`API on :${port} killed (SIGKILL) with requests in flight; listening again after ${seconds(started)} s`);
  }

  /** Stops Temporal for `downSeconds`, with `meanwhile` happening while it is down. */
  async function temporalRestart(downSeconds: number, meanwhile: () => Promise<void> = async () => {}) {
    const started = Date.now();
    await stack.stopTemporal();
    log('Temporal server stopped');
    try {
      await Promise.all([sleep(downSeconds * 1_000), meanwhile()]);
    } finally {
      await stack.startTemporal();
    }
    counts.temporalRestarts += 1;
    counts.temporalDownSeconds += Number(seconds(started));
    log(`Temporal server started again on the same file (down ${seconds(started)} s)`);
  }

  /**
   * Faults on top of each other, once at the end of the full run: a worker killed during a
   * Temporal outage (its replacement starts while Temporal is down and waits for it), the API
   * restarted while Temporal is down, the reporting database cut during a provider outage, and a
   * provider down for longer than store-and-forward's 5-minute backoff cap.
   */
  async function overlapping(longOutageSeconds: number) {
    // Settled (and so never unhandled) at once; its failure is thrown below, once Temporal is back.
    let replacement: Promise<PromiseSettledResult<void>> | undefined;
    await temporalRestart(8, async () => {
      await stack.killWorker();
      counts.workerKills += 1;
      replacement = Promise.allSettled([stack.startWorker()]).then(
        ([started]) => started as PromiseSettledResult<void>,
      );
      await restartApi({ whileTemporalIsDown: true });
      log('worker killed and API restarted while Temporal is down');
    });
    const started = await replacement;
    if (started?.status === 'rejected') throw started.reason;
    await Promise.all([providerOutage('flash', 15), sleep(3_000).then(() => databaseCut(8))]);
    log(`netcare down for ${longOutageSeconds} s, past the 5-minute backoff cap`);
    await providerOutage('netcare', longOutageSeconds);
    counts.overlaps += 1;
  }

  /** The timetable of one cycle; faults never overlap, so each one's effect can be told apart. */
  const timetable: { at: number; run: () => Promise<void> }[] = [
    { at: 5, run: replaceWorker },
    {
      at: 12,
      run: () =>
        injectTimeouts([
          timeout('flash', 'provision', 3),
          timeout('netcare', 'provision', 1),
          timeout('flash', 'confirm', 2),
          timeout('flash', 'redeem', 1),
        ]),
    },
    { at: 18, run: () => databaseCut(10) },
    { at: 31, run: () => temporalRestart(5) },
    { at: 44, run: replaceWorker },
    { at: 50, run: () => providerOutage('flash', 10) },
    ...(stack.instances > 1 ? [{ at: 64, run: () => restartApi() }] : []),
    { at: 72, run: replaceWorker },
    { at: 76, run: () => injectTimeouts([timeout('flash', 'provision', 2), timeout('flash', 'reverse', 1)]) },
  ];

  return {
    counts,
    /** Runs `cycles` cycles of the timetable from now, then, given a long outage, the overlapping faults. */
    async run(cycles: number, longOutageSeconds?: number) {
      const start = Date.now();
      for (let cycle = 0; cycle < cycles; cycle++) {
        for (const step of timetable) {
          const due = start + (cycle * cycleSeconds + step.at) * 1_000;
          await sleep(Math.max(0, due - Date.now()));
          await step.run();
        }
      }
      await sleep(Math.max(0, start + cycles * cycleSeconds * 1_000 - Date.now()));
      if (longOutageSeconds !== undefined) await overlapping(longOutageSeconds);
    },
    /** Each outage's drain, once measured. */
    drains: () => Promise.all(drains),
  };
}

const seconds = (since: number) => ((Date.now() - since) / 1_000).toFixed(1);
