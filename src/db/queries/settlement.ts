import { desc, eq, sql } from 'drizzle-orm';
import type { TransactionType } from '../../domain/lifecycle';
import {
  type BusinessDay,
  type BusinessDaySettings,
  businessDayWindow,
  isFinalPhase,
  type SettledTransaction,
  type SettlementFigures,
  settlementFigures,
} from '../../domain/settlement';
import type { ReportingDb } from '../client';
import { settlementReports, transactions } from '../schema';

/*
 * Written out with the tables' own names: the subqueries compare a row with its outer row, which
 * column references that drizzle leaves unqualified cannot tell apart.
 */

/**
 * When a transaction reached its final state: its confirmation's or reversal's acceptance (the
 * first, should there be more), or for a decline, its answer.
 */
export const settledAt = sql.raw(`coalesce(
  (select min(a.accepted_at) from advices a
    where a.transaction_id = transactions.id
      and a.kind = case transactions.state when 'CONFIRMED' then 'confirm' else 'reverse' end),
  transactions.answered_at,
  transactions.received_at)`);

/**
 * A redemption or refund carries no amount (contract): a single-use voucher is used whole, so it
 * counts its provision's.
 */
export const voucherValue = <T>(column: 'amount' | 'currency') =>
  sql<T>`${sql.raw(`coalesce(transactions.${column}, (select p.${column} from transactions p
    where p.voucher_key = transactions.voucher_key and p.type = 'provision'
    order by p.received_at limit 1))`)}`;

/** The transactions that reached their final state in `[from, to)`. */
export async function settledBetween(db: ReportingDb, from: Date, to: Date): Promise<SettledTransaction[]> {
  const rows = await db
    .select({
      type: transactions.type,
      provider: transactions.provider,
      channelId: transactions.channelId,
      state: transactions.state,
      amount: voucherValue<number | null>('amount'),
      fee: transactions.feeAmount,
      currency: voucherValue<string | null>('currency'),
    })
    .from(transactions)
    .where(
      sql`${transactions.state} in ('CONFIRMED', 'REVERSED', 'DECLINED')
        and ${settledAt} >= ${from.toISOString()} and ${settledAt} < ${to.toISOString()}`,
    );
  return rows.flatMap((row) =>
    isFinalPhase(row.state) ? [{ ...row, type: row.type as TransactionType, state: row.state }] : [],
  );
}

export interface SettlementReport {
  businessDay: BusinessDay;
  cutoff: string;
  timeZone: string;
  windowFrom: string;
  windowTo: string;
  transactionCount: number;
  figures: SettlementFigures;
  producedAt: string;
}

const iso = (value: string) => new Date(value).toISOString();

function reportView(row: typeof settlementReports.$inferSelect): SettlementReport {
  return {
    ...row,
    windowFrom: iso(row.windowFrom),
    windowTo: iso(row.windowTo),
    producedAt: iso(row.producedAt),
  };
}

/** The day's figures as the reporting copy has them now: not stored. */
export async function settlementFiguresFor(db: ReportingDb, day: BusinessDay, settings: BusinessDaySettings) {
  const { from, to } = businessDayWindow(day, settings);
  const settled = await settledBetween(db, from, to);
  return {
    businessDay: day,
    cutoff: settings.cutoff,
    timeZone: settings.timeZone,
    windowFrom: from.toISOString(),
    windowTo: to.toISOString(),
    transactionCount: settled.length,
    figures: settlementFigures(settled),
  };
}

/**
 * Produces the day's report and stores it, unless it is stored already: then the stored one is
 * the answer, whatever the copy says now.
 */
export async function produceSettlementReport(
  db: ReportingDb,
  day: BusinessDay,
  settings: BusinessDaySettings,
): Promise<SettlementReport> {
  const stored = await findSettlementReport(db, day);
  if (stored) return stored;
  const report = await settlementFiguresFor(db, day, settings);
  await db.insert(settlementReports).values(report).onConflictDoNothing();
  return (await findSettlementReport(db, day)) as SettlementReport;
}

export async function findSettlementReport(db: ReportingDb, day: BusinessDay): Promise<SettlementReport | undefined> {
  const [row] = await db.select().from(settlementReports).where(eq(settlementReports.businessDay, day));
  return row && reportView(row);
}

/** The stored reports, newest day first, without their figures. */
export async function listSettlementReports(db: ReportingDb, limit = 100) {
  const rows = await db
    .select({
      businessDay: settlementReports.businessDay,
      transactionCount: settlementReports.transactionCount,
      producedAt: settlementReports.producedAt,
    })
    .from(settlementReports)
    .orderBy(desc(settlementReports.businessDay))
    .limit(limit);
  return rows.map((row) => ({ ...row, producedAt: iso(row.producedAt) }));
}
