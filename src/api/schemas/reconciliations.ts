import { z } from '@hono/zod-openapi';
import { providerFileParsers } from '../../domain/provider-files';
import { providerIds } from '../../domain/providers';
import { reconciliationOutcomes } from '../../domain/reconciliation';
import { transactionTypes } from './ops';
import { businessDay } from './reports';

const dateTime = z.string().openapi({ format: 'date-time', example: '2026-11-30T22:00:00.000Z' });
const formats = Object.keys(providerFileParsers) as [keyof typeof providerFileParsers];

export const reconciliationUpload = z.object({
  provider: z.enum(providerIds).openapi({ description: 'Whose file it is' }),
  day: businessDay.openapi({ description: 'The business day it covers' }),
  format: z.enum(formats).default('switch-csv').openapi({
    description:
      'switch-csv: a header, then one transaction a line: switch_reference, provider_reference, type (provision, redemption, refund), amount (minor units), state (CONFIRMED, REVERSED, PENDING), time (ISO 8601)',
  }),
});

export const reconciliationParams = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'id', in: 'path' } }),
});

export const exceptionParams = reconciliationParams.extend({
  position: z.coerce
    .number()
    .int()
    .positive()
    .max(2_147_483_647)
    .openapi({ param: { name: 'position', in: 'path' }, description: "The exception's place in the reconciliation" }),
});

export const resolutionBody = z
  .object({ reason: z.string().trim().min(1).max(500).openapi({ description: 'Why it needs nothing more' }) })
  .strict();

const providerLine = z
  .object({
    line: z.number().int(),
    switchReference: z.string(),
    providerReference: z.string().optional(),
    type: z.enum(transactionTypes),
    amount: z.number().int().optional(),
    state: z.enum(['CONFIRMED', 'REVERSED', 'PENDING']),
    time: z.string().optional(),
  })
  .openapi('ProviderLine');

const switchRecord = z
  .object({
    transactionId: z.string(),
    switchReference: z.string(),
    providerReference: z.string().optional(),
    type: z.enum(transactionTypes),
    amount: z.number().int().optional(),
    state: z.string(),
    inDay: z.boolean().openapi({ description: 'Settled within the reconciled business day' }),
  })
  .openapi('SwitchRecord');

const counts = z.object(Object.fromEntries(reconciliationOutcomes.map((o) => [o, z.number().int()]))).openapi({
  description: 'Items per outcome',
});

export const reconciliationException = z
  .object({
    position: z.number().int(),
    outcome: z.enum(reconciliationOutcomes),
    switchReference: z.string(),
    providerLine: providerLine.optional(),
    switchRecord: switchRecord.optional(),
    resolvedBy: z.string().optional(),
    resolvedAt: dateTime.optional(),
    resolution: z.string().optional(),
  })
  .openapi('ReconciliationException');

const summary = {
  id: z.string(),
  provider: z.string(),
  businessDay: z.string(),
  format: z.string(),
  uploadedBy: z.string(),
  uploadedAt: dateTime,
  lineCount: z.number().int(),
  counts,
};

export const reconciliationDetail = z
  .object({ ...summary, exceptions: z.array(reconciliationException) })
  .openapi('Reconciliation');
export const reconciliationList = z
  .object({ reconciliations: z.array(z.object(summary)) })
  .openapi('ReconciliationList');
