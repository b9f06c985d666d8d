import { z } from '@hono/zod-openapi';
import { amounts, messageId, model, tender, thirdPartyIdentifier, time } from './common';

const adviceFields = {
  id: messageId,
  requestId: messageId,
  time,
  thirdPartyIdentifiers: z.array(thirdPartyIdentifier),
  amounts: amounts.optional(),
};

export const basicAdvice = model(adviceFields).openapi('BasicAdvice');

export const basicReversal = model({
  ...adviceFields,
  reversalReason: z.enum(['TIMEOUT', 'CANCELLED', 'RESPONSE_NOT_FINAL']),
}).openapi('BasicReversal');

export const tenderAdvice = model({ ...adviceFields, tenders: z.array(tender).optional() }).openapi('TenderAdvice');
