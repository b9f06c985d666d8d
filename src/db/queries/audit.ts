import { and, desc, eq, inArray, lt, notExists, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { AuditStep } from '../../domain/back-office';
import type { ReportingDb } from '../client';
import { advices, auditEvents } from '../schema';

/** The operators' audit trail: rows are added, never changed (the table refuses it). */

export type AuditEntry = Omit<typeof auditEvents.$inferInsert, 'id' | 'at'> & { step: AuditStep };
export type AuditEvent = typeof auditEvents.$inferSelect;

const iso = (value: string) => new Date(value).toISOString();
const view = (row: AuditEvent) => ({ ...row, at: iso(row.at) });

export async function appendAudit(db: ReportingDb, entry: AuditEntry) {
  const [row] = await db.insert(auditEvents).values(entry).returning();
  return view(row as AuditEvent);
}

/**
 * Records a decision on an action awaiting approval, or an action's outcome; undefined when it
 * was recorded already (the database keeps one decision and one outcome per action).
 */
export async function appendAuditOnce(db: ReportingDb, entry: AuditEntry) {
  const rows = await db.insert(auditEvents).values(entry).onConflictDoNothing().returning();
  return rows[0] && view(rows[0]);
}

export interface AuditFilters {
  transactionId?: string;
  operator?: string;
  actionId?: string;
  /** Rows older than this id: the next page. */
  before?: number;
  limit: number;
}

/** The audit trail newest first, filtered. */
export async function auditTrail(db: ReportingDb, filters: AuditFilters) {
  const conditions: (SQL | undefined)[] = [
    filters.transactionId === undefined ? undefined : eq(auditEvents.transactionId, filters.transactionId),
    filters.operator === undefined ? undefined : eq(auditEvents.operator, filters.operator),
    filters.actionId === undefined ? undefined : eq(auditEvents.actionId, filters.actionId),
    filters.before === undefined ? undefined : lt(auditEvents.id, filters.before),
  ];
  const rows = await db
    .select()
    .from(auditEvents)
    .where(and(...conditions))
    .orderBy(desc(auditEvents.id))
    .limit(filters.limit);
  return rows.map(view);
}

/** Actions requested and neither approved nor rejected yet, oldest first. */
export async function awaitingApproval(db: ReportingDb) {
  const decision = alias(auditEvents, 'decision');
  const rows = await db
    .select()
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.step, 'requested'),
        notExists(
          db
            .select({ id: decision.id })
            .from(decision)
            .where(and(eq(decision.actionId, auditEvents.actionId), inArray(decision.step, ['approved', 'rejected']))),
        ),
      ),
    )
    .orderBy(auditEvents.id);
  return rows.map(view);
}

/** The step that requested an action, with its detail; undefined when there is none. */
export async function requestedAction(db: ReportingDb, actionId: string) {
  const [row] = await db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.actionId, actionId), eq(auditEvents.step, 'requested')));
  return row && view(row);
}

/** One advice of a transaction as the reporting copy has it. */
export async function findAdvice(db: ReportingDb, transactionId: string, adviceId: string) {
  const [row] = await db
    .select()
    .from(advices)
    .where(and(eq(advices.transactionId, transactionId), eq(advices.adviceId, adviceId)));
  return row;
}

/** A refused advice marked settled outside the switch; false when it is no longer refused. */
export async function settleAdviceByHand(db: ReportingDb, transactionId: string, adviceId: string, at: Date) {
  const rows = await db
    .update(advices)
    .set({ saf: 'settled-by-hand', settledAt: at.toISOString(), updatedAt: at.toISOString() })
    .where(and(eq(advices.transactionId, transactionId), eq(advices.adviceId, adviceId), eq(advices.saf, 'refused')))
    .returning({ adviceId: advices.adviceId });
  return rows.length === 1;
}

/** What a redelivery of a refused advice came to. */
export interface Redelivery {
  saf: 'delivered' | 'refused' | 'consumed';
  attempts: number;
  lastError?: string;
  settledAt: string;
}

/** The advice's row after its redelivery: its attempts added to the earlier ones. */
export async function recordRedelivery(
  db: ReportingDb,
  transactionId: string,
  adviceId: string,
  redelivery: Redelivery,
) {
  await db
    .update(advices)
    .set({
      saf: redelivery.saf,
      attempts: sql`${advices.attempts} + ${redelivery.attempts}`,
      lastError: redelivery.lastError ?? null,
      settledAt: redelivery.settledAt,
      updatedAt: new Date().toISOString(),
    })
    .where(and(eq(advices.transactionId, transactionId), eq(advices.adviceId, adviceId), eq(advices.saf, 'pending')));
}

/** A refused advice taken back into store-and-forward for its redelivery; false when it is not refused. */
export async function reopenRefusedAdvice(db: ReportingDb, transactionId: string, adviceId: string) {
  const rows = await db
    .update(advices)
    .set({ saf: 'pending', updatedAt: new Date().toISOString() })
    .where(and(eq(advices.transactionId, transactionId), eq(advices.adviceId, adviceId), eq(advices.saf, 'refused')))
    .returning({ adviceId: advices.adviceId });
  return rows.length === 1;
}

/** Its redelivery never started: the advice is refused again, as it was. */
export async function restoreRefusedAdvice(db: ReportingDb, transactionId: string, adviceId: string) {
  await db
    .update(advices)
    .set({ saf: 'refused', updatedAt: new Date().toISOString() })
    .where(and(eq(advices.transactionId, transactionId), eq(advices.adviceId, adviceId), eq(advices.saf, 'pending')));
}
