import { allHandlersFinished, condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  answerProvision,
  type ChannelAnswer,
  duplicateAnswer,
  lostAttempt,
  type ProvisionAttempt,
  type ProvisionInput,
  type ProvisionState,
  provisionOrder,
  stateAfter,
} from '../domain/provision';
import { provisionSnapshot, submitProvision } from './messages';

const { recordProvision } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // No attempt limit: the reporting copy catches up whenever its database is back.
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** One voucher provision: ask the provider once, answer the channel, record the transaction. */
export async function provisionVoucher(input: ProvisionInput): Promise<ChannelAnswer> {
  let state: ProvisionState = 'PROVISIONING';
  let answer: ChannelAnswer | undefined;
  let submissions = 0;

  setHandler(provisionSnapshot, () => ({ state, provider: input.provider, answer }));
  setHandler(submitProvision, async () => {
    const first = submissions++ === 0;
    await condition(() => answer !== undefined);
    const original = answer as ChannelAnswer;
    return first ? original : duplicateAnswer(input.request.id, original);
  });

  const { provisionAtProvider } = proxyActivities<Activities>({
    // The activity gives up at the provider's deadline itself; this bound only catches a lost worker.
    startToCloseTimeout: input.deadlineMs + 5_000,
    // A provision is never repeated blindly: an unknown outcome is settled by reversal instead.
    retry: { maximumAttempts: 1 },
  });
  const order = provisionOrder(input);
  const startedAt = new Date().toISOString();
  let attempt: ProvisionAttempt;
  try {
    attempt = await provisionAtProvider({ provider: input.provider, order, deadlineMs: input.deadlineMs });
  } catch (error) {
    attempt = lostAttempt(order, startedAt, (error as Error).message);
  }
  answer = answerProvision(input, attempt);
  state = stateAfter(attempt);

  await recordProvision({ input, attempt, answer, answeredAt: new Date().toISOString() });
  await condition(allHandlersFinished);
  return answer;
}
