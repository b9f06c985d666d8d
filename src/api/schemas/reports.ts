import { z } from '@hono/zod-openapi';
import { settlementCsvColumns } from '../../domain/settlement';
import { transactionTypes } from './ops';

/** The settlement reports' shapes: amounts in minor units (cents), as in the channel contract. */

/** A business day of this millennium: the switch has none before, and a date far off is a mistake. */
export const businessDay = z
  .string()
  .regex(/^2\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'must be a date from 2000 to 2999, YYYY-MM-DD')
  .refine((day) => {
    const date = new Date(`${day}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(day);
  }, 'must be a date that exists')
  .openapi({ example: '2026-11-30' });
const dateTime = z.string().openapi({ format: 'date-time', example: '2026-11-30T22:00:00.000Z' });
const finalState = z.enum(['CONFIRMED', 'REVERSED', 'DECLINED']);

export const reportParams = z.object({
  day: businessDay.openapi({ param: { name: 'day', in: 'path' }, description: 'The business day' }),
});

export const reportQuery = z.object({
  format: z
    .enum(['json', 'csv'])
    .default('json')
    .openapi({
      description: `csv: one line per provider, channel, type and state (${settlementCsvColumns.join(', ')})`,
    }),
});

const settlementLine = z
  .object({
    provider: z.string().openapi({ description: '`unknown` for a use of a voucher the switch never knew' }),
    channelId: z.string(),
    currency: z.string().openapi({ description: 'ISO 4217 numeric code', example: '710' }),
    type: z.enum(transactionTypes),
    state: finalState,
    count: z.number().int(),
    amount: z.number().int().openapi({ description: 'Sum of the requested amounts, in minor units' }),
    fee: z.number().int().openapi({ description: 'Sum of the fees the messages carried, in minor units' }),
  })
  .openapi('SettlementLine');

const netPosition = z
  .object({
    provider: z.string(),
    channelId: z.string(),
    currency: z.string(),
    net: z.number().int().openapi({
      description:
        'Confirmed provisions less confirmed redemptions and refunds, in minor units: positive is owed to the provider',
    }),
    fees: z.number().int().openapi({ description: 'Fees of the confirmed transactions' }),
  })
  .openapi('NetPosition');

export const settlementReport = z
  .object({
    businessDay,
    final: z.boolean().openapi({
      description:
        'true: the stored report of a closed day, the same whenever fetched; false: a day still open, as it stands',
    }),
    cutoff: z.string().openapi({ example: '00:00' }),
    timeZone: z.string().openapi({ example: 'Africa/Johannesburg' }),
    windowFrom: dateTime.openapi({ description: 'The day began (inclusive)' }),
    windowTo: dateTime.openapi({ description: 'The day ended (exclusive)' }),
    transactionCount: z.number().int(),
    lines: z.array(settlementLine),
    positions: z.array(netPosition),
    producedAt: dateTime.optional().openapi({ description: 'When the stored report was produced' }),
  })
  .openapi('SettlementReport');

export const settlementReportList = z
  .object({
    lastClosedDay: businessDay,
    reports: z.array(z.object({ businessDay, transactionCount: z.number().int(), producedAt: dateTime })),
  })
  .openapi('SettlementReportList');
