import { z } from '@hono/zod-openapi';
import {
  amounts,
  institution,
  messageId,
  model,
  passThrough,
  thirdPartyIdentifier,
  transactionFields,
  voucher,
  voucherFields,
} from './common';

const useRequestFields = {
  ...transactionFields,
  voucher: model({ ...voucherFields, code: z.string().min(1) }),
  posInfo: passThrough.optional(),
  customer: passThrough.optional(),
};

export const redemptionRequest = model(useRequestFields).openapi('RedemptionRequest');
export const refundRequest = model(useRequestFields).openapi('RefundRequest');
export type VoucherUseRequest = z.infer<typeof redemptionRequest>;

/** A redemption's or refund's answer: the request echoed, the switch's and provider's identifiers appended. */
const useResponseFields = {
  ...useRequestFields,
  settlementEntity: institution,
  receiver: institution,
  thirdPartyIdentifiers: z.array(thirdPartyIdentifier).min(2),
};

export const redemptionResponse = model(useResponseFields).openapi('RedemptionResponse');
export const refundResponse = model(useResponseFields).openapi('RefundResponse');

export const voucherStates = [
  'PROVISIONED',
  'REVERSED',
  'REDEEMABLE',
  'REDEEMED',
  'REDEMPTION_CONFIRMED',
  'REFUNDED',
  'EXPIRED',
] as const;

/** A lookup names its voucher by one of these (at least one); the others only narrow it. */
export const voucherLookupKeys = ['voucherCode', 'provisionRequestId', 'voucherSerialNumber'] as const;

// Query parameters the contract does not name are ignored, as JAX-RS does: only bodies are closed.
export const voucherLookupQuery = z
  .object({
    voucherCode: z.string().min(1).optional(),
    provisionRequestId: messageId.optional(),
    receiverInstId: z.string().min(1).optional(),
    settlementEntityInstId: z.string().min(1).optional(),
    voucherSerialNumber: z.string().min(1).optional(),
  })
  .refine((query) => voucherLookupKeys.some((key) => query[key] !== undefined), {
    message: `${voucherLookupKeys.join(', ')}: one of them is required`,
    path: [voucherLookupKeys[0]],
  });

export const voucherLookupResponse = model({
  voucher,
  product: model({ productId: z.string().optional(), barcode: z.string().optional() }).optional(),
  amounts: amounts.optional(),
  receiver: institution.optional(),
  settlementEntity: institution.optional(),
  thirdPartyIdentifiers: z.array(thirdPartyIdentifier).optional(),
  rrn: z.string().optional(),
  posInfo: passThrough.optional(),
  // Our rule: where the voucher is in its life cycle.
  state: z.enum(voucherStates),
}).openapi('VoucherLookupResponse');
