import {
  condition,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { type AdviceRecord, adviceOperations, type Lifecycle, type TransactionOrigin } from '../domain/lifecycle';
import type { ProviderFailure } from '../domain/provider-protocol';
import { capabilitiesOf, providerProfiles } from '../domain/providers';
import { answerProviderFailure, phaseAfter, switchReversalReason } from '../domain/provision';
import { channelPaths, type TransactionReport } from '../domain/report';
import { answerUse, type UseInput, useOrder } from '../domain/use';
import {
  type ClaimAnswer,
  type PendingAdvice,
  refusedClaimAnswer,
  type UseOutcome,
  unknownVoucher,
  type VoucherRecord,
  type VoucherUse,
  voucherWorkflowId,
} from '../domain/voucher';
import { claimAnswered, submitUse, voucherEvent } from './messages';
import {
  type AdviceTarget,
  askProvider,
  awaitSettlement,
  finishEarlyReversal,
  finishRepeat,
  newLifecycle,
  providerAdvice,
  receiveRequest,
  reportingChain,
  settle,
  storeAndForward,
} from './transaction';

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
  let claim: ClaimAnswer | undefined;
  setHandler(claimAnswered, (answer) => {
    claim = answer;
  });
  // The channel's 202 for a confirmation or reversal waits until the voucher knows of it, so the
  // channel's next request for the voucher (a refund after a confirmed redemption) finds it up to date.
  let toldVoucher: Lifecycle['phase'] | undefined;
  const voucherKnowsSettlement = () =>
    (state.phase !== 'CONFIRMED' && state.phase !== 'REVERSED') || toldVoucher === state.phase;
  const received = await receiveRequest(use, state, submitUse, {
    startedWith: request,
    adviceInEffect: voucherKnowsSettlement,
  });
  if (received.earlierRun) return finishRepeat(state);
  const input = received.input;
  if (input === undefined) return finishEarlyReversal(use, state, origin);
  const reporting = reportingChain(() => useReport(input, state, voucherOf(claim)));
  const voucherWorkflow = getExternalWorkflowHandle(voucherWorkflowId(input.voucherKey));
  const tellVoucher = async (outcome: Omit<UseOutcome, 'use' | 'reference'>) => {
    const phase = state.phase;
    await voucherWorkflow
      .signal(voucherEvent, { type: 'outcome', outcome: { use, reference: input.switchReference, ...outcome } })
      .catch(() => undefined);
    toldVoucher = phase;
  };

  try {
    await voucherWorkflow.signal(voucherEvent, {
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
  const granted = claim as ClaimAnswer;
  if (!granted.granted) {
    state.answer = refusedClaimAnswer(granted, input.request.id);
    state.phase = 'DECLINED';
    reporting.record();
    await reporting.finish();
    return state;
  }

  const voucher = granted.voucher;
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
    // The provider could not be brought up to date, so it was not asked: nothing to reverse.
    state.answer = answerProviderFailure(input.request.id, voucher.provider, catchUp.failure);
    state.phase = 'DECLINED';
    await tellVoucher({ outcome: 'failed', delivered: catchUp.delivered });
    reporting.record();
    await reporting.finish();
    return state;
  }

  const order = useOrder(input, voucher);
  const attempt = await askProvider(capabilities.supportsRetries, target.deadlineMs, order, (activities) =>
    activities.useAtProvider({ provider: voucher.provider, use, order, deadlineMs: target.deadlineMs }),
  );
  state.answer = answerUse(input, voucher, attempt);
  state.providerLeg = attempt.trace;
  state.phase = phaseAfter(attempt);
  state.answeredAt = new Date().toISOString();
  if (attempt.ok) {
    await tellVoucher({ outcome: 'approved', delivered: catchUp.delivered });
  } else {
    const reversal =
      state.phase === 'REVERSED'
        ? settle(state, 'reverse', uuid4(), 'switch', switchReversalReason(attempt.failure))
        : undefined;
    await tellVoucher({ outcome: 'failed', delivered: catchUp.delivered, advice: pending(target, reversal) });
  }
  reporting.record();

  await awaitSettlement(state, input.settleAfterMs, input.messaging);
  if (attempt.ok && (state.phase === 'CONFIRMED' || state.phase === 'REVERSED')) {
    const settlement = state.advices[state.advices.length - 1];
    await tellVoucher({
      outcome: state.phase === 'CONFIRMED' ? 'confirmed' : 'reversed',
      delivered: [],
      advice: pending(target, settlement),
    });
  }
  if (state.advices.length > 0) {
    reporting.record();
    await storeAndForward(target, state.advices);
    reporting.record();
    for (const advice of state.advices) {
      await voucherWorkflow.signal(voucherEvent, { type: 'adviceSettled', adviceId: advice.id }).catch(() => undefined);
    }
  }
  await reporting.finish();
  return state;
}

/** The advice as the voucher keeps it until the provider has it; none for providers that take no advices. */
function pending(target: AdviceTarget, advice: AdviceRecord | undefined): PendingAdvice | undefined {
  if (!advice || !target.supportsAdvices) return undefined;
  return { operation: adviceOperations[target.type][advice.kind], ...providerAdvice(target, advice) };
}

/**
 * Delivers, once each, the advices the voucher's provider may not have yet (a confirmation still
 * queued for it, say), so that it does not refuse this request for their sake.
 */
async function deliverPendingAdvices(
  target: AdviceTarget,
  advices: PendingAdvice[],
): Promise<{ delivered: string[]; failure?: ProviderFailure }> {
  const { deliverAdvice } = proxyActivities<Activities>({
    startToCloseTimeout: target.deadlineMs + 5_000,
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

function voucherOf(claim: ClaimAnswer | undefined): VoucherRecord | undefined {
  return claim?.granted ? claim.voucher : undefined;
}

function useReport(input: UseInput, lifecycle: Lifecycle, voucher: VoucherRecord | undefined): TransactionReport {
  const approved = lifecycle.providerLeg?.response as { providerReference?: string } | undefined;
  return {
    type: input.type,
    transactionId: input.transactionId,
    runId: workflowInfo().runId,
    channelId: input.channelId,
    channelPath: channelPaths[input.type],
    request: input.request,
    receivedAt: input.receivedAt,
    answeredAt: lifecycle.answeredAt,
    provider: voucher?.provider,
    voucherProvider: voucher?.voucherProvider,
    productId: voucher?.product?.productId,
    switchReference: input.switchReference,
    providerReference: lifecycle.phase === 'DECLINED' ? undefined : approved?.providerReference,
    voucherCode: input.request.voucher.code,
    voucherKey: input.voucherKey,
    voucherSerialNumber: voucher?.voucher.serialNumber,
    providerLeg: lifecycle.providerLeg,
    lifecycle,
  };
}
