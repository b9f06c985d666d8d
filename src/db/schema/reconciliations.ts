import { index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import type { ProviderLine, ReconciliationOutcome, SwitchRecord } from '../../domain/reconciliation';

/** A provider's file for a business day, matched against the switch's records when it was uploaded. */
export const reconciliations = pgTable(
  'reconciliations',
  {
    id: text().primaryKey(),
    provider: text().notNull(),
    businessDay: text().notNull(),
    format: text().notNull(),
    /** The operator who uploaded it. */
    uploadedBy: text().notNull(),
    uploadedAt: timestamp({ withTimezone: true, mode: 'string' }).notNull().defaultNow(),
    lineCount: integer().notNull(),
    counts: jsonb().$type<Record<ReconciliationOutcome, number>>().notNull(),
  },
  (t) => [index('reconciliations_day').on(t.businessDay, t.provider)],
);

/** Every line of the file and every transaction the provider lacked, with what the matcher made of it. */
export const reconciliationItems = pgTable(
  'reconciliation_items',
  {
    reconciliationId: text()
      .notNull()
      .references(() => reconciliations.id),
    /** The item's place in the reconciliation, from 1. */
    position: integer().notNull(),
    outcome: text({
      enum: ['matched', 'amount_differs', 'state_differs', 'only_at_provider', 'only_at_switch'],
    }).notNull(),
    switchReference: text().notNull(),
    /** The provider's line, as read. */
    providerLine: jsonb().$type<ProviderLine>(),
    /** The switch's record, as it was at the upload. */
    switchRecord: jsonb().$type<SwitchRecord>(),
    resolvedBy: text(),
    resolvedAt: timestamp({ withTimezone: true, mode: 'string' }),
    resolution: text(),
  },
  (t) => [primaryKey({ columns: [t.reconciliationId, t.position] })],
);
