import { condition, getExternalWorkflowHandle, patched, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import { isProvisionAnswer } from '../contract/answers';
import { type AdviceTarget, pendingAdvice } from '../domain/advices';
import { type Lifecycle, newLifecycle, settle, type TransactionOrigin } from '../domain/lifecycle';
import { capabilitiesOf, providerProfiles } from '../domain/providers';
import {
  answerProvision,
  type ProvisionAttempt,
  type ProvisionInput,
  phaseAfter,
  provisionOrder,
  switchReversalReason,
} from '../domain/provision';
import { provisionReport } from '../domain/report';
import { type ClaimAnswer, refusedClaimAnswer, voucherRecordOf, voucherWorkflowId } from '../domain/voucher';
import { awaitSettlement, receiveRequest, type SettlementLock } from './channel-messages';
import { claimAnswered, type ReversalAdvice, submitProvision, voucherEvent } from './messages';
import { askProvider, storeAndForward } from './provider-leg';
import { finishEarlyReversal, finishRepeat, reportingChain } from './recording';
import { startVoucherWorkflow, tellAdvicesSettled } from './voucher-link';

/**
 * The patch under which a single-messaging voucher is usable as soon as the channel has its 201:
 * its workflow starts then, holding the confirmation the switch owes the provider, and a channel
 * reversal within the window takes it back unless it was used.
 */
const singleMessagingVoucherAtAnswer = 'single-messaging-voucher-at-answer';

/** A single-messaging voucher usable from the channel's 201: its key, and the confirmation its workflow holds. */
interface UsableVoucher {
  key: string;
  confirmationId: string;
  reference: string;
}

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
  let usableVoucher: UsableVoucher | undefined;
  const withdraw = voucherWithdrawal(() => usableVoucher);
  const received = await receiveRequest('provision', state, submitProvision, {
    startedWith: request,
    lock,
    adviceInEffect: () => voucherWorkflowReady || state.phase !== 'CONFIRMED',
    answerInEffect: () => answerReady,
    beforeReversal: withdraw,
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
    const reason = switchReversalReason(attempt.failure);
    settle(state, { kind: 'reverse', id: uuid4(), origin: 'switch', reason }, new Date());
  }
  const reporting = reportingChain(() => provisionReport(input, attempt, state, workflowInfo().runId));
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
  const voucherRecord = (key: string, confirmationId: string | undefined) =>
    isProvisionAnswer(state.answer)
      ? voucherRecordOf(input, state.answer, key, confirmation(target, confirmationId), capabilities)
      : undefined;

  if (
    input.messaging === 'single' &&
    state.phase === 'APPROVED' &&
    voucherKey !== undefined &&
    patched(singleMessagingVoucherAtAnswer)
  ) {
    const confirmationId = uuid4();
    const record = voucherRecord(voucherKey, confirmationId);
    // A reversal arriving meanwhile waits, so that it finds the voucher to take back.
    lock.held = true;
    if (record && (await startVoucherWorkflow({ ...record, withdrawable: true }))) {
      usableVoucher = { key: voucherKey, confirmationId, reference: input.switchReference };
    }
    lock.held = false;
  }
  answerReady = true;
  const heldConfirmation = usableVoucher?.confirmationId;
  await awaitSettlement(state, input.settleAfterMs, input.messaging, {
    lock,
    adviceId: heldConfirmation === undefined ? undefined : () => heldConfirmation,
  });
  if (state.phase === 'CONFIRMED' && voucherKey !== undefined && !usableVoucher) {
    const record = voucherRecord(voucherKey, state.advices.find((a) => a.kind === 'confirm')?.id);
    if (record) await startVoucherWorkflow(record);
  }
  voucherWorkflowReady = true;
  if (state.advices.length > 0) {
    reporting.record();
    await storeAndForward(target, state.advices);
    reporting.record();
    if (state.phase === 'CONFIRMED' && voucherKey !== undefined) {
      // Under the switch's own confirmation id too, for a single-messaging voucher usable before it was confirmed.
      const delivered = state.advices.filter((a) => a.kind === 'confirm' && a.saf !== 'pending');
      await tellAdvicesSettled(voucherKey, new Set(delivered.flatMap((a) => [a.id, heldConfirmation ?? a.id])));
    }
  }
  await reporting.finish();
  return state;
}

/** The confirmation the voucher's provider must have before anything else is asked of it. */
function confirmation(target: AdviceTarget, adviceId: string | undefined) {
  return adviceId === undefined ? undefined : pendingAdvice(target, { kind: 'confirm', id: adviceId });
}

/**
 * A channel's reversal of a single-messaging voucher that was usable from its 201 first takes
 * the voucher back from its workflow; a voucher already used refuses it, with the reason.
 */
function voucherWithdrawal(usable: () => UsableVoucher | undefined) {
  const withdrawal: { answer?: ClaimAnswer } = {};
  setHandler(claimAnswered, (answer) => {
    withdrawal.answer = answer;
  });
  return async (advice: ReversalAdvice) => {
    const voucher = usable();
    if (!voucher) return undefined;
    withdrawal.answer = undefined;
    await getExternalWorkflowHandle(voucherWorkflowId(voucher.key)).signal(voucherEvent, {
      type: 'withdraw',
      reference: voucher.reference,
      workflowId: workflowInfo().workflowId,
    });
    await condition(() => withdrawal.answer !== undefined);
    const answer = withdrawal.answer as ClaimAnswer | undefined;
    if (!answer || answer.granted) return undefined;
    return refusedClaimAnswer(answer, advice.id, advice.requestId);
  };
}
