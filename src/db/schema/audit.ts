import { sql } from 'drizzle-orm';
import { bigint, index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { AuditStep } from '../../domain/back-office';

/**
 * Every operator action, one row per step: who, when, what, why and the outcome. Rows are only
 * ever added: no route changes them, and the database refuses an update, a delete or a truncate
 * (migration 0008's trigger).
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp({ withTimezone: true, mode: 'string' }).notNull().defaultNow(),
    /** The operator's name; `switch` for what the switch records of an action that finished later. */
    operator: text().notNull(),
    /** What was asked: a back-office action, or another operator action (a report, a provider file). */
    action: text().notNull(),
    step: text().$type<AuditStep>().notNull(),
    /** The steps of one action share it. */
    actionId: text().notNull(),
    transactionId: text(),
    /** What else it names: an advice id, a reconciliation and line, a business day. */
    target: text(),
    reason: text(),
    outcome: text(),
  },
  (t) => [
    index('audit_events_transaction').on(t.transactionId, t.id),
    index('audit_events_action').on(t.actionId),
    // One decision per action awaiting approval, however many operators press the button at once.
    uniqueIndex('audit_events_decision').on(t.actionId).where(sql`${t.step} in ('approved', 'rejected')`),
    // One outcome per action, however often the step that records it is retried.
    uniqueIndex('audit_events_outcome').on(t.actionId).where(sql`${t.step} in ('done', 'refused', 'failed')`),
  ],
);
