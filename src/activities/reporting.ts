import type { ReportingDb } from '../db/client';
import { type TraceRow, upsertTransaction } from '../db/queries/transactions';
import { maskCode, maskVoucherCodes } from '../domain/masking';
import type { TransactionReport } from '../domain/report';
import type { LegTrace } from '../providers/types';

export interface ReportingActivityDeps {
  db: ReportingDb;
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

export function createReportingActivities({ db }: ReportingActivityDeps) {
  return {
    /**
     * Writes the transaction, its state and both legs' messages to the reporting copy, voucher
     * codes masked. Written again at each step of the life cycle; each write replaces the last.
     */
    async recordTransaction(report: TransactionReport): Promise<void> {
      const { request, lifecycle, answeredAt } = report;
      const answer = lifecycle.answer ?? { status: 0, body: {} };
      const adviceLegs = lifecycle.advices.flatMap((advice) =>
        advice.trace ? [providerLeg(advice.kind, advice.trace)] : [],
      );
      await upsertTransaction(
        db,
        {
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
          httpStatus: answer.status,
          errorType: (answer.body as { errorType?: string }).errorType,
          receivedAt: report.receivedAt,
          answeredAt,
        },
        [
          {
            leg: 'channel',
            operation: report.type,
            method: 'POST',
            url: report.channelPath,
            request: maskVoucherCodes(request),
            status: answer.status,
            response: maskVoucherCodes(answer.body),
            startedAt: report.receivedAt,
            durationMs: answeredAt ? Math.max(0, Date.parse(answeredAt) - Date.parse(report.receivedAt)) : undefined,
          },
          ...(report.providerLeg ? [providerLeg(report.type, report.providerLeg)] : []),
          ...adviceLegs,
        ],
      );
    },
  };
}
