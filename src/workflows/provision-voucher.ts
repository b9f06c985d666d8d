import { condition, getExternalWorkflowHandle, patched, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import type { RecordedProvisionAttempt } from '../activities/answered-provision';
import { isProvisionAnswer } from '../contract/answers';
import { type AdviceTarget, pendingAdvice } from '../domain/advices';
import { type Lifecycle, newLifecycle, settle, type TransactionOrigin } from '../domain/lifecycle';
import { capabilitiesOf, type ProviderCapabilities, providerProfiles } from '../domain/providers';
import { answered, type ProvisionInput, provisionOrder, switchReversalReason } from '../domain/provision';
import { provisionReport } from '../domain/report';
import { type ClaimAnswer, refusedClaimAnswer, voucherRecordOf, voucherWorkflowId } from '../domain/voucher';
import { answerInOneActivity, awaitSettlement, receiveRequest, type SettlementLock } from './channel-messages';
import { claimAnswered, type ReversalAdvice, submitProvision, voucherEvent } from './messages';
import { askProvider, storeAndForward } from './provider-leg';
import { finishEarlyReversal, finishRepeat, nextRevision, reportingChain } from './recording';
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
  // The channel's 201 waits for a single-messaging voucher's workflow, and its 202 for a confirmed voucher's.
  const ready = { answer: false, voucherWorkflow: false };
  let usableVoucher: UsableVoucher | undefined;
  const received = await receiveRequest('provision', state, submitProvision, {
    startedWith: request,
    earlierRunAtStart: origin?.earlierRun,
    lock,
    adviceInEffect: () => ready.voucherWorkflow || state.phase !== 'CONFIRMED',
    answerInEffect: () => ready.answer,
    beforeReversal: voucherWithdrawal(() => usableVoucher),
  });
  if (received.earlierRun) return finishRepeat(state);
  const input = received.input;
  if (input === undefined) return finishEarlyReversal('provision', state, origin);

  const { attempt, target, voucher } = await askForTheVoucher(input, state);
  const reporting = reportingChain(() => provisionReport(input, attempt, state, workflowInfo().runId));
  if (attempt.answerRecordedAt === undefined) reporting.record();
  else reporting.recordedWithTheAnswer();
  if (
    voucher &&
    input.messaging === 'single' &&
    state.phase === 'APPROVED' &&
    patched(singleMessagingVoucherAtAnswer)
  ) {
    usableVoucher = await voucher.startUsable(lock);
  }
  ready.answer = true;
  const heldConfirmation = usableVoucher?.confirmationId;
  await awaitSettlement(state, input.settleAfterMs, input.messaging, {
    lock,
    adviceId: heldConfirmation === undefined ? undefined : () => heldConfirmation,
  });
  if (voucher && state.phase === 'CONFIRMED' && !usableVoucher) await voucher.startConfirmed();
  ready.voucherWorkflow = true;
  if (state.advices.length > 0) {
    reporting.record();
    await storeAndForward(target, state.advices);
    reporting.record();
    if (voucher && state.phase === 'CONFIRMED') await voucher.confirmationDelivered(heldConfirmation);
  }
  await reporting.finish();
  return state;
}

/**
 * Asks the provider once and answers the channel; an outcome left open is reversed by the
 * switch. Gives the advices' target, and the voucher's workflow-to-be when one was issued.
 */
async function askForTheVoucher(input: ProvisionInput, state: Lifecycle) {
  state.provider = input.provider;
  const capabilities = input.capabilities ?? capabilitiesOf(providerProfiles[input.provider]);
  const order = provisionOrder(input);
  const call = { provider: input.provider, order, deadlineMs: input.deadlineMs };
  // The first row goes with the provider's call: the row the first write below would make.
  const firstRow = patched(answerInOneActivity)
    ? {
        input,
        state: { ...state },
        runId: workflowInfo().runId,
        revision: nextRevision(0),
        writtenAt: new Date().toISOString(),
      }
    : undefined;
  const attempt: RecordedProvisionAttempt = await askProvider(
    capabilities.supportsRetries,
    input.deadlineMs,
    order,
    (a) => (firstRow ? a.provisionAndRecord({ call, firstRow }) : a.provisionAtProvider(call)),
  );
  answered(state, input, attempt, attempt.answerRecordedAt ?? new Date().toISOString());
  if (!attempt.ok && state.phase === 'REVERSED') {
    const reason = switchReversalReason(attempt.failure);
    settle(state, { kind: 'reverse', id: uuid4(), origin: 'switch', reason }, new Date());
  }
  const target: AdviceTarget = {
    type: 'provision',
    provider: input.provider,
    supportsAdvices: capabilities.supportsAdvices,
    deadlineMs: input.deadlineMs,
    requestReference: input.switchReference,
    channelMessageId: input.request.id,
  };
  const voucherKey = attempt.ok ? attempt.voucherKey : undefined;
  const voucher = voucherKey === undefined ? undefined : issuedVoucher(input, state, target, capabilities, voucherKey);
  return { attempt, target, voucher };
}

/** The voucher the provider issued, and the ways its workflow comes to be and learns of its confirmation. */
function issuedVoucher(
  input: ProvisionInput,
  state: Lifecycle,
  target: AdviceTarget,
  capabilities: ProviderCapabilities,
  key: string,
) {
  const record = (confirmationId: string | undefined) =>
    isProvisionAnswer(state.answer)
      ? voucherRecordOf(input, state.answer, key, confirmation(target, confirmationId), capabilities)
      : undefined;
  return {
    /** Single messaging: usable from the 201, holding the confirmation the switch owes the provider. */
    async startUsable(lock: SettlementLock): Promise<UsableVoucher | undefined> {
      const confirmationId = uuid4();
      const usable = record(confirmationId);
      // A reversal arriving meanwhile waits, so that it finds the voucher to take back.
      lock.held = true;
      const started = usable !== undefined && (await startVoucherWorkflow({ ...usable, withdrawable: true }));
      lock.held = false;
      return started ? { key, confirmationId, reference: input.switchReference } : undefined;
    },
    /** Redeemable once confirmed. */
    async startConfirmed() {
      const confirmed = record(state.advices.find((a) => a.kind === 'confirm')?.id);
      if (confirmed) await startVoucherWorkflow(confirmed);
    },
    /** Under the switch's own confirmation id too, for a voucher usable before it was confirmed. */
    async confirmationDelivered(heldAs: string | undefined) {
      const delivered = state.advices.filter((a) => a.kind === 'confirm' && a.saf !== 'pending');
      await tellAdvicesSettled(key, new Set(delivered.flatMap((a) => [a.id, heldAs ?? a.id])));
    },
  };
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
