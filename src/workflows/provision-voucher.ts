import {
  condition,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  setHandler,
  startChild,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { ChannelAnswer } from '../contract/answers';
import { adviceOperations, type Lifecycle, type TransactionOrigin } from '../domain/lifecycle';
import { capabilitiesOf, type ProviderCapabilities, providerProfiles } from '../domain/providers';
import {
  answerProvision,
  type ProvisionAttempt,
  type ProvisionInput,
  phaseAfter,
  provisionOrder,
  switchReversalReason,
} from '../domain/provision';
import { channelPaths, type TransactionReport } from '../domain/report';
import {
  type ClaimAnswer,
  type PendingAdvice,
  refusedClaimAnswer,
  type VoucherDetails,
  type VoucherRecord,
  voucherWorkflowId,
} from '../domain/voucher';
import { claimAnswered, type ReversalAdvice, submitProvision, voucherEvent } from './messages';
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
  type SettlementLock,
  settle,
  storeAndForward,
} from './transaction';
import { voucherLifecycle } from './voucher-lifecycle';

/**
 * The patch under which a single-messaging voucher is usable as soon as the channel has its 201:
 * its workflow starts then, holding the confirmation the switch owes the provider, and a channel
 * reversal within the window takes it back unless it was used.
 */
const singleMessagingVoucherAtAnswer = 'single-messaging-voucher-at-answer';

/**
 * One voucher provision and its life cycle: ask the provider once, answer the channel, then
 * settle by the channel's confirmation or reversal (or the switch's own, on a timer or a
 * failure), and deliver that advice to the provider by store-and-forward. A confirmed voucher
 * gets a workflow of its own for its redemptions and refunds; under single messaging it gets it
 * with the channel's 201.
 */
export async function provisionVoucher(origin?: TransactionOrigin, request?: ProvisionInput): Promise<Lifecycle> {
  const state = newLifecycle();
  const lock: SettlementLock = { held: false };
  // A confirmed voucher is redeemable as soon as the channel has its 202: its workflow exists by then.
  let voucherWorkflowReady = false;
  // And a single-messaging voucher as soon as the channel has its 201.
  let answerReady = false;
  // Single messaging: the voucher's workflow started with the answer, and the switch's confirmation it holds.
  let usableVoucher: { key: string; confirmationId: string; reference: string } | undefined;
  // The voucher's workflow's answer to a withdrawal.
  const withdrawal: { answer?: ClaimAnswer } = {};
  setHandler(claimAnswered, (answer) => {
    withdrawal.answer = answer;
  });
  const received = await receiveRequest('provision', state, submitProvision, {
    startedWith: request,
    lock,
    adviceInEffect: () => voucherWorkflowReady || state.phase !== 'CONFIRMED',
    answerInEffect: () => answerReady,
    beforeReversal: async (advice: ReversalAdvice) => {
      if (!usableVoucher) return undefined;
      withdrawal.answer = undefined;
      await getExternalWorkflowHandle(voucherWorkflowId(usableVoucher.key)).signal(voucherEvent, {
        type: 'withdraw',
        reference: usableVoucher.reference,
        workflowId: workflowInfo().workflowId,
      });
      const answered = () => withdrawal.answer;
      await condition(() => answered() !== undefined);
      const answer = answered() as ClaimAnswer;
      if (answer.granted) return undefined;
      return refusedClaimAnswer(answer, advice.id, advice.requestId);
    },
  });
  if (received.earlierRun) return finishRepeat(state);
  const input = received.input;
  if (input === undefined) return finishEarlyReversal('provision', state, origin);
  state.provider = input.provider;
  const capabilities = input.capabilities ?? capabilitiesOf(providerProfiles[input.provider]);

  const order = provisionOrder(input);
  const attempt: ProvisionAttempt = await askProvider(capabilities.supportsRetries, input.deadlineMs, order, (a) =>
    a.provisionAtProvider({ provider: input.provider, order, deadlineMs: input.deadlineMs }),
  );
  state.answer = answerProvision(input, attempt);
  state.answeredAt = new Date().toISOString();
  state.providerLeg = attempt.trace;
  state.phase = phaseAfter(attempt);
  if (!attempt.ok && state.phase === 'REVERSED') {
    settle(state, 'reverse', uuid4(), 'switch', switchReversalReason(attempt.failure));
  }
  const reporting = reportingChain(() => provisionReport(input, attempt, state));
  reporting.record();
  const voucherKey = attempt.ok ? attempt.voucherKey : undefined;
  const target: AdviceTarget = {
    type: 'provision',
    provider: input.provider,
    supportsAdvices: capabilities.supportsAdvices,
    deadlineMs: input.deadlineMs,
    requestReference: input.switchReference,
    channelMessageId: input.request.id,
  };

  if (
    input.messaging === 'single' &&
    state.phase === 'APPROVED' &&
    voucherKey !== undefined &&
    patched(singleMessagingVoucherAtAnswer)
  ) {
    const confirmationId = uuid4();
    const confirmation = pendingConfirmation(target, confirmationId);
    const record = voucherRecord(input, state.answer as ChannelAnswer, voucherKey, confirmation, capabilities);
    // A reversal arriving meanwhile waits, so that it finds the voucher to take back.
    lock.held = true;
    if (await startVoucherWorkflow({ ...record, withdrawable: true })) {
      usableVoucher = { key: voucherKey, confirmationId, reference: input.switchReference };
    }
    lock.held = false;
  }
  answerReady = true;
  const confirmationId = usableVoucher?.confirmationId;
  await awaitSettlement(state, input.settleAfterMs, input.messaging, {
    lock,
    adviceId: confirmationId === undefined ? undefined : () => confirmationId,
  });
  if (state.phase === 'CONFIRMED' && voucherKey !== undefined && !usableVoucher) {
    const confirmation = state.advices.find((a) => a.kind === 'confirm');
    const pending = confirmation && pendingConfirmation(target, confirmation.id);
    await startVoucherWorkflow(voucherRecord(input, state.answer as ChannelAnswer, voucherKey, pending, capabilities));
  }
  voucherWorkflowReady = true;
  if (state.advices.length > 0) {
    reporting.record();
    await storeAndForward(target, state.advices);
    reporting.record();
    if (state.phase === 'CONFIRMED' && voucherKey !== undefined) {
      await confirmationDelivered(voucherKey, state.advices, usableVoucher?.confirmationId);
    }
  }
  await reporting.finish();
  return state;
}

/** The confirmation the voucher's provider must have before anything else is asked of it; none if it takes no advices. */
function pendingConfirmation(target: AdviceTarget, adviceId: string): PendingAdvice | undefined {
  if (!target.supportsAdvices) return undefined;
  return { operation: adviceOperations.provision.confirm, ...providerAdvice(target, { id: adviceId }) };
}

/** The voucher as its workflow keeps it: the details the channel was answered with. */
function voucherRecord(
  input: ProvisionInput,
  answer: ChannelAnswer,
  key: string,
  pending: PendingAdvice | undefined,
  capabilities: ProviderCapabilities,
): VoucherRecord {
  const { voucher, product, amounts, receiver, settlementEntity, thirdPartyIdentifiers, rrn, posInfo } =
    answer.body as unknown as VoucherDetails;
  return {
    key,
    provider: input.provider,
    voucherProvider: input.voucherProvider,
    voucher,
    product,
    amounts,
    receiver,
    settlementEntity,
    thirdPartyIdentifiers,
    rrn,
    posInfo,
    provision: { channelId: input.channelId, requestId: input.request.id, switchReference: input.switchReference },
    state: 'REDEEMABLE',
    pendingAdvices: pending ? [pending] : [],
    // Absent for inputs from before capabilities travelled with the transaction, as the record was then.
    ...(input.capabilities ? { capabilities } : {}),
  };
}

/** Starts the voucher's workflow; false when a voucher with that code already has one. */
async function startVoucherWorkflow(record: VoucherRecord): Promise<boolean> {
  try {
    await startChild(voucherLifecycle, {
      workflowId: voucherWorkflowId(record.key),
      args: [record],
      // The voucher outlives its provision.
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    return true;
  } catch (error) {
    // Only a voucher code issued twice gets here; the first voucher keeps the code.
    log.error('voucher workflow not started', { voucherKey: record.key, error: (error as Error).message });
    return false;
  }
}

/**
 * The voucher's workflow learns that its provider has the confirmation, under the id it holds
 * it by (the switch's own, for a single-messaging voucher usable before it was confirmed).
 */
async function confirmationDelivered(voucherKey: string, advices: Lifecycle['advices'], heldAs?: string) {
  const voucher = getExternalWorkflowHandle(voucherWorkflowId(voucherKey));
  for (const advice of advices.filter((a) => a.kind === 'confirm' && a.saf !== 'pending')) {
    for (const adviceId of new Set([advice.id, heldAs ?? advice.id])) {
      await voucher.signal(voucherEvent, { type: 'adviceSettled', adviceId }).catch(() => undefined);
    }
  }
}

function provisionReport(input: ProvisionInput, attempt: ProvisionAttempt, lifecycle: Lifecycle): TransactionReport {
  const { request } = input;
  const amount = request.amounts?.requestAmount;
  const issued = attempt.ok ? attempt : undefined;
  return {
    type: 'provision',
    transactionId: input.transactionId,
    runId: workflowInfo().runId,
    channelId: input.channelId,
    channelPath: channelPaths.provision,
    request,
    receivedAt: input.receivedAt,
    answeredAt: lifecycle.answeredAt,
    provider: input.provider,
    voucherProvider: input.voucherProvider,
    productId: request.product?.productId,
    amount: amount && { amount: amount.amount, currency: amount.currency },
    switchReference: input.switchReference,
    providerReference: issued?.value.providerReference,
    voucherCode: issued?.value.voucher.code,
    voucherKey: issued?.voucherKey,
    voucherSerialNumber: issued?.value.voucher.serialNumber,
    providerLeg: attempt.trace,
    lifecycle,
  };
}
