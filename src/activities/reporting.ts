import type { ReportingDb } from '../db/client';
import {
  type AdviceRow,
  findEarlierRun,
  type TraceRow,
  type TransactionRow,
  upsertTransaction,
} from '../db/queries/transactions';
import { maskCode, maskVoucherCodes } from '../domain/masking';
import { type LastingState, lastingState, type TransactionReport } from '../domain/report';
import type { LegTrace } from '../providers/types';
import type { Sealer } from '../temporal/sealed';

export interface ReportingActivityDeps {
  db: ReportingDb;
  /** Encrypts the transaction's lasting state for the reporting copy. */
  sealer: Sealer;
}

/** The transaction's row: its state and answer, the voucher code only masked and as its keyed hash. */
export function transactionRow(report: TransactionReport): TransactionRow {
  const { request, lifecycle } = report;
  const answer = lifecycle.answer;
  return {
    id: report.transactionId,
    type: report.type,
    channelId: report.channelId,
    messageId: request.id,
    provider: report.provider,
    voucherProvider: report.voucherProvider,
    productId: report.productId,
    state: lifecycle.phase,
    amount: report.amount?.amount,
    currency: report.amount?.currency,
    switchReference: report.switchReference,
    providerReference: report.providerReference,
    voucherCodeMasked: report.voucherCode === undefined ? undefined : maskCode(report.voucherCode),
    voucherKey: report.voucherKey,
    voucherSerialNumber: report.voucherSerialNumber,
    // What the channel was told: the error it got in place of the outcome, if it did.
    httpStatus: (lifecycle.channelError ?? answer)?.status ?? 0,
    errorType: ((lifecycle.channelError ?? answer)?.body as { errorType?: string } | undefined)?.errorType,
    receivedAt: report.receivedAt,
    answeredAt: report.answeredAt,
    revision: report.revision ?? 0,
    runId: report.runId,
  };
}

function providerLeg(operation: string, trace: LegTrace): TraceRow {
  return {
    leg: 'provider',
    operation,
    method: trace.method,
    url: trace.url,
    request: maskVoucherCodes(trace.request),
    status: trace.status,
    response: maskVoucherCodes(trace.response),
    startedAt: trace.startedAt,
    durationMs: trace.durationMs,
  };
}

/** Both legs' messages, voucher codes masked: the channel's request and answer, and each call to the provider. */
export function traceRows(report: TransactionReport): TraceRow[] {
  const { type, request, lifecycle, receivedAt, answeredAt } = report;
  const answer = lifecycle.answer ?? { status: 0, body: {} };
  return [
    {
      leg: 'channel',
      operation: type,
      method: 'POST',
      url: report.channelPath,
      request: maskVoucherCodes(request),
      status: answer.status,
      response: maskVoucherCodes(answer.body),
      startedAt: receivedAt,
      durationMs: answeredAt ? Math.max(0, Date.parse(answeredAt) - Date.parse(receivedAt)) : undefined,
    },
    ...(report.providerLeg ? [providerLeg(type, report.providerLeg)] : []),
    ...lifecycle.advices.flatMap((advice) => (advice.trace ? [providerLeg(advice.kind, advice.trace)] : [])),
  ];
}

/** One row per confirmation or reversal, with its store-and-forward state. */
export function adviceRows(report: TransactionReport): AdviceRow[] {
  return report.lifecycle.advices.map((advice) => ({
    adviceId: advice.id,
    kind: advice.kind,
    origin: advice.origin,
    reason: advice.reason,
    provider: report.provider,
    saf: advice.saf,
    attempts: advice.attempts ?? 0,
    lastError: advice.lastError,
    // Histories from before advices carried the time they were accepted: the request's time stands in.
    acceptedAt: advice.acceptedAt ?? report.receivedAt,
    settledAt: advice.settledAt,
  }));
}

export function createReportingActivities({ db, sealer }: ReportingActivityDeps) {
  return {
    /**
     * Writes the transaction, its state, both legs' messages and its advices to the reporting
     * copy, voucher codes masked and the lasting state sealed. Written again at each step of the
     * life cycle; each write replaces the last, keyed by the transaction's and the advices' ids.
     */
    async recordTransaction(report: TransactionReport): Promise<void> {
      const row = { ...transactionRow(report), sealedState: await sealer.seal(lastingState(report.lifecycle)) };
      await upsertTransaction(db, row, traceRows(report), adviceRows(report));
    },

    /** The state an earlier run of this transaction's workflow id recorded, if one did. */
    async findEarlierRun({ transactionId, runId }: { transactionId: string; runId: string }) {
      return findEarlierRun(db, (sealed) => sealer.unseal<LastingState>(sealed), transactionId, runId);
    },
  };
}
