import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { type AdviceTarget, providerAdvice } from '../domain/advices';
import { type AdviceRecord, adviceOperations } from '../domain/lifecycle';
import type { ProviderFailure } from '../domain/provider-protocol';
import { lostAttempt, type ProviderAttempt } from '../domain/provision';
import type { PendingAdvice } from '../domain/voucher';

/*
 * Talking to the provider: the request, asked once, and the advices, delivered by
 * store-and-forward until the provider has them.
 */

/** Each call gives up at the provider's deadline itself; the activity's own bound only catches a lost worker. */
function lostWorkerBound(deadlineMs: number) {
  return deadlineMs + 5_000;
}

/**
 * Calls the provider once. A request is never repeated blindly: an unknown outcome is settled
 * by reversal instead. A lost worker ends the call like a provider timeout.
 *
 * For a provider that takes retries, the call is a local activity: it runs inside the workflow
 * task, which saves a round trip through the server on every request. Should the worker be lost
 * mid-call, the next worker asks again with the same switch reference, which such a provider
 * answers with the same outcome. A provider without retries would refuse that second request,
 * so it gets a regular activity whose loss is settled by reversal.
 */
export async function askProvider<T>(
  supportsRetries: boolean,
  deadlineMs: number,
  order: unknown,
  call: (activities: Activities) => Promise<ProviderAttempt<T>>,
): Promise<ProviderAttempt<T>> {
  const options = {
    startToCloseTimeout: lostWorkerBound(deadlineMs),
    retry: { maximumAttempts: 1 },
  };
  const activities = supportsRetries ? proxyLocalActivities<Activities>(options) : proxyActivities<Activities>(options);
  const startedAt = new Date().toISOString();
  try {
    return await call(activities);
  } catch (error) {
    return lostAttempt(order, startedAt, (error as Error).message);
  }
}

/** Delivers each pending advice until the provider settles it; providers without advices have them consumed. */
export async function storeAndForward(target: AdviceTarget, advices: AdviceRecord[]) {
  const { deliverAdvice } = proxyActivities<Activities>({
    startToCloseTimeout: lostWorkerBound(target.deadlineMs),
    // No attempt limit and no time limit: the advice is repeated until the provider answers.
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });
  for (const advice of advices.filter((a) => a.saf === 'pending')) {
    if (!target.supportsAdvices) {
      advice.saf = 'consumed';
      continue;
    }
    const delivery = await deliverAdvice({
      provider: target.provider,
      operation: adviceOperations[target.type][advice.kind],
      advice: providerAdvice(target, advice),
      deadlineMs: target.deadlineMs,
    });
    advice.saf = delivery.saf;
    advice.attempts = delivery.attempts;
    advice.lastError = delivery.error;
    advice.trace = delivery.trace;
    advice.settledAt = new Date().toISOString();
  }
}

/**
 * Delivers, once each, the advices the voucher's provider may not have yet (a confirmation still
 * queued for it, say), so that it does not refuse this request for their sake.
 */
export async function deliverPendingAdvices(
  target: AdviceTarget,
  advices: PendingAdvice[],
): Promise<{ delivered: string[]; failure?: ProviderFailure }> {
  const { deliverAdvice } = proxyActivities<Activities>({
    startToCloseTimeout: lostWorkerBound(target.deadlineMs),
    retry: { maximumAttempts: 1 },
  });
  const delivered: string[] = [];
  for (const { operation, ...advice } of advices) {
    try {
      await deliverAdvice({ provider: target.provider, operation, advice, deadlineMs: target.deadlineMs });
      delivered.push(advice.id);
    } catch (error) {
      return {
        delivered,
        failure: { kind: 'unavailable', message: `pending ${operation}: ${(error as Error).message}` },
      };
    }
  }
  return { delivered };
}
