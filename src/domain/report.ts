import type { LastingState, Lifecycle, TransactionType } from './lifecycle';
import type { LegTrace } from './provider-protocol';
import type { ProviderId } from './providers';
import type { ProvisionAttempt, ProvisionInput } from './provision';
import type { UseInput } from './use';
import type { VoucherRecord } from './voucher';

/**
 * A transaction as the reporting copy keeps it, built by its workflow at each step of the life
 * cycle; the recording activity masks voucher codes before anything is written.
 */
export interface TransactionReport {
  type: TransactionType;
  transactionId: string;
  /** The workflow run that wrote it: a later run of the same id (its history gone) tells it is not the first. */
  runId?: string;
  channelId: string;
  /** The channel API path the request came to. */
  channelPath: string;
  request: { id: string } & Record<string, unknown>;
  receivedAt: string;
  answeredAt?: string;
  provider?: ProviderId;
  voucherProvider?: string;
  productId?: string;
  amount?: { amount: number; currency: string };
  /** Absent when only a reversal came: the switch never processed the request. */
  switchReference?: string;
  providerReference?: string;
  voucherCode?: string;
  /** The keyed hash of the voucher code: how operators and lookups find the voucher without its code. */
  voucherKey?: string;
  voucherSerialNumber?: string;
  /** The request's message to the provider and its answer. */
  providerLeg?: LegTrace;
  lifecycle: Lifecycle;
  /** The write's place among the transaction's writes (absent in histories from before it was counted). */
  revision?: number;
  /**
   * The workflow's time when it made the write: orders two runs' writes, for which revisions say
   * nothing (absent in histories from before it was kept).
   */
  writtenAt?: string;
}

/** Revisions one workflow task may take before a task at a longer history outranks them. */
const revisionsPerTask = 100;

/**
 * The revision of a transaction's next write to the reporting copy, made by a workflow task at
 * `historyLength`: higher than the last one, and than any write made at a shorter history. A
 * task whose worker was lost after it had written (the history never recorded that task) runs
 * again at a longer history: its writes outrank the lost attempt's, which would otherwise leave
 * the copy with a state the transaction never had.
 */
export function revisionAfter(previous: number, historyLength: number): number {
  return Math.max(previous + 1, historyLength * revisionsPerTask);
}

/** The reporting activity's failure type for data the reporting copy will never take: not worth retrying. */
export const reportingWriteRefused = 'ReportingWriteRefused';

export const channelPaths: Record<TransactionType, string> = {
  provision: '/suv/v1/vouchers',
  redemption: '/suv/v1/redemptions',
  refund: '/suv/v1/refunds',
};

export function lastingState({ phase, answer, channelError, earlyReversalId, advices }: Lifecycle): LastingState {
  return {
    phase,
    answer,
    channelError,
    earlyReversalId,
    advices: advices.map(({ trace, ...advice }) => advice),
  };
}

/** What every transaction's report takes from its input, whatever its type. */
interface ReportedInput {
  type: TransactionType;
  transactionId: string;
  channelId: string;
  request: TransactionReport['request'];
  receivedAt: string;
  switchReference: string;
}

function reportOf(input: ReportedInput, lifecycle: Lifecycle, runId: string) {
  return {
    type: input.type,
    transactionId: input.transactionId,
    runId,
    channelId: input.channelId,
    channelPath: channelPaths[input.type],
    request: input.request,
    receivedAt: input.receivedAt,
    answeredAt: lifecycle.answeredAt,
    switchReference: input.switchReference,
    providerLeg: lifecycle.providerLeg,
    lifecycle,
  };
}

/** A provision as the reporting copy keeps it, with the voucher the provider issued. */
export function provisionReport(
  input: ProvisionInput,
  attempt: ProvisionAttempt,
  lifecycle: Lifecycle,
  runId: string,
): TransactionReport {
  const amount = input.request.amounts?.requestAmount;
  const issued = attempt.ok ? attempt : undefined;
  return {
    ...reportOf({ ...input, type: 'provision' }, lifecycle, runId),
    provider: input.provider,
    voucherProvider: input.voucherProvider,
    productId: input.request.product?.productId,
    amount: amount && { amount: amount.amount, currency: amount.currency },
    providerReference: issued?.value.providerReference,
    voucherCode: issued?.value.voucher.code,
    voucherKey: issued?.voucherKey,
    voucherSerialNumber: issued?.value.voucher.serialNumber,
    providerLeg: attempt.trace,
  };
}

/** A redemption or refund as the reporting copy keeps it; `voucher` once the voucher's workflow granted the claim. */
export function useReport(
  input: UseInput,
  lifecycle: Lifecycle,
  voucher: VoucherRecord | undefined,
  runId: string,
): TransactionReport {
  const approved = lifecycle.providerLeg?.response as { providerReference?: string } | undefined;
  return {
    ...reportOf(input, lifecycle, runId),
    provider: voucher?.provider,
    voucherProvider: voucher?.voucherProvider,
    productId: voucher?.product?.productId,
    providerReference: lifecycle.phase === 'DECLINED' ? undefined : approved?.providerReference,
    voucherCode: input.request.voucher.code,
    voucherKey: input.voucherKey,
    voucherSerialNumber: voucher?.voucher.serialNumber,
  };
}
