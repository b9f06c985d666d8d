import { ApplicationFailure, log } from '@temporalio/activity';
import type { ReportingDb } from '../db/client';
import {
  type AdviceRow,
  findEarlierRun,
  type TraceRow,
  type TransactionRow,
  upsertTransaction,
} from '../db/queries/transactions';
import { storableJson } from '../domain/json-text';
import type { LastingState } from '../domain/lifecycle';
import { maskCode, maskSensitive } from '../domain/masking';
import type { LegTrace } from '../domain/provider-protocol';
import { lastingState, reportingWriteRefused, type TransactionReport } from '../domain/report';
import type { Metrics } from '../metrics';
import type { Sealer } from '../temporal/sealed';

export interface ReportingActivityDeps {
  db: ReportingDb;
  /** Encrypts the transaction's lasting state for the reporting copy. */
  sealer: Sealer;
  /** Counts the writes the copy refused or could not take (`switch_reporting_write_failures_total`). */
  metrics?: Pick<Metrics, 'reportingWriteFailures'>;
}

/** The reporting copy's integers are 32 bits: a figure beyond them (a duration of years) is stored at the bound. */
const int4 = 2_147_483_647;
const clamp = (n: number | undefined) =>
  n === undefined ? undefined : Math.max(-int4 - 1, Math.min(int4, Math.round(n)));

/**
 * SQLSTATE classes no retry heals: the data itself is refused (22 data exception, 23 integrity
 * constraint, 54 program limit). Anything else (an outage, a timeout) is retried.
 */
const refusedData = /^(22|23|54)/;

/** The SQLSTATE of a database error, wherever the driver put it in the error's causes. */
function sqlState(error: unknown): string | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/**
 * One of the channel message's amounts (contract: `amounts.requestAmount`, `amounts.feeAmount`),
 * in minor units, when the message carries it.
 */
function requestedAmount(
  request: TransactionReport['request'],
  which: 'requestAmount' | 'feeAmount',
): { amount: number; currency: string } | undefined {
  const amount = (request.amounts as Record<string, { amount?: unknown; currency?: unknown }> | undefined)?.[which];
  return typeof amount?.amount === 'number' && typeof amount.currency === 'string'
    ? { amount: amount.amount, currency: amount.currency }
    : undefined;
}

/** The transaction's row: its state and answer, the voucher code only masked and as its keyed hash. */
export function transactionRow(report: TransactionReport): TransactionRow {
  const { request, lifecycle } = report;
  const answer = lifecycle.answer;
  return storableJson({
    id: report.transactionId,
    type: report.type,
    channelId: report.channelId,
    messageId: request.id,
    provider: report.provider,
    voucherProvider: report.voucherProvider,
    productId: report.productId,
    state: lifecycle.phase,
    amount: (report.amount ?? requestedAmount(request, 'requestAmount'))?.amount,
    feeAmount: requestedAmount(request, 'feeAmount')?.amount,
    currency: (report.amount ?? requestedAmount(request, 'requestAmount'))?.currency,
    switchReference: report.switchReference,
    providerReference: report.providerReference,
    voucherCodeMasked: report.voucherCode === undefined ? undefined : maskCode(report.voucherCode),
    voucherKey: report.voucherKey,
    voucherSerialNumber: report.voucherSerialNumber,
    // What the channel was told: the error it got in place of the outcome, if it did.
    httpStatus: clamp((lifecycle.channelError ?? answer)?.status) ?? 0,
    errorType: ((lifecycle.channelError ?? answer)?.body as { errorType?: string } | undefined)?.errorType,
    receivedAt: report.receivedAt,
    answeredAt: report.answeredAt,
    revision: report.revision ?? 0,
    runId: report.runId,
    writtenAt: report.writtenAt,
  });
}

function providerLeg(operation: string, trace: LegTrace): TraceRow {
  return storableJson({
    leg: 'provider',
    operation,
    method: trace.method,
    url: trace.url,
    request: maskSensitive(trace.request),
    status: clamp(trace.status),
    response: maskSensitive(trace.response),
    startedAt: trace.startedAt,
    durationMs: clamp(trace.durationMs),
  });
}

/** Both legs' messages, voucher codes masked: the channel's request and answer, and each call to the provider. */
export function traceRows(report: TransactionReport): TraceRow[] {
  const { type, request, lifecycle, receivedAt, answeredAt } = report;
  const answer = lifecycle.answer ?? { status: 0, body: {} };
  return [
    storableJson({
      leg: 'channel' as const,
      operation: type,
      method: 'POST',
      url: report.channelPath,
      request: maskSensitive(request),
      status: answer.status,
      response: maskSensitive(answer.body),
      startedAt: receivedAt,
      durationMs: answeredAt ? clamp(Math.max(0, Date.parse(answeredAt) - Date.parse(receivedAt))) : undefined,
    }),
    ...(report.providerLeg ? [providerLeg(type, report.providerLeg)] : []),
    ...lifecycle.advices.flatMap((advice) => (advice.trace ? [providerLeg(advice.kind, advice.trace)] : [])),
  ];
}

/** One row per confirmation or reversal, with its store-and-forward state. */
export function adviceRows(report: TransactionReport): AdviceRow[] {
  return report.lifecycle.advices.map((advice) =>
    storableJson({
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
    }),
  );
}

export function createReportingActivities({ db, sealer, metrics }: ReportingActivityDeps) {
  return {
    /**
     * Writes the transaction, its state, both legs' messages and its advices to the reporting
     * copy, voucher codes masked and the lasting state sealed. Written again at each step of the
     * life cycle; each write replaces the last, keyed by the transaction's and the advices' ids.
     *
     * A write the copy refuses for its data fails for good (`ReportingWriteRefused`), counted and
     * logged; any other failure is retried. Neither message carries the data: a database error's
     * text quotes the query's parameters, a customer's data among them.
     */
    async recordTransaction(report: TransactionReport): Promise<void> {
      const row = { ...transactionRow(report), sealedState: await sealer.seal(lastingState(report.lifecycle)) };
      try {
        await upsertTransaction(db, row, traceRows(report), adviceRows(report));
      } catch (error) {
        const state = sqlState(error);
        const refused = state !== undefined && refusedData.test(state);
        metrics?.reportingWriteFailures.inc({ reason: refused ? 'refused' : 'unavailable' });
        if (refused) {
          log.error('the reporting copy refused a write', { transactionId: report.transactionId, sqlState: state });
          throw ApplicationFailure.nonRetryable(
            `the reporting copy refused the write (SQLSTATE ${state})`,
            reportingWriteRefused,
          );
        }
        const why = state ? `SQLSTATE ${state}` : (error as Error).name;
        throw ApplicationFailure.retryable(`the reporting copy could not be written (${why})`, 'ReportingUnavailable');
      }
    },

    /** The state an earlier run of this transaction's workflow id recorded, if one did. */
    async findEarlierRun({ transactionId, runId }: { transactionId: string; runId: string }) {
      return findEarlierRun(db, (sealed) => sealer.unseal<LastingState>(sealed), transactionId, runId);
    },
  };
}
