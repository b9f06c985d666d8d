import { and, eq, sql } from 'drizzle-orm';
import type { LastingState, Phase } from '../../domain/lifecycle';
import type { ReportingDb } from '../client';
import { advices, messageTraces, transactions } from '../schema';

export type TransactionRow = typeof transactions.$inferInsert;
export type TraceRow = Omit<typeof messageTraces.$inferInsert, 'id' | 'transactionId'>;
export type AdviceRow = Omit<typeof advices.$inferInsert, 'transactionId' | 'updatedAt'>;

/**
 * Rows of one table keyed alike, merged as upserting them one after the other would leave them:
 * a later row's fields replace an earlier one's, its absent fields keep the earlier values. One
 * statement may not upsert the same row twice.
 */
function mergedByKey<T extends object>(rows: T[], key: (row: T) => string): T[] {
  const merged = new Map<string, T>();
  for (const row of rows) {
    const defined = Object.fromEntries(Object.entries(row).filter(([, value]) => value !== undefined));
    merged.set(key(row), { ...merged.get(key(row)), ...defined } as T);
  }
  return [...merged.values()];
}

/**
 * Whether a write (`excluded`) is later than the stored row, so replaces it. Within one run of
 * the workflow, by revision: a write that lands after a later one (a retried or timed-out write)
 * changes nothing. Between two runs (an operator reset the workflow: the new run's history, and
 * so its revisions, may be shorter than the old run's), by the workflow's time at the write; a
 * late write of the run that was replaced loses to the new run's. A write that does not say when
 * it was made (a worker from before the time was kept) is ordered by revision as before.
 */
const laterWrite = sql`case
  when ${transactions.runId} = excluded.run_id or excluded.written_at is null
    then ${transactions.revision} <= excluded.revision
  else ${transactions.writtenAt} is null or ${transactions.writtenAt} <= excluded.written_at
end`;

/**
 * Writes a transaction, its traces and its advices in one statement, so one round trip to the
 * database; repeating it changes nothing. The transaction row keeps the workflow's latest write
 * (by its revision), and a write older than the row changes nothing at all: the traces and
 * advices are written only with the row (`written`). An advice only moves forward, see below.
 * A field a write leaves out keeps its stored value, as an upsert of the row's defined fields would.
 */
export async function upsertTransaction(
  db: ReportingDb,
  row: TransactionRow,
  traces: TraceRow[],
  adviceRows: AdviceRow[] = [],
): Promise<void> {
  const { id, ...changes } = row;
  const writeRow = db
    .insert(transactions)
    .values(row)
    .onConflictDoUpdate({
      target: transactions.id,
      set: { ...changes, updatedAt: new Date().toISOString() },
      setWhere: laterWrite,
    })
    .returning({ id: transactions.id });
  const traceJson = JSON.stringify(mergedByKey(traces, (trace) => `${trace.leg}\n${trace.operation}`));
  const adviceList = mergedByKey(adviceRows, (advice) => advice.adviceId);
  await db.execute(sql`
    with written as (${writeRow.getSQL()}),
    -- A transaction's advices only accumulate: one this write does not have was written by a
    -- workflow task whose worker was lost, and never happened.
    forgotten as (
      delete from advices using written
      where advices.transaction_id = written.id
        and advices.advice_id not in (select jsonb_array_elements_text(${JSON.stringify(adviceList.map((advice) => advice.adviceId))}::jsonb))
    ),
    traced as (
      insert into message_traces
        (transaction_id, leg, operation, method, url, request, status, response, started_at, duration_ms)
      select written.id, t.leg, t.operation, t.method, t.url, t.request, t.status, t.response, t."startedAt", t."durationMs"
      from written, jsonb_to_recordset(${traceJson}::jsonb) as t(
        leg text, operation text, method text, url text, request jsonb, status integer, response jsonb,
        "startedAt" timestamptz, "durationMs" integer)
      on conflict (transaction_id, leg, operation) do update set
        method = coalesce(excluded.method, message_traces.method),
        url = coalesce(excluded.url, message_traces.url),
        request = coalesce(excluded.request, message_traces.request),
        status = coalesce(excluded.status, message_traces.status),
        response = coalesce(excluded.response, message_traces.response),
        started_at = excluded.started_at,
        duration_ms = coalesce(excluded.duration_ms, message_traces.duration_ms)
    ),
    advised as (
      insert into advices
        (transaction_id, advice_id, kind, origin, reason, provider, saf, attempts, last_error, accepted_at, settled_at)
      select written.id, a."adviceId", a.kind, a.origin, a.reason, a.provider, a.saf, coalesce(a.attempts, 0),
        a."lastError", a."acceptedAt", a."settledAt"
      from written, jsonb_to_recordset(${JSON.stringify(adviceList)}::jsonb) as a(
        "adviceId" text, kind text, origin text, reason text, provider text, saf text, attempts integer,
        "lastError" text, "acceptedAt" timestamptz, "settledAt" timestamptz)
      on conflict (transaction_id, advice_id) do update set
        kind = excluded.kind,
        origin = excluded.origin,
        reason = coalesce(excluded.reason, advices.reason),
        provider = coalesce(excluded.provider, advices.provider),
        saf = excluded.saf,
        -- The delivery activity counts attempts live; a snapshot taken before them must not undo them.
        attempts = greatest(advices.attempts, excluded.attempts),
        last_error = coalesce(excluded.last_error, advices.last_error),
        accepted_at = excluded.accepted_at,
        settled_at = coalesce(excluded.settled_at, advices.settled_at),
        updated_at = now()
      -- A settled advice never goes back to pending, whatever order the writes land in.
      where advices.saf = 'pending' or excluded.saf <> 'pending'
    )
    select 1`);
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

const preparedRunLookUps = new WeakMap<ReportingDb, ReturnType<typeof prepareRunLookUp>>();

function prepareRunLookUp(db: ReportingDb) {
  return db
    .select({ runId: transactions.runId, state: transactions.state, sealedState: transactions.sealedState })
    .from(transactions)
    .where(eq(transactions.id, sql.placeholder('id')))
    .prepare('transaction_run');
}

/**
 * A transaction row's run and state, by id: the look-up the API makes before every new
 * transaction, so its statement is built once per database, not at every request.
 */
function transactionRunOf(db: ReportingDb) {
  let prepared = preparedRunLookUps.get(db);
  if (!prepared) {
    prepared = prepareRunLookUp(db);
    preparedRunLookUps.set(db, prepared);
  }
  return prepared;
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
  const [row] = await transactionRunOf(db).execute({ id: transactionId });
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
