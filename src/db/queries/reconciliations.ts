import { and, asc, desc, eq, inArray, isNull, ne, type SQL, sql } from 'drizzle-orm';
import type { TransactionType } from '../../domain/lifecycle';
import type { ReconciliationItem, ReconciliationOutcome, SwitchRecord } from '../../domain/reconciliation';
import type { ReportingDb } from '../client';
import { reconciliationItems, reconciliations, transactions } from '../schema';
import { settledAt, voucherValue } from './settlement';

/**
 * The switch's side of a provider's business day: the provider's transactions that settled in
 * `[from, to)`, and any other that the file names by its switch reference.
 */
export async function switchRecordsFor(
  db: ReportingDb,
  provider: string,
  { from, to }: { from: Date; to: Date },
  references: readonly string[],
): Promise<SwitchRecord[]> {
  const final = sql`${transactions.state} in ('CONFIRMED', 'REVERSED', 'DECLINED')`;
  const inDay = sql`${final} and ${settledAt} >= ${from.toISOString()} and ${settledAt} < ${to.toISOString()}`;
  const select = (where: SQL) =>
    db
      .select({
        transactionId: transactions.id,
        switchReference: transactions.switchReference,
        providerReference: transactions.providerReference,
        type: transactions.type,
        amount: voucherValue<number | null>('amount'),
        state: transactions.state,
        inDay: sql<boolean>`${inDay}`,
      })
      .from(transactions)
      .where(and(eq(transactions.provider, provider), where));
  // The file's references a thousand at a time: a statement takes at most 65,535 parameters.
  const batches = [await select(inDay)];
  for (let i = 0; i < references.length; i += 1_000) {
    batches.push(await select(inArray(transactions.switchReference, references.slice(i, i + 1_000))));
  }
  const byId = new Map(batches.flat().map((row) => [row.transactionId, row]));
  return [...byId.values()].flatMap((row) =>
    row.switchReference === null
      ? []
      : [
          {
            transactionId: row.transactionId,
            switchReference: row.switchReference,
            providerReference: row.providerReference ?? undefined,
            type: row.type as TransactionType,
            amount: row.amount ?? undefined,
            state: row.state,
            inDay: Boolean(row.inDay),
          },
        ],
  );
}

export interface NewReconciliation {
  id: string;
  provider: string;
  businessDay: string;
  format: string;
  uploadedBy: string;
  lineCount: number;
  counts: Record<ReconciliationOutcome, number>;
  items: ReconciliationItem[];
}

/** Stores the reconciliation and each of its items, in one database transaction. */
export async function storeReconciliation(db: ReportingDb, { items, ...reconciliation }: NewReconciliation) {
  await db.transaction(async (tx) => {
    await tx.insert(reconciliations).values(reconciliation);
    const rows = items.map((item, index) => ({
      reconciliationId: reconciliation.id,
      position: index + 1,
      outcome: item.outcome,
      switchReference: item.switchReference,
      providerLine: item.provider,
      switchRecord: item.switchSide,
    }));
    for (let i = 0; i < rows.length; i += 500) await tx.insert(reconciliationItems).values(rows.slice(i, i + 500));
  });
}

const iso = (value: string | null) => (value === null ? undefined : new Date(value).toISOString());

type ReconciliationRow = typeof reconciliations.$inferSelect;
const reconciliationView = (row: ReconciliationRow) => ({ ...row, uploadedAt: iso(row.uploadedAt) as string });

/** The reconciliations, newest first. */
export async function listReconciliations(db: ReportingDb, limit = 100) {
  const rows = await db.select().from(reconciliations).orderBy(desc(reconciliations.uploadedAt)).limit(limit);
  return rows.map(reconciliationView);
}

/** A reconciliation with its exceptions (every item but the matched ones), in file order. */
export async function findReconciliation(db: ReportingDb, id: string) {
  const [row] = await db.select().from(reconciliations).where(eq(reconciliations.id, id));
  if (!row) return undefined;
  const exceptions = await db
    .select()
    .from(reconciliationItems)
    .where(and(eq(reconciliationItems.reconciliationId, id), ne(reconciliationItems.outcome, 'matched')))
    .orderBy(asc(reconciliationItems.position));
  return {
    ...reconciliationView(row),
    exceptions: exceptions.map(
      ({ reconciliationId: _, resolvedAt, providerLine, switchRecord, resolvedBy, resolution, ...item }) => ({
        ...item,
        providerLine: providerLine ?? undefined,
        switchRecord: switchRecord ?? undefined,
        resolvedBy: resolvedBy ?? undefined,
        resolution: resolution ?? undefined,
        resolvedAt: iso(resolvedAt),
      }),
    ),
  };
}

/**
 * Marks an exception resolved, with who and why; once only. Undefined when there is no such
 * unresolved exception.
 */
export async function resolveException(
  db: ReportingDb,
  id: string,
  position: number,
  { by, reason, at }: { by: string; reason: string; at: Date },
) {
  const [updated] = await db
    .update(reconciliationItems)
    .set({ resolvedBy: by, resolution: reason, resolvedAt: at.toISOString() })
    .where(
      and(
        eq(reconciliationItems.reconciliationId, id),
        eq(reconciliationItems.position, position),
        ne(reconciliationItems.outcome, 'matched'),
        isNull(reconciliationItems.resolvedAt),
      ),
    )
    .returning({ position: reconciliationItems.position });
  return updated;
}
