import type { UpdateDefinition } from '@temporalio/common';
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  uuid4,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  type AdviceDecision,
  type AdviceKind,
  type AdviceRecord,
  answerRepeatedSubmission,
  type ChannelAdvice,
  decideConfirm,
  decideReverse,
  type Lifecycle,
} from '../domain/lifecycle';
import { providerProfiles } from '../domain/providers';
import {
  answerProvision,
  type ChannelAnswer,
  lostAttempt,
  type ProvisionAttempt,
  type ProvisionInput,
  phaseAfter,
  provisionOrder,
  switchReversalReason,
} from '../domain/provision';
import { confirmProvision, provisionSnapshot, rejectedWithAnswer, reverseProvision, submitProvision } from './messages';

const { recordProvision } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // No attempt limit: the reporting copy catches up whenever its database is back.
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** Rejects an update with the channel's answer: a rejected update leaves no trace in history. */
function reject(answer: ChannelAnswer): never {
  throw ApplicationFailure.create({ type: rejectedWithAnswer, nonRetryable: true, details: [answer] });
}

/**
 * One voucher provision and its life cycle: ask the provider once, answer the channel, then
 * settle by the channel's confirmation or reversal (or the switch's own, on a timer or a
 * failure), and deliver that advice to the provider by store-and-forward.
 */
export async function provisionVoucher(): Promise<Lifecycle> {
  const state: Lifecycle = { phase: 'AWAITING_REQUEST', advices: [] };
  let input: ProvisionInput | undefined;
  // Advices that arrive while the provider is being asked wait for its answer.
  const notInFlight = () => state.phase !== 'PROVISIONING';

  setHandler(provisionSnapshot, () => ({ ...state, provider: input?.provider }));

  setHandler(
    submitProvision,
    async (given, mode) => {
      if (input === undefined && state.earlyReversalId === undefined) {
        input = given;
        state.phase = 'PROVISIONING';
      }
      await condition(() => state.answer !== undefined || input === undefined);
      return input === given
        ? (state.answer as ChannelAnswer)
        : answerRepeatedSubmission(state, given.request.id, mode);
    },
    {
      validator: (given, mode) => {
        if (state.earlyReversalId !== undefined) reject(answerRepeatedSubmission(state, given.request.id, mode));
      },
    },
  );

  function settle(kind: AdviceKind, id: string, origin: AdviceRecord['origin'], reason?: string) {
    state.advices.push({ kind, id, origin, reason, saf: 'pending' });
    state.phase = kind === 'confirm' ? 'CONFIRMED' : 'REVERSED';
  }

  function handleAdvice<A extends ChannelAdvice & { reversalReason?: string }>(
    update: UpdateDefinition<ChannelAnswer, [A]>,
    kind: AdviceKind,
    decide: (state: Lifecycle, advice: A) => AdviceDecision,
  ) {
    setHandler(
      update,
      async (advice) => {
        await condition(notInFlight);
        const decision = decide(state, advice);
        if (decision.accept && decision.settle) settle(kind, advice.id, 'channel', advice.reversalReason);
        if (!decision.accept && decision.remember) state.earlyReversalId = advice.id;
        return decision.answer;
      },
      {
        validator: (advice) => {
          if (!notInFlight()) return;
          const decision = decide(state, advice);
          if (!decision.accept && !decision.remember) reject(decision.answer);
        },
      },
    );
  }
  handleAdvice(confirmProvision, 'confirm', decideConfirm);
  handleAdvice(reverseProvision, 'reverse', decideReverse);

  await condition(() => input !== undefined || state.earlyReversalId !== undefined);
  if (input === undefined) {
    // Only a reversal came: the finished workflow keeps it, and refuses the request if it comes late.
    await condition(allHandlersFinished);
    return state;
  }

  const submitted: ProvisionInput = input;
  const attempt = await provisionAtProvider(submitted);
  const answeredAt = new Date().toISOString();
  state.answer = answerProvision(submitted, attempt);
  state.provisionLeg = attempt.trace;
  state.phase = phaseAfter(attempt);
  if (!attempt.ok && state.phase === 'REVERSED') {
    settle('reverse', uuid4(), 'switch', switchReversalReason(attempt.failure));
  }

  // Writes to the reporting copy run one after another, each with the state of its moment, and
  // never hold up the transaction: a reporting outage delays neither timers nor deliveries.
  let recording = Promise.resolve();
  const record = () => {
    recording = recording.then(() => recordProvision({ input: submitted, attempt, answeredAt, lifecycle: state }));
  };
  record();

  if (
    state.phase === 'PROVISIONED' &&
    !(await condition(() => state.phase !== 'PROVISIONED', submitted.settleAfterMs))
  ) {
    // Single messaging: the switch confirms for the channel. Dual: an unconfirmed provision is reversed.
    settle(submitted.messaging === 'single' ? 'confirm' : 'reverse', uuid4(), 'switch', 'TIMEOUT');
  }
  if (state.advices.length > 0) {
    record();
    await storeAndForward(submitted, state.advices);
    record();
  }
  await recording;
  await condition(allHandlersFinished);
  return state;
}

async function provisionAtProvider(input: ProvisionInput): Promise<ProvisionAttempt> {
  const activities = proxyActivities<Activities>({
    // The activity gives up at the provider's deadline itself; this bound only catches a lost worker.
    startToCloseTimeout: input.deadlineMs + 5_000,
    // A provision is never repeated blindly: an unknown outcome is settled by reversal instead.
    retry: { maximumAttempts: 1 },
  });
  const order = provisionOrder(input);
  const startedAt = new Date().toISOString();
  try {
    return await activities.provisionAtProvider({ provider: input.provider, order, deadlineMs: input.deadlineMs });
  } catch (error) {
    return lostAttempt(order, startedAt, (error as Error).message);
  }
}

/** Delivers each advice until the provider settles it; providers without advices have them consumed. */
async function storeAndForward(input: ProvisionInput, advices: AdviceRecord[]) {
  const { deliverAdvice } = proxyActivities<Activities>({
    startToCloseTimeout: input.deadlineMs + 5_000,
    // No attempt limit and no time limit: the advice is repeated until the provider answers.
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });
  for (const advice of advices.filter((a) => a.saf === 'pending')) {
    if (!providerProfiles[input.provider].supportsAdvices) {
      advice.saf = 'consumed';
      continue;
    }
    const delivery = await deliverAdvice({
      provider: input.provider,
      kind: advice.kind,
      advice: {
        id: advice.id,
        requestId: input.switchReference,
        channelMessageId: input.request.id,
        reason: advice.reason,
      },
      deadlineMs: input.deadlineMs,
    });
    advice.saf = delivery.saf;
    advice.lastError = delivery.error;
    advice.trace = delivery.trace;
  }
}
