import { and, eq, notInArray, sql } from 'drizzle-orm';
import type { LastingState, Phase } from '../../domain/lifecycle';
import type { ReportingDb } from '../client';
import { advices, messageTraces, transactions } from '../schema';

export type TransactionRow = typeof transactions.$inferInsert;
export type TraceRow = Omit<typeof messageTraces.$inferInsert, 'id' | 'transactionId'>;
export type AdviceRow = Omit<typeof advices.$inferInsert, 'transactionId' | 'updatedAt'>;

/**
 * Writes a transaction, its traces and its advices in one database transaction; repeating it
 * changes nothing. The transaction row keeps the workflow's latest write (by its revision), and
 * a write older than the row changes nothing at all; an advice only moves forward, see below.
 */
export async function upsertTransaction(
  db: ReportingDb,
  row: TransactionRow,
  traces: TraceRow[],
  adviceRows: AdviceRow[] = [],
): Promise<void> {
  await db.transaction(async (tx) => {
    const { id, ...changes } = row;
    const written = await tx
      .insert(transactions)
      .values(row)
      .onConflictDoUpdate({
        target: transactions.id,
        set: { ...changes, updatedAt: new Date().toISOString() },
        // A write that lands after a later one (a retried or timed-out write) changes nothing.
        setWhere: sql`${transactions.revision} <= excluded.revision`,
      })
      .returning({ id: transactions.id });
    if (written.length === 0) return;
    // The row is this write's, and a transaction's advices only accumulate: one this write does
    // not have was written by a workflow task whose worker was lost, and never happened.
    const current = adviceRows.map((advice) => advice.adviceId);
    await tx.delete(advices).where(and(eq(advices.transactionId, id), notInArray(advices.adviceId, current)));
    for (const trace of traces) {
      const withId = { ...trace, transactionId: id };
      await tx
        .insert(messageTraces)
        .values(withId)
        .onConflictDoUpdate({
          target: [messageTraces.transactionId, messageTraces.leg, messageTraces.operation],
          set: trace,
        });
    }
    for (const advice of adviceRows) {
      await tx
        .insert(advices)
        .values({ ...advice, transactionId: id })
        .onConflictDoUpdate({
          target: [advices.transactionId, advices.adviceId],
          set: {
            ...advice,
            // The delivery activity counts attempts live; a snapshot taken before them must not undo them.
            attempts: sql`greatest(${advices.attempts}, excluded.attempts)`,
            lastError: sql`coalesce(excluded.last_error, ${advices.lastError})`,
            updatedAt: new Date().toISOString(),
          },
          // A settled advice never goes back to pending, whatever order the writes land in.
          setWhere: sql`${advices.saf} = 'pending' or excluded.saf <> 'pending'`,
        });
    }
  });
}

/** A failed delivery of an advice: the attempt that failed (Temporal's count) and why. */
export interface AdviceAttempt {
  transactionId: string;
  adviceId: string;
  attempts: number;
  lastError: string;
}

/**
 * Notes a failed delivery of an advice still pending, so operators see a retried advice's
 * attempts and last error while it is retried. Does nothing until the advice is recorded.
 */
export async function recordAdviceAttempt(db: ReportingDb, attempt: AdviceAttempt): Promise<void> {
  const { transactionId, adviceId, attempts, lastError } = attempt;
  await db
    .update(advices)
    .set({ attempts: sql`greatest(${advices.attempts}, ${attempts})`, lastError, updatedAt: new Date().toISOString() })
    .where(and(eq(advices.transactionId, transactionId), eq(advices.adviceId, adviceId), eq(advices.saf, 'pending')));
}

/** A transaction by its id (the workflow id), with its traces and advices; undefined when unknown. */
export async function findTransaction(db: ReportingDb, id: string) {
  const [row] = await db.select().from(transactions).where(eq(transactions.id, id));
  if (!row) return undefined;
  const traces = await db.select().from(messageTraces).where(eq(messageTraces.transactionId, id));
  const adviceRows = await db.select().from(advices).where(eq(advices.transactionId, id)).orderBy(advices.acceptedAt);
  return { ...row, traces, advices: adviceRows };
}

/** The voucher key of a channel's provision that issued the voucher with this serial number. */
export async function findVoucherKeyBySerial(db: ReportingDb, channelId: string, serialNumber: string) {
  const [row] = await db
    .select({ voucherKey: transactions.voucherKey })
    .from(transactions)
    .where(
      and(
        eq(transactions.channelId, channelId),
        eq(transactions.type, 'provision'),
        eq(transactions.voucherSerialNumber, serialNumber),
      ),
    )
    .limit(1);
  return row?.voucherKey ?? undefined;
}

/**
 * The lasting state of a transaction an earlier run of its workflow id recorded, when its row is
 * not this run's own (`runId`; any row when no run is given). Rows from before the state was
 * sealed give their phase and advices only.
 */
export async function findEarlierRun(
  db: ReportingDb,
  unseal: (sealed: string) => Promise<LastingState>,
  transactionId: string,
  runId?: string,
): Promise<LastingState | undefined> {
  const [row] = await db
    .select({ runId: transactions.runId, state: transactions.state, sealedState: transactions.sealedState })
    .from(transactions)
    .where(eq(transactions.id, transactionId));
  if (!row || (runId !== undefined && row.runId === runId)) return undefined;
  if (row.sealedState) return unseal(row.sealedState);
  const adviceRows = await db
    .select()
    .from(advices)
    .where(eq(advices.transactionId, transactionId))
    .orderBy(advices.acceptedAt);
  return {
    phase: row.state as Phase,
    advices: adviceRows.map((advice) => ({
      kind: advice.kind,
      id: advice.adviceId,
      origin: advice.origin,
      reason: advice.reason ?? undefined,
      // Settled by hand is, to the workflow, the provider's refusal it was.
      saf: advice.saf === 'settled-by-hand' ? 'refused' : advice.saf,
    })),
  };
}
