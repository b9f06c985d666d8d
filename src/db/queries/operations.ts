import { and, asc, desc, eq, exists, gte, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import type { ReportingDb } from '../client';
import { advices, messageTraces, transactions } from '../schema';

/** What operators read from the reporting copy (contract §3); nothing here writes. */

export interface TransactionFilters {
  channel?: string;
  provider?: string;
  type?: string;
  state?: string;
  /** Received at or after (inclusive), RFC 3339. */
  from?: string;
  /** Received before (exclusive), RFC 3339. */
  to?: string;
  /**
   * A transaction or message id, the switch's or provider's reference, or a third-party
   * transaction identifier of the channel's request.
   */
  reference?: string;
  /** The keyed hash of `reference` read as a voucher code: the copy keeps no code in clear. */
  voucherKey?: string;
}

export interface Page {
  limit: number;
  /** From the previous page's `nextCursor`. */
  cursor?: string;
}

type TransactionRow = typeof transactions.$inferSelect;

/** A transaction as operators see it: timestamps in RFC 3339, without the voucher key. */
export type OperatorTransaction = ReturnType<typeof operatorView>;

/** PostgreSQL's timestamp text (`2026-01-02 10:00:00.123+00`) as RFC 3339, keeping nulls. */
const iso = <T extends string | null>(value: T) => (value === null ? null : new Date(value).toISOString()) as T;

function operatorView({ voucherKey: _, receivedAt, answeredAt, updatedAt, ...row }: TransactionRow) {
  return { ...row, receivedAt: iso(receivedAt), answeredAt: iso(answeredAt), updatedAt: iso(updatedAt) };
}

/**
 * The keyset cursor: the last row's (received_at, id) exactly as the database wrote them, so the
 * next page starts strictly after it however many rows share a timestamp.
 */
type Cursor = [receivedAt: string, id: string];

const encodeCursor = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

/** The position a cursor names, or undefined when it is not one this module made. */
export function decodeCursor(text: string): Cursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [receivedAt, id] = value;
    const valid = typeof receivedAt === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(receivedAt));
    return valid ? [receivedAt, id] : undefined;
  } catch {
    return undefined;
  }
}

/** The reference as any of the identifiers operators hold. */
function referenceMatches(db: ReportingDb, reference: string, voucherKey: string | undefined): SQL | undefined {
  // Containment (`@>`) finds the identifier at any position of the array, on PostgreSQL and PGlite alike.
  const inRequest = { thirdPartyIdentifiers: [{ transactionIdentifier: reference }] };
  const channelRequestNames = db
    .select({ one: sql`1` })
    .from(messageTraces)
    .where(
      and(
        eq(messageTraces.transactionId, transactions.id),
        eq(messageTraces.leg, 'channel'),
        sql`${messageTraces.request} @> ${JSON.stringify(inRequest)}::jsonb`,
      ),
    );
  return or(
    eq(transactions.id, reference),
    // Message ids are UUID-shaped: a channel may write them in either case.
    sql`lower(${transactions.messageId}) = ${reference.toLowerCase()}`,
    eq(transactions.switchReference, reference),
    eq(transactions.providerReference, reference),
    voucherKey === undefined ? undefined : eq(transactions.voucherKey, voucherKey),
    exists(channelRequestNames),
  );
}

/** Transactions newest first (received_at, then id), one page at a time. */
export async function listTransactions(db: ReportingDb, filters: TransactionFilters, page: Page) {
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  const conditions = [
    filters.channel === undefined ? undefined : eq(transactions.channelId, filters.channel),
    filters.provider === undefined ? undefined : eq(transactions.provider, filters.provider),
    filters.type === undefined ? undefined : eq(transactions.type, filters.type),
    filters.state === undefined ? undefined : eq(transactions.state, filters.state),
    // As UTC: RFC 3339 takes offsets PostgreSQL refuses (beyond ±15:59).
    filters.from === undefined ? undefined : gte(transactions.receivedAt, new Date(filters.from).toISOString()),
    filters.to === undefined ? undefined : lt(transactions.receivedAt, new Date(filters.to).toISOString()),
    filters.reference === undefined ? undefined : referenceMatches(db, filters.reference, filters.voucherKey),
    after &&
      or(
        lt(transactions.receivedAt, after[0]),
        and(eq(transactions.receivedAt, after[0]), lt(transactions.id, after[1])),
      ),
  ];
  // One row more than asked tells whether another page follows.
  const rows = await db
    .select()
    .from(transactions)
    .where(and(...conditions))
    .orderBy(desc(transactions.receivedAt), desc(transactions.id))
    .limit(page.limit + 1);
  const shown = rows.slice(0, page.limit);
  const last = shown.at(-1);
  return {
    transactions: shown.map(operatorView),
    nextCursor: rows.length > page.limit && last ? encodeCursor([last.receivedAt, last.id]) : undefined,
  };
}

/**
 * One transaction with its message traces (the channel leg first, then the provider legs in the
 * order they happened) and its advices. `id` is the switch's transaction id or the channel's
 * message id. A message id is unique per channel and type only, so several transactions may share
 * it: the newest is returned, and `sameMessageId` lists the ids of the others, newest first.
 */
export async function findOperatorTransaction(db: ReportingDb, id: string) {
  const matches = await db
    .select()
    .from(transactions)
    .where(or(eq(transactions.id, id), sql`lower(${transactions.messageId}) = ${id.toLowerCase()}`))
    .orderBy(desc(transactions.receivedAt), desc(transactions.id));
  const found = matches.find((row) => row.id === id) ?? matches[0];
  if (!found) return undefined;
  const [traces, adviceRows] = await Promise.all([
    db
      .select()
      .from(messageTraces)
      .where(eq(messageTraces.transactionId, found.id))
      .orderBy(sql`${messageTraces.leg} <> 'channel'`, asc(messageTraces.startedAt), asc(messageTraces.id)),
    db
      .select()
      .from(advices)
      .where(eq(advices.transactionId, found.id))
      .orderBy(asc(advices.acceptedAt), asc(advices.adviceId)),
  ]);
  return {
    transaction: operatorView(found),
    traces: traces.map(({ id: _, transactionId: __, startedAt, ...trace }) => ({
      ...trace,
      startedAt: iso(startedAt),
    })),
    advices: adviceRows.map(({ transactionId: _, acceptedAt, settledAt, updatedAt, ...advice }) => ({
      ...advice,
      acceptedAt: iso(acceptedAt),
      settledAt: iso(settledAt),
      updatedAt: iso(updatedAt),
    })),
    sameMessageId: matches.filter((row) => row !== found).map((row) => row.id),
  };
}

/**
 * The store-and-forward backlog per provider: advices still pending, the oldest of them and its
 * age at `now`, and the advices the provider refused (shown to operators, never retried).
 */
export async function safBacklog(db: ReportingDb, now: Date) {
  const pending = sql`${advices.saf} = 'pending'`;
  const rows = await db
    .select({
      provider: advices.provider,
      pending: sql<number>`count(*) filter (where ${pending})`.mapWith(Number),
      oldestPendingAt: sql<string | null>`min(${advices.acceptedAt}) filter (where ${pending})`,
      refused: sql<number>`count(*) filter (where ${advices.saf} = 'refused')`.mapWith(Number),
    })
    .from(advices)
    .where(inArray(advices.saf, ['pending', 'refused']))
    .groupBy(advices.provider)
    .orderBy(asc(advices.provider));
  return rows.map(({ oldestPendingAt, ...row }) => {
    const oldest = oldestPendingAt === null ? null : new Date(oldestPendingAt);
    return {
      ...row,
      oldestPendingAt: oldest?.toISOString() ?? null,
      oldestPendingAgeSeconds: oldest && Math.max(0, Math.floor((now.getTime() - oldest.getTime()) / 1000)),
    };
  });
}

/** Transactions not settled yet (in flight, or approved and awaiting their confirmation), by type and state. */
export async function openTransactions(db: ReportingDb) {
  return db
    .select({ type: transactions.type, state: transactions.state, count: sql<number>`count(*)`.mapWith(Number) })
    .from(transactions)
    .where(inArray(transactions.state, ['IN_FLIGHT', 'APPROVED']))
    .groupBy(transactions.type, transactions.state);
}

/** What the worker's metrics read from the reporting copy at each scrape. */
export const reportingFigures = (db: ReportingDb) => ({
  backlog: () => safBacklog(db, new Date()),
  openTransactions: () => openTransactions(db),
});
