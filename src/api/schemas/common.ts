import { z } from '@hono/zod-openapi';

/** Contract §1.3: ids are checked for the 8-4-4-4-12 hex shape only, not for RFC 4122 version bits. */
export const uuidMessage = 'UUID must conform to the format 8-4-4-4-12 hexadecimal values';
export const messageId = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, uuidMessage)
  .openapi({ example: '68d07240-e604-431f-d5ca-974cee9bd60d' });

/** RFC 3339; the raw string is echoed exactly as received. */
export const time = z.iso.datetime({ offset: true }).openapi({ example: '2018-12-07T07:50:17.483Z' });

const maxLength = (n: number) => z.string().min(1).max(n);

export const institution = z.strictObject({ id: z.string().min(1), name: maxLength(40) }).openapi('Institution');

export const merchantName = z
  .strictObject({ name: maxLength(23), city: maxLength(13), region: maxLength(2), country: maxLength(2) })
  .openapi('MerchantName');

export const merchant = z
  .strictObject({
    merchantType: z.string().regex(/^\d{4}$/, 'must be 4 digits'),
    merchantId: z.string().length(15),
    merchantName,
  })
  .openapi('Merchant');

export const originator = z
  .strictObject({
    institution,
    terminalId: z.string().length(8),
    merchant,
    operatorId: z.string().optional(),
    channelId: z.string().optional(),
  })
  .openapi('Originator');

export const thirdPartyIdentifier = z
  .strictObject({ institutionId: z.string().min(1), transactionIdentifier: z.string().min(1) })
  .openapi('ThirdPartyIdentifier');

/** ISO 4217 numeric; a JSON number (`710`) is accepted and answered as the string `"710"`. */
export const currency = z.preprocess(
  (value) => (typeof value === 'number' && Number.isInteger(value) ? String(value).padStart(3, '0') : value),
  z.string().regex(/^\d{3}$/, 'must be a 3-digit ISO 4217 numeric code'),
);

export const ledgerAmount = z
  .strictObject({
    amount: z.number().int(),
    currency,
    ledgerIndicator: z.enum(['DEBIT', 'CREDIT']).optional(),
  })
  .openapi('LedgerAmount');

export const amounts = z
  .strictObject({
    requestAmount: ledgerAmount.optional(),
    approvedAmount: ledgerAmount.optional(),
    feeAmount: ledgerAmount.optional(),
    balanceAmount: ledgerAmount.optional(),
  })
  .openapi('Amounts');

export const accountType = z.enum([
  'DEFAULT',
  'SAVINGS',
  'CHEQUE',
  'CREDIT',
  'UNIVERSAL',
  'ELECTRONIC_PURSE',
  'STORED_VALUE',
]);

export const tender = z
  .strictObject({
    tenderType: z.enum([
      'CASH',
      'CHEQUE',
      'CREDIT_CARD',
      'DEBIT_CARD',
      'WALLET',
      'ROUNDING',
      'GIFT_CARD',
      'LOYALTY_CARD',
      'OTHER',
    ]),
    amount: ledgerAmount,
    accountType: accountType.optional(),
    reference: z.string().optional(),
    cardNumber: z.string().optional(),
  })
  .openapi('Tender');

export const voucher = z
  .strictObject({
    code: z.string().optional(),
    expiryDate: z.string().optional(),
    redeemInstructions: z.array(z.string()).optional(),
    serialNumber: z.string().optional(),
    batchNumber: z.string().optional(),
  })
  .openapi('Voucher');

/** Free-form parts of a transaction whose inner shape the switch passes through untouched. */
export const passThrough = z.record(z.string(), z.unknown());

/** Fields every transaction message carries (contract §1.2, Transaction). */
export const transactionFields = {
  id: messageId,
  time,
  originator,
  client: institution,
  thirdPartyIdentifiers: z.array(thirdPartyIdentifier),
  settlementEntity: institution.optional(),
  receiver: institution.optional(),
  slipData: passThrough.optional(),
  basketRef: z.string().optional(),
  tranType: z.string().optional(),
  srcAccType: accountType.optional(),
  destAccType: accountType.optional(),
  stan: z.string().optional(),
  rrn: z.string().optional(),
};
