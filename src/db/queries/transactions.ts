import { and, eq } from 'drizzle-orm';
import type { ReportingDb } from '../client';
import { messageTraces, transactions } from '../schema';

export type TransactionRow = typeof transactions.$inferInsert;
export type TraceRow = Omit<typeof messageTraces.$inferInsert, 'id' | 'transactionId'>;

/** Writes a transaction and its traces in one database transaction; repeating it changes nothing. */
export async function upsertTransaction(db: ReportingDb, row: TransactionRow, traces: TraceRow[]): Promise<void> {
  await db.transaction(async (tx) => {
    const { id, ...changes } = row;
    await tx
      .insert(transactions)
      .values(row)
      .onConflictDoUpdate({ target: transactions.id, set: { ...changes, updatedAt: new Date().toISOString() } });
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
  });
}

/** A transaction by its id (the workflow id), with its traces; undefined when unknown. */
export async function findTransaction(db: ReportingDb, id: string) {
  const [row] = await db.select().from(transactions).where(eq(transactions.id, id));
  if (!row) return undefined;
  const traces = await db.select().from(messageTraces).where(eq(messageTraces.transactionId, id));
  return { ...row, traces };
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
