import { condition, getExternalWorkflowHandle, log, ParentClosePolicy, startChild, uuid4 } from '@temporalio/workflow';
import { adviceOperations, type Lifecycle, type TransactionOrigin } from '../domain/lifecycle';
import { providerProfiles } from '../domain/providers';
import {
  answerProvision,
  type ChannelAnswer,
  type ProvisionAttempt,
  type ProvisionInput,
  phaseAfter,
  provisionOrder,
  switchReversalReason,
} from '../domain/provision';
import { channelPaths, type TransactionReport } from '../domain/report';
import { type PendingAdvice, type VoucherDetails, type VoucherRecord, voucherWorkflowId } from '../domain/voucher';
import { submitProvision, voucherEvent } from './messages';
import {
  type AdviceTarget,
  askProvider,
  awaitSettlement,
  finishEarlyReversal,
  newLifecycle,
  providerAdvice,
  receiveRequest,
  reportingChain,
  settle,
  storeAndForward,
} from './transaction';
import { voucherLifecycle } from './voucher-lifecycle';

/**
 * One voucher provision and its life cycle: ask the provider once, answer the channel, then
 * settle by the channel's confirmation or reversal (or the switch's own, on a timer or a
 * failure), and deliver that advice to the provider by store-and-forward. A confirmed voucher
 * gets a workflow of its own for its redemptions and refunds.
 */
export async function provisionVoucher(origin?: TransactionOrigin, request?: ProvisionInput): Promise<Lifecycle> {
  const state = newLifecycle();
  // A confirmed voucher is redeemable as soon as the channel has its 202: its workflow exists by then.
  let voucherWorkflowReady = false;
  const input = await receiveRequest('provision', state, submitProvision, {
    startedWith: request,
    adviceTakenEffect: () => condition(() => voucherWorkflowReady || state.phase !== 'CONFIRMED'),
  });
  if (input === undefined) return finishEarlyReversal('provision', state, origin);
  state.provider = input.provider;

  const order = provisionOrder(input);
  const attempt: ProvisionAttempt = await askProvider(input.provider, input.deadlineMs, order, (activities) =>
    activities.provisionAtProvider({ provider: input.provider, order, deadlineMs: input.deadlineMs }),
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

  await awaitSettlement(state, input.settleAfterMs, input.messaging);
  const target: AdviceTarget = {
    type: 'provision',
    provider: input.provider,
    deadlineMs: input.deadlineMs,
    requestReference: input.switchReference,
    channelMessageId: input.request.id,
  };
  const voucherKey = attempt.ok ? attempt.voucherKey : undefined;
  if (state.phase === 'CONFIRMED' && state.answer && voucherKey !== undefined) {
    await startVoucherWorkflow(voucherRecord(input, state.answer, voucherKey, pendingConfirmation(target, state)));
  }
  voucherWorkflowReady = true;
  if (state.advices.length > 0) {
    reporting.record();
    await storeAndForward(target, state.advices);
    reporting.record();
    if (state.phase === 'CONFIRMED' && voucherKey !== undefined) {
      await tellVoucher(voucherKey, state.advices);
    }
  }
  await reporting.finish();
  return state;
}

/** The confirmation the voucher's provider must have before anything else is asked of it. */
function pendingConfirmation(target: AdviceTarget, state: Lifecycle): PendingAdvice | undefined {
  const confirmation = state.advices.find((a) => a.kind === 'confirm');
  if (!confirmation || !providerProfiles[target.provider].supportsAdvices) return undefined;
  return { operation: adviceOperations.provision.confirm, ...providerAdvice(target, confirmation) };
}

/** The voucher as its workflow keeps it: the details the channel was answered with. */
function voucherRecord(
  input: ProvisionInput,
  answer: ChannelAnswer,
  key: string,
  pending: PendingAdvice | undefined,
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
  };
}

async function startVoucherWorkflow(record: VoucherRecord) {
  try {
    await startChild(voucherLifecycle, {
      workflowId: voucherWorkflowId(record.key),
      args: [record],
      // The voucher outlives its provision.
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  } catch (error) {
    // Only a voucher code issued twice gets here; the first voucher keeps the code.
    log.error('voucher workflow not started', { voucherKey: record.key, error: (error as Error).message });
  }
}

/** The voucher's workflow learns that its provider has the confirmation. */
async function tellVoucher(voucherKey: string, advices: Lifecycle['advices']) {
  const voucher = getExternalWorkflowHandle(voucherWorkflowId(voucherKey));
  for (const advice of advices.filter((a) => a.kind === 'confirm' && a.saf !== 'pending')) {
    await voucher.signal(voucherEvent, { type: 'adviceSettled', adviceId: advice.id }).catch(() => undefined);
  }
}

function provisionReport(input: ProvisionInput, attempt: ProvisionAttempt, lifecycle: Lifecycle): TransactionReport {
  const { request } = input;
  const amount = request.amounts?.requestAmount;
  const issued = attempt.ok ? attempt : undefined;
  return {
    type: 'provision',
    transactionId: input.transactionId,
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
