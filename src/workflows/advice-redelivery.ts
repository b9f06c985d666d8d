import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AdviceRecord } from '../domain/lifecycle';
import type { AdviceRedelivery } from './messages';
import { storeAndForward } from './provider-leg';

const { recordAdviceRedelivery } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // A reporting outage delays the record; it is written once the copy is back.
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * The transaction's own workflow has finished with the refusal; this one delivers the advice by
 * the same store-and-forward, until the provider takes it or refuses it again, and records that.
 */
export async function redeliverAdvice({ actionId, operator, transactionId, target, advice }: AdviceRedelivery) {
  const record: AdviceRecord = { ...advice, saf: 'pending' };
  await storeAndForward(target, [record]);
  const saf = record.saf === 'pending' ? 'refused' : record.saf;
  await recordAdviceRedelivery({
    actionId,
    operator,
    transactionId,
    adviceId: advice.id,
    redelivery: {
      saf,
      attempts: record.attempts ?? 0,
      lastError: record.lastError,
      settledAt: record.settledAt ?? new Date().toISOString(),
    },
  });
  return record;
}
