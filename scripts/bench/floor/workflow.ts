import { defineUpdate, proxyLocalActivities, setHandler, sleep } from '@temporalio/workflow';
import type { FloorActivities, FloorAnswer, FloorOrder } from './activities';

/**
 * The Temporal floor: the least a provision on Temporal can be. The update calls the simulator
 * once in a local activity and answers with what it said; the workflow then stays open on a
 * timer, as the switch's provisions stay open awaiting their confirmation.
 */

export const provide = defineUpdate<FloorAnswer, [FloorOrder]>('provide');

/** One attempt: a floor that retried would hide the failures the bench counts. */
const { provision } = proxyLocalActivities<FloorActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 1 },
});

/**
 * How long a bench provision stays open, the floor's and the switch's (its confirmation deadline):
 * past the whole run, so that no phase pays for the timers of an earlier one firing.
 */
export const benchProvisionsOpenForMs = 3 * 60 * 60 * 1000;

export async function floorProvision(): Promise<void> {
  setHandler(provide, (order) => provision(order));
  await sleep(benchProvisionsOpenForMs);
}
