import type { ReportingDb } from '../db/client';
import { type TraceRow, upsertTransaction } from '../db/queries/transactions';
import type { Lifecycle } from '../domain/lifecycle';
import { maskCode, maskVoucherCodes } from '../domain/masking';
import type { ProvisionAttempt, ProvisionInput } from '../domain/provision';
import type { LegTrace } from '../providers/types';

export interface ReportingActivityDeps {
  db: ReportingDb;
}

export interface ProvisionRecord {
  input: ProvisionInput;
  attempt: ProvisionAttempt;
  answeredAt: string;
  lifecycle: Lifecycle;
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
     * Writes the provision, its state and both legs' messages to the reporting copy, voucher
     * codes masked. Written again at each step of the life cycle; each write replaces the last.
     */
    async recordProvision({ input, attempt, answeredAt, lifecycle }: ProvisionRecord): Promise<void> {
      const { request } = input;
      const amount = request.amounts?.requestAmount;
      const answer = lifecycle.answer ?? { status: 0, body: {} };
      const adviceLegs = lifecycle.advices.flatMap((advice) =>
        advice.trace ? [providerLeg(advice.kind, advice.trace)] : [],
      );
      await upsertTransaction(
        db,
        {
          id: input.transactionId,
          type: 'provision',
          channelId: input.channelId,
          messageId: request.id,
          provider: input.provider,
          voucherProvider: input.voucherProvider,
          productId: request.product?.productId,
          state: lifecycle.phase,
          amount: amount?.amount,
          currency: amount?.currency,
          switchReference: input.switchReference,
          providerReference: attempt.ok ? attempt.value.providerReference : undefined,
          voucherCodeMasked: attempt.ok ? maskCode(attempt.value.voucher.code) : undefined,
          httpStatus: answer.status,
          errorType: (answer.body as { errorType?: string }).errorType,
          receivedAt: input.receivedAt,
          answeredAt,
        },
        [
          {
            leg: 'channel',
            operation: 'provision',
            method: 'POST',
            url: '/suv/v1/vouchers',
            request: maskVoucherCodes(request),
            status: answer.status,
            response: maskVoucherCodes(answer.body),
            startedAt: input.receivedAt,
            durationMs: Math.max(0, Date.parse(answeredAt) - Date.parse(input.receivedAt)),
          },
          providerLeg('provision', attempt.trace),
          ...adviceLegs,
        ],
      );
    },
  };
}
