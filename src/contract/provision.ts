import { z } from '@hono/zod-openapi';
import {
  amounts,
  institution,
  model,
  passThrough,
  tender,
  thirdPartyIdentifier,
  transactionFields,
  voucher,
} from './common';

const provisionFields = {
  ...transactionFields,
  product: model({ productId: z.string().optional(), barcode: z.string().optional() }).optional(),
  amounts: amounts.optional(),
  voucher: voucher.optional(),
  posInfo: passThrough.optional(),
  recipient: passThrough.optional(),
  // Our rule: for providers that need tender before the request.
  tenders: z.array(tender).optional(),
};

export const provisionRequest = model(provisionFields).openapi('ProvisionRequest');
export type ProvisionRequest = z.infer<typeof provisionRequest>;

/**
 * The request echoed with the voucher, and the switch's and provider's identifiers appended.
 * Built from the fields rather than by extending the request: an extended registered schema
 * becomes an `allOf` of two closed objects, which no message can satisfy.
 */
export const provisionResponse = model({
  ...provisionFields,
  voucher,
  settlementEntity: institution,
  // The channel's own (possibly none), then the switch's and the provider's: four for a channel's two.
  thirdPartyIdentifiers: z.array(thirdPartyIdentifier).min(2),
}).openapi('ProvisionResponse');
