import { z } from '@hono/zod-openapi';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A contract model: unknown fields are refused at every depth (contract §1.2). An optional field
 * sent as null counts as absent, as it does for Electrum's own (Java) implementation, so a channel
 * written for it may send one; dropping it here means no null reaches a workflow, a provider or a
 * response. A required field sent as null stays, and fails as `<path> may not be null`.
 */
export function model<S extends z.ZodRawShape>(shape: S) {
  const isOptional = (key: string) => Object.hasOwn(shape, key) && shape[key]?._zod.optin === 'optional';
  return z.preprocess(
    (value) =>
      isRecord(value)
        ? Object.fromEntries(Object.entries(value).filter(([key, field]) => field !== null || !isOptional(key)))
        : value,
    z.strictObject(shape),
  );
}

/** Contract §1.3: ids are checked for the 8-4-4-4-12 hex shape only, not for RFC 4122 version bits. */
export const uuidMessage = 'UUID must conform to the format 8-4-4-4-12 hexadecimal values';
export const messageId = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, uuidMessage)
  .openapi({ example: '68d07240-e604-431f-d5ca-974cee9bd60d' });

const isoDateTime = z.iso.datetime({ offset: true });
/**
 * RFC 3339, whose `T` and `Z` may be lower case (RFC 3339 §5.6). Only checked, never parsed: the
 * raw string is echoed exactly as received.
 */
export const time = z
  .string()
  .refine((value) => isoDateTime.safeParse(value.toUpperCase()).success, 'must be an RFC 3339 date-time')
  .openapi({ format: 'date-time', example: '2018-12-07T07:50:17.483+02:00' });

/**
 * A string of `min` to `max` characters, counted as JSON Schema counts them (in code points, so
 * that 'é' and '😀' are one each): what the document says is what is enforced.
 */
const characters = (min: number, max: number) =>
  z
    .string()
    .refine(
      (value) => {
        const length = [...value].length;
        return length >= min && length <= max;
      },
      min === max ? `must be ${min} characters` : `must be ${min} to ${max} characters`,
    )
    .openapi({ minLength: min, maxLength: max });

export const institution = model({ id: z.string().min(1), name: characters(1, 40) }).openapi('Institution');

export const merchantName = model({
  name: characters(1, 23),
  city: characters(1, 13),
  region: characters(1, 2),
  country: characters(1, 2),
}).openapi('MerchantName');

export const merchant = model({
  merchantType: z.string().regex(/^[0-9]{4}$/, 'must be 4 digits'),
  merchantId: characters(15, 15),
  merchantName,
}).openapi('Merchant');

export const originator = model({
  institution,
  terminalId: characters(8, 8),
  merchant,
  operatorId: z.string().optional(),
  channelId: z.string().optional(),
}).openapi('Originator');

export const thirdPartyIdentifier = model({
  institutionId: z.string().min(1),
  transactionIdentifier: z.string().min(1),
}).openapi('ThirdPartyIdentifier');

/** ISO 4217 numeric; a JSON number (`710`) is accepted and answered as the string `"710"`. */
export const currency = z
  .preprocess(
    (value) => (typeof value === 'number' && Number.isInteger(value) ? String(value).padStart(3, '0') : value),
    z.string().regex(/^[0-9]{3}$/, 'must be a 3-digit ISO 4217 numeric code'),
  )
  .openapi({
    type: ['string', 'integer'],
    pattern: '^[0-9]{3}$',
    minimum: 0,
    maximum: 999,
    description: 'ISO 4217 numeric code; sent as a number too (710), always answered as a string ("710")',
    example: '710',
  });

/**
 * The largest amount the switch takes, in minor units: what the ledger (the reporting copy's
 * 32-bit integers) can hold. Amounts are never negative; `ledgerIndicator` says which way they go.
 */
export const maxAmount = 2_147_483_647;

export const ledgerAmount = model({
  amount: z.number().int().min(0).max(maxAmount),
  currency,
  ledgerIndicator: z.enum(['DEBIT', 'CREDIT']).optional(),
}).openapi('LedgerAmount');

export const amounts = model({
  requestAmount: ledgerAmount.optional(),
  approvedAmount: ledgerAmount.optional(),
  feeAmount: ledgerAmount.optional(),
  balanceAmount: ledgerAmount.optional(),
}).openapi('Amounts');

export const accountType = z.enum([
  'DEFAULT',
  'SAVINGS',
  'CHEQUE',
  'CREDIT',
  'UNIVERSAL',
  'ELECTRONIC_PURSE',
  'STORED_VALUE',
]);

export const tender = model({
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
}).openapi('Tender');

export const voucherFields = {
  code: z.string().optional(),
  expiryDate: z.string().optional(),
  redeemInstructions: z.array(z.string()).optional(),
  serialNumber: z.string().optional(),
  batchNumber: z.string().optional(),
};
export const voucher = model(voucherFields).openapi('Voucher');

/** Nulls dropped at every depth, from arrays too: nulls are omitted from responses (contract §1.2). */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((item) => item !== null).map(withoutNulls);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, field]) => field !== null)
      .map(([key, field]) => [key, withoutNulls(field)]),
  );
}

/** Free-form parts of a transaction whose inner shape the switch passes through untouched, but for nulls. */
export const passThrough = z.preprocess(withoutNulls, z.record(z.string(), z.unknown()));

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
