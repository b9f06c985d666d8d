import { z } from '@hono/zod-openapi';
import { amounts, messageId, tender, thirdPartyIdentifier, time } from './common';

const adviceFields = {
  id: messageId,
  requestId: messageId,
  time,
  thirdPartyIdentifiers: z.array(thirdPartyIdentifier),
  amounts: amounts.optional(),
};

export const basicAdvice = z.strictObject(adviceFields).openapi('BasicAdvice');

export const basicReversal = z
  .strictObject({ ...adviceFields, reversalReason: z.enum(['TIMEOUT', 'CANCELLED', 'RESPONSE_NOT_FINAL']) })
  .openapi('BasicReversal');

export const tenderAdvice = z
  .strictObject({ ...adviceFields, tenders: z.array(tender).optional() })
  .openapi('TenderAdvice');
