import { integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import type { SettlementFigures } from '../../domain/settlement';

/**
 * One settlement report per business day, written once: the first report produced for a day is
 * the day's report, so it reads the same whenever it is fetched.
 */
export const settlementReports = pgTable('settlement_reports', {
  /** `YYYY-MM-DD`. */
  businessDay: text().primaryKey(),
  /** The cut-off and time zone it was produced under. */
  cutoff: text().notNull(),
  timeZone: text().notNull(),
  /** The day's window, `[windowFrom, windowTo)`. */
  windowFrom: timestamp({ withTimezone: true, mode: 'string' }).notNull(),
  windowTo: timestamp({ withTimezone: true, mode: 'string' }).notNull(),
  transactionCount: integer().notNull(),
  figures: jsonb().$type<SettlementFigures>().notNull(),
  producedAt: timestamp({ withTimezone: true, mode: 'string' }).notNull().defaultNow(),
});
