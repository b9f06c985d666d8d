import type { ReportingDb } from '../db/client';
import { upsertTransaction } from '../db/queries/transactions';
import { maskCode, maskVoucherCodes } from '../domain/masking';
import { type ChannelAnswer, type ProvisionAttempt, type ProvisionInput, stateAfter } from '../domain/provision';

export interface ReportingActivityDeps {
  db: ReportingDb;
}

export interface ProvisionRecord {
  input: ProvisionInput;
  attempt: ProvisionAttempt;
  answer: ChannelAnswer;
  answeredAt: string;
}

export function createReportingActivities({ db }: ReportingActivityDeps) {
  return {
    /** Writes the provision and both legs' messages to the reporting copy, voucher codes masked. */
    async recordProvision({ input, attempt, answer, answeredAt }: ProvisionRecord): Promise<void> {
      const { request } = input;
      const amount = request.amounts?.requestAmount;
      const body = answer.body as { errorType?: string };
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
          state: stateAfter(attempt),
          amount: amount?.amount,
          currency: amount?.currency,
          switchReference: input.switchReference,
          providerReference: attempt.ok ? attempt.value.providerReference : undefined,
          voucherCodeMasked: attempt.ok ? maskCode(attempt.value.voucher.code) : undefined,
          httpStatus: answer.status,
          errorType: body.errorType,
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
          {
            leg: 'provider',
            operation: 'provision',
            method: attempt.trace.method,
            url: attempt.trace.url,
            request: maskVoucherCodes(attempt.trace.request),
            status: attempt.trace.status,
            response: maskVoucherCodes(attempt.trace.response),
            startedAt: attempt.trace.startedAt,
            durationMs: attempt.trace.durationMs,
          },
        ],
      );
    },
  };
}
