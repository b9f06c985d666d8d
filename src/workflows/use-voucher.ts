import { condition, getExternalWorkflowHandle, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import type { ChannelAnswer } from '../contract/answers';
import { type AdviceTarget, pendingAdvice } from '../domain/advices';
import { type Lifecycle, newLifecycle, settle, type TransactionOrigin } from '../domain/lifecycle';
import { capabilitiesOf, providerProfiles } from '../domain/providers';
import { answerProviderFailure, phaseAfter, switchReversalReason } from '../domain/provision';
import { useReport } from '../domain/report';
import { answerUse, type UseInput, useOrder } from '../domain/use';
import {
  type ClaimAnswer,
  refusedClaimAnswer,
  type UseOutcome,
  unknownVoucher,
  type VoucherRecord,
  type VoucherUse,
  voucherWorkflowId,
} from '../domain/voucher';
import { awaitSettlement, receiveRequest } from './channel-messages';
import { claimAnswered, submitUse, voucherEvent } from './messages';
import { askProvider, deliverPendingAdvices, storeAndForward } from './provider-leg';
import { finishEarlyReversal, finishRepeat, reportingChain } from './recording';
import { tellAdvicesSettled, tellUseOutcome } from './voucher-link';

/** One redemption of a voucher and its life cycle. */
export async function redeemVoucher(origin?: TransactionOrigin, request?: UseInput): Promise<Lifecycle> {
  return useVoucher('redemption', origin, request);
}

/** One refund of a voucher's confirmed redemption and its life cycle. */
export async function refundVoucher(origin?: TransactionOrigin, request?: UseInput): Promise<Lifecycle> {
  return useVoucher('refund', origin, request);
}

/**
 * A redemption or refund: claim the voucher from its workflow, bring the provider up to date
 * with the voucher's pending advices, ask the provider once, answer the channel, then settle and
 * deliver the advice by store-and-forward, telling the voucher each step.
 */
async function useVoucher(use: VoucherUse, origin?: TransactionOrigin, request?: UseInput): Promise<Lifecycle> {
  const state = newLifecycle();
  const claim = claimReceiver();
  // The channel's 202 for a confirmation or reversal waits until the voucher knows of it, so the
  // channel's next request for the voucher (a refund after a confirmed redemption) finds it up to date.
  let toldVoucher: Lifecycle['phase'] | undefined;
  const voucherKnowsSettlement = () =>
    (state.phase !== 'CONFIRMED' && state.phase !== 'REVERSED') || toldVoucher === state.phase;
  const received = await receiveRequest(use, state, submitUse, {
    startedWith: request,
    earlierRunAtStart: origin?.earlierRun,
    adviceInEffect: voucherKnowsSettlement,
  });
  if (received.earlierRun) return finishRepeat(state);
  const input = received.input;
  if (input === undefined) return finishEarlyReversal(use, state, origin);
  const reporting = reportingChain(() => useReport(input, state, claim.voucher(), workflowInfo().runId));
  const tellVoucher = async (outcome: Omit<UseOutcome, 'use' | 'reference'>) => {
    const phase = state.phase;
    await tellUseOutcome(input.voucherKey, { use, reference: input.switchReference, ...outcome });
    toldVoucher = phase;
  };

  const granted = await claim.ask(use, input);
  if (granted.granted) {
    const attempt = await askTheVoucherProvider(use, input, granted.voucher, state, tellVoucher);
    reporting.record();
    if (attempt.ok) {
      await awaitSettlement(state, input.settleAfterMs, input.messaging);
      await tellVoucher({ outcome: settledOutcome(state), delivered: [], advice: lastAdvice(attempt.target, state) });
    }
    if (state.advices.length > 0) {
      reporting.record();
      await storeAndForward(attempt.target, state.advices);
      reporting.record();
      await tellAdvicesSettled(
        input.voucherKey,
        state.advices.map((advice) => advice.id),
      );
    }
  } else {
    state.answer = refusedClaimAnswer(granted, input.request.id);
    state.phase = 'DECLINED';
    reporting.record();
  }
  await reporting.finish();
  return state;
}

/**
 * Brings the voucher's provider up to date, then asks it once and answers the channel; tells the
 * voucher how it went. A provider that could not be brought up to date is not asked.
 */
async function askTheVoucherProvider(
  use: VoucherUse,
  input: UseInput,
  voucher: VoucherRecord,
  state: Lifecycle,
  tellVoucher: (outcome: Omit<UseOutcome, 'use' | 'reference'>) => Promise<void>,
): Promise<{ ok: boolean; target: AdviceTarget }> {
  state.provider = voucher.provider;
  const capabilities = voucher.capabilities ?? capabilitiesOf(providerProfiles[voucher.provider]);
  const target: AdviceTarget = {
    type: use,
    provider: voucher.provider,
    supportsAdvices: capabilities.supportsAdvices,
    deadlineMs: input.deadlinesMs[voucher.provider],
    requestReference: input.switchReference,
    channelMessageId: input.request.id,
  };
  const catchUp = await deliverPendingAdvices(target, voucher.pendingAdvices);
  if (catchUp.failure) {
    // Nothing was asked of the provider: nothing to reverse.
    answer(state, answerProviderFailure(input.request.id, voucher.provider, catchUp.failure), 'DECLINED');
    await tellVoucher({ outcome: 'failed', delivered: catchUp.delivered });
    return { ok: false, target };
  }
  const order = useOrder(input, voucher);
  const attempt = await askProvider(capabilities.supportsRetries, target.deadlineMs, order, (activities) =>
    activities.useAtProvider({ provider: voucher.provider, use, order, deadlineMs: target.deadlineMs }),
  );
  state.providerLeg = attempt.trace;
  answer(state, answerUse(input, voucher, attempt), phaseAfter(attempt));
  if (attempt.ok) {
    await tellVoucher({ outcome: 'approved', delivered: catchUp.delivered });
  } else {
    const reason = switchReversalReason(attempt.failure);
    const reversal =
      state.phase === 'REVERSED'
        ? settle(state, { kind: 'reverse', id: uuid4(), origin: 'switch', reason }, new Date())
        : undefined;
    await tellVoucher({ outcome: 'failed', delivered: catchUp.delivered, advice: pendingAdvice(target, reversal) });
  }
  return { ok: attempt.ok, target };
}

function answer(state: Lifecycle, channelAnswer: ChannelAnswer, phase: Lifecycle['phase']) {
  state.answer = channelAnswer;
  state.phase = phase;
  state.answeredAt = new Date().toISOString();
}

function settledOutcome(state: Lifecycle): 'confirmed' | 'reversed' {
  return state.phase === 'CONFIRMED' ? 'confirmed' : 'reversed';
}

function lastAdvice(target: AdviceTarget, state: Lifecycle) {
  return pendingAdvice(target, state.advices[state.advices.length - 1]);
}

/** Asks the voucher's workflow for the voucher, and takes its answer. */
function claimReceiver() {
  let claim: ClaimAnswer | undefined;
  setHandler(claimAnswered, (answer) => {
    claim = answer;
  });
  return {
    voucher: (): VoucherRecord | undefined => (claim?.granted ? claim.voucher : undefined),
    async ask(use: VoucherUse, input: UseInput): Promise<ClaimAnswer> {
      try {
        await getExternalWorkflowHandle(voucherWorkflowId(input.voucherKey)).signal(voucherEvent, {
          type: 'claim',
          claim: {
            use,
            reference: input.switchReference,
            workflowId: workflowInfo().workflowId,
            channelId: input.channelId,
          },
        });
        await condition(() => claim !== undefined);
      } catch {
        // No workflow for this code: the switch never issued it, or it is unconfirmed, reversed or expired.
        claim = unknownVoucher(use);
      }
      return claim as ClaimAnswer;
    },
  };
}
