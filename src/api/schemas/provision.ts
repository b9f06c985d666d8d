import { z } from '@hono/zod-openapi';
import { amounts, institution, passThrough, tender, thirdPartyIdentifier, transactionFields, voucher } from './common';

export const provisionRequest = z
  .strictObject({
    ...transactionFields,
    product: z.strictObject({ productId: z.string().optional(), barcode: z.string().optional() }).optional(),
    amounts: amounts.optional(),
    voucher: voucher.optional(),
    posInfo: passThrough.optional(),
    recipient: passThrough.optional(),
    // Our rule: for providers that need tender before the request.
    tenders: z.array(tender).optional(),
  })
  .openapi('ProvisionRequest');
export type ProvisionRequest = z.infer<typeof provisionRequest>;

export const provisionResponse = provisionRequest
  .extend({
    voucher,
    settlementEntity: institution,
    thirdPartyIdentifiers: z.array(thirdPartyIdentifier).min(4),
    slipData: passThrough.optional(),
  })
  .openapi('ProvisionResponse');
