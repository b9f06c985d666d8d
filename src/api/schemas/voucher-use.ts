import { z } from '@hono/zod-openapi';
import { amounts, institution, passThrough, thirdPartyIdentifier, transactionFields, voucher } from './common';

const useRequestFields = {
  ...transactionFields,
  voucher: voucher.extend({ code: z.string().min(1) }),
  posInfo: passThrough.optional(),
  customer: passThrough.optional(),
};

export const redemptionRequest = z.strictObject(useRequestFields).openapi('RedemptionRequest');
export const refundRequest = z.strictObject(useRequestFields).openapi('RefundRequest');
export type VoucherUseRequest = z.infer<typeof redemptionRequest>;

/** A redemption's or refund's answer: the request echoed, the switch's and provider's identifiers appended. */
const useResponse = (request: typeof redemptionRequest) =>
  request.extend({
    settlementEntity: institution,
    receiver: institution,
    thirdPartyIdentifiers: z.array(thirdPartyIdentifier).min(2),
    slipData: passThrough.optional(),
  });

export const redemptionResponse = useResponse(redemptionRequest).openapi('RedemptionResponse');
export const refundResponse = useResponse(refundRequest).openapi('RefundResponse');

export const voucherStates = [
  'PROVISIONED',
  'REVERSED',
  'REDEEMABLE',
  'REDEEMED',
  'REDEMPTION_CONFIRMED',
  'REFUNDED',
  'EXPIRED',
] as const;

export const voucherLookupQuery = z.object({
  voucherCode: z.string().min(1).optional(),
  provisionRequestId: z.string().min(1).optional(),
  receiverInstId: z.string().min(1).optional(),
  settlementEntityInstId: z.string().min(1).optional(),
  voucherSerialNumber: z.string().min(1).optional(),
});

export const voucherLookupResponse = z
  .object({
    voucher,
    product: z.object({ productId: z.string().optional(), barcode: z.string().optional() }).optional(),
    amounts: amounts.optional(),
    receiver: institution.optional(),
    settlementEntity: institution.optional(),
    thirdPartyIdentifiers: z.array(thirdPartyIdentifier).optional(),
    rrn: z.string().optional(),
    posInfo: passThrough.optional(),
    // Our rule: where the voucher is in its life cycle.
    state: z.enum(voucherStates),
  })
  .openapi('VoucherLookupResponse');
