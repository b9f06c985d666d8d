import { z } from '@hono/zod-openapi';
import { decodeCursor } from '../../db/queries/operations';
import { advices, messageTraces } from '../../db/schema';
import { adviceOperations, type Phase, type TransactionType } from '../../domain/lifecycle';
import { providerIds } from '../../domain/providers';

/** The operator API's shapes (contract §3). Absent values are omitted, as on the channel API. */

export const transactionTypes = Object.keys(adviceOperations) as [TransactionType, ...TransactionType[]];

/** Every state a transaction can be in; a new phase without its description fails `tsc`. */
const stateDescriptions: Record<Phase, string> = {
  AWAITING_REQUEST: 'only a reversal came; the request was never seen',
  IN_FLIGHT: 'the provider is being asked',
  APPROVED: 'approved by the provider; waiting for a confirmation or reversal',
  DECLINED: 'declined by the provider or refused by the switch',
  CONFIRMED: 'confirmed',
  REVERSED: 'reversed',
};
export const transactionStates = Object.keys(stateDescriptions) as [Phase, ...Phase[]];

const dateTime = z.string().openapi({ format: 'date-time', example: '2026-01-02T10:00:00.123Z' });
const timeBound = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 date-time' });

export const transactionQuery = z.object({
  channel: z.string().min(1).optional().openapi({ description: "The channel's client id" }),
  provider: z.enum(providerIds).optional(),
  type: z.enum(transactionTypes).optional(),
  state: z
    .enum(transactionStates)
    .optional()
    .openapi({
      description: Object.entries(stateDescriptions)
        .map(([state, meaning]) => `${state}: ${meaning}`)
        .join('; '),
    }),
  from: timeBound.optional().openapi({ description: 'Received at or after this time' }),
  to: timeBound.optional().openapi({ description: 'Received before this time' }),
  reference: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .openapi({
      description:
        "A message id, the switch's transaction id or reference, the provider's reference, a third-party " +
        "transaction identifier of the channel's request, or a voucher code",
    }),
  // Coerced from the query string, which hides the bounds from the generated document: named again.
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(50)
    .openapi({ type: 'integer', minimum: 1, maximum: 200, default: 50, description: 'Transactions per page' }),
  cursor: z
    .string()
    .refine((cursor) => decodeCursor(cursor) !== undefined, 'must be the nextCursor of a previous page')
    .optional()
    .openapi({ description: "The previous page's nextCursor" }),
});

export const transactionSummary = z
  .object({
    id: z.string().openapi({ description: "The switch's transaction id" }),
    type: z.enum(transactionTypes),
    channelId: z.string(),
    messageId: z.string().openapi({ description: "The channel's request id" }),
    provider: z.string().optional(),
    voucherProvider: z.string().optional(),
    productId: z.string().optional(),
    state: z.enum(transactionStates),
    amount: z.number().int().optional().openapi({ description: 'Minor units' }),
    currency: z.string().optional(),
    switchReference: z.string().optional(),
    providerReference: z.string().optional(),
    voucherCodeMasked: z.string().optional().openapi({ description: 'Only ever masked' }),
    voucherSerialNumber: z.string().optional(),
    httpStatus: z.number().int().optional().openapi({ description: 'The status the channel was answered with' }),
    errorType: z.string().optional(),
    receivedAt: dateTime,
    answeredAt: dateTime.optional(),
    updatedAt: dateTime,
  })
  .openapi('OperatorTransaction');

export const transactionPage = z
  .object({
    transactions: z.array(transactionSummary),
    nextCursor: z.string().optional().openapi({ description: 'Absent on the last page' }),
  })
  .openapi('OperatorTransactionPage');

const messageTrace = z
  .object({
    leg: z.enum(messageTraces.leg.enumValues).openapi({
      description: 'channel: channel ↔ switch; provider: switch ↔ provider',
    }),
    operation: z.string(),
    method: z.string().optional(),
    url: z.string().optional(),
    request: z.unknown().optional().openapi({ description: 'Voucher codes masked' }),
    status: z.number().int().optional(),
    response: z.unknown().optional().openapi({ description: 'Voucher codes masked' }),
    startedAt: dateTime,
    durationMs: z.number().int().optional(),
  })
  .openapi('MessageTrace');

const advice = z
  .object({
    adviceId: z.string(),
    kind: z.enum(advices.kind.enumValues),
    origin: z.enum(advices.origin.enumValues),
    reason: z.string().optional(),
    provider: z.string().optional(),
    saf: z.enum(advices.saf.enumValues).openapi({ description: 'Store-and-forward state' }),
    attempts: z.number().int(),
    lastError: z.string().optional(),
    acceptedAt: dateTime,
    settledAt: dateTime.optional(),
    updatedAt: dateTime,
  })
  .openapi('OperatorAdvice');

export const transactionDetail = z
  .object({
    transaction: transactionSummary,
    traces: z.array(messageTrace).openapi({ description: 'The channel leg first, then the provider legs in order' }),
    advices: z.array(advice),
    sameMessageId: z.array(z.string()).openapi({
      description: 'Other transactions (ids) with this message id, from other channels or of other types',
    }),
  })
  .openapi('OperatorTransactionDetail');

export const transactionParams = z.object({
  id: z
    .string()
    .min(1)
    .openapi({
      param: { name: 'id', in: 'path' },
      description: "The channel's message id or the switch's transaction id",
    }),
});

export const safBacklog = z
  .object({
    providers: z.array(
      z.object({
        provider: z.string().optional().openapi({ description: 'Absent for advices of no known provider' }),
        pending: z.number().int(),
        oldestPendingAt: dateTime.optional(),
        oldestPendingAgeSeconds: z.number().int().optional(),
        refused: z.number().int().openapi({ description: 'Refused by the provider: left to operators' }),
      }),
    ),
  })
  .openapi('SafBacklog');
