import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReportingActivities } from '../../src/activities/reporting';
import { openReportingStore, type ReportingStore } from '../../src/db/client';
import {
  type AdviceRow,
  findTransaction,
  recordAdviceAttempt,
  type TraceRow,
  type TransactionRow,
  upsertTransaction,
} from '../../src/db/queries/transactions';
import { advices, messageTraces, transactions } from '../../src/db/schema';
import { maskCode } from '../../src/domain/masking';
import type { TransactionReport } from '../../src/domain/report';
import { createEncryptionCodec, insecureDevPayloadKeys, parseCodecKeys } from '../../src/temporal/codec';
import { createSealer } from '../../src/temporal/sealed';
import { approvedUse } from '../helpers/fixtures';
import { temporaryDatabase } from '../helpers/postgres';

const sealer = createSealer(createEncryptionCodec(parseCodecKeys(insecureDevPayloadKeys)));

// PGlite always; PostgreSQL too when TEST_DATABASE_URL names one (CI sets it to the machine's server).
const stores = [
  { name: 'PGlite', options: { pgliteDir: 'memory://' } },
  ...(process.env.TEST_DATABASE_URL
    ? [{ name: 'PostgreSQL', options: { url: process.env.TEST_DATABASE_URL, pgliteDir: 'unused' } }]
    : []),
];

function row(id: string, state: string): TransactionRow {
  return {
    id,
    type: 'provision',
    channelId: '22222222',
    messageId: randomUUID(),
    provider: 'flash',
    state,
    switchReference: randomUUID(),
    receivedAt: new Date().toISOString(),
  };
}

const trace = (leg: 'channel' | 'provider', status: number): TraceRow => ({
  leg,
  operation: 'provision',
  status,
  startedAt: new Date().toISOString(),
});

const advice = (saf: AdviceRow['saf'], changes: Partial<AdviceRow> = {}): AdviceRow => ({
  adviceId: 'advice-1',
  kind: 'confirm',
  origin: 'channel',
  provider: 'flash',
  saf,
  attempts: 0,
  acceptedAt: '2024-05-01T10:00:00.000Z',
  ...changes,
});

/** A redemption whose voucher code appears in the request and in both directions of the provider leg. */
function redemption(id: string, code: string): TransactionReport {
  const startedAt = new Date().toISOString();
  return {
    type: 'redemption',
    transactionId: id,
    channelId: '22222222',
    channelPath: '/suv/v1/redemptions',
    request: { id: randomUUID(), voucher: { code } },
    receivedAt: startedAt,
    answeredAt: startedAt,
    provider: 'flash',
    voucherCode: code,
    voucherKey: `key-${id}`,
    providerLeg: {
      method: 'POST',
      url: 'http://provider/redeem',
      request: { voucherCode: code },
      status: 200,
      response: { voucher: { code, state: 'REDEEMED' } },
      startedAt,
      durationMs: 12,
    },
    lifecycle: {
      phase: 'APPROVED',
      answer: approvedUse(code),
      advices: [],
    },
  };
}

describe.each(stores)('reporting store on $name', ({ options }) => {
  let store: ReportingStore;
  beforeAll(async () => {
    store = await openReportingStore(options);
  });
  afterAll(() => store?.close());

  it('applies the migrations and answers a ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('keeps one row per transaction and leg however often a write is repeated', async () => {
    const id = `provision-test-${randomUUID()}`;
    await upsertTransaction(store.db, row(id, 'PROVISIONING'), [trace('channel', 201)]);
    await upsertTransaction(store.db, row(id, 'PROVISIONED'), [trace('channel', 201), trace('provider', 201)]);
    await upsertTransaction(store.db, row(id, 'PROVISIONED'), [trace('channel', 201), trace('provider', 201)]);

    expect(await store.db.select().from(transactions).where(eq(transactions.id, id))).toHaveLength(1);
    const found = await findTransaction(store.db, id);
    expect(found?.state).toBe('PROVISIONED');
    expect(found?.traces.map((t) => t.leg).sort()).toEqual(['channel', 'provider']);
    await remove(id);
  });

  it('keeps no advice of a lost workflow task once the task that counted writes', async () => {
    const id = `provision-test-${randomUUID()}`;
    // A worker reversed the transaction and wrote so, then was lost before its task was recorded.
    await upsertTransaction(
      store.db,
      { ...row(id, 'REVERSED'), revision: 301 },
      [trace('channel', 504)],
      [advice('pending', { adviceId: 'lost-reversal' })],
    );
    // The task ran again at a longer history, and the provider approved.
    await upsertTransaction(store.db, { ...row(id, 'APPROVED'), revision: 600 }, [trace('channel', 201)]);

    const found = await findTransaction(store.db, id);
    expect(found).toMatchObject({ state: 'APPROVED', revision: 600 });
    expect(found?.advices).toEqual([]);
    await remove(id);
  });

  it('keeps the latest write when an older one lands after it', async () => {
    const id = `provision-test-${randomUUID()}`;
    const confirmed = { ...row(id, 'CONFIRMED'), revision: 2 };
    await upsertTransaction(
      store.db,
      confirmed,
      [trace('channel', 201), trace('provider', 201)],
      [advice('delivered')],
    );
    // The first write, timed out in the worker, reaches the database only now.
    await upsertTransaction(
      store.db,
      { ...row(id, 'APPROVED'), revision: 1 },
      [trace('channel', 504)],
      [advice('pending', { adviceId: 'advice-2' })],
    );

    const found = await findTransaction(store.db, id);
    expect(found).toMatchObject({ state: 'CONFIRMED', revision: 2 });
    expect(found?.traces.find((t) => t.leg === 'channel')?.status).toBe(201);
    expect(found?.advices.map((a) => a.adviceId)).toEqual(['advice-1']);
    await remove(id);
  });

  it('keeps one row per advice, and a settled advice never goes back to pending', async () => {
    const id = `provision-test-${randomUUID()}`;
    const write = (...rows: AdviceRow[]) => upsertTransaction(store.db, row(id, 'CONFIRMED'), [], rows);
    const stored = async () => (await findTransaction(store.db, id))?.advices;

    await write(advice('pending'));
    await recordAdviceAttempt(store.db, { transactionId: id, adviceId: 'advice-1', attempts: 2, lastError: 'down' });
    // A snapshot taken before those attempts undoes none of them.
    await write(advice('pending'));
    expect(await stored()).toEqual([expect.objectContaining({ saf: 'pending', attempts: 2, lastError: 'down' })]);

    const settledAt = '2024-05-01T10:00:07.000Z';
    await write(advice('delivered', { attempts: 3, settledAt }));
    await write(advice('pending'));
    await recordAdviceAttempt(store.db, { transactionId: id, adviceId: 'advice-1', attempts: 4, lastError: 'late' });
    await write(advice('delivered', { attempts: 3, settledAt }), advice('pending', { adviceId: 'advice-2' }));

    const [delivered, second] = (await stored()) ?? [];
    expect(delivered).toMatchObject({ adviceId: 'advice-1', saf: 'delivered', attempts: 3, lastError: 'down' });
    expect(new Date(delivered?.settledAt ?? '').toISOString()).toBe(settledAt);
    expect(second).toMatchObject({ adviceId: 'advice-2', saf: 'pending', attempts: 0 });
    expect(await store.db.select().from(advices).where(eq(advices.transactionId, id))).toHaveLength(2);
    await remove(id);
  });

  it('follows the run an operator reset the workflow to, whose history is shorter than the old run’s', async () => {
    const id = `provision-test-${randomUUID()}`;
    const at = (seconds: number) => new Date(Date.UTC(2026, 11, 1, 10, 0, seconds)).toISOString();
    const write = (state: string, runId: string, revision: number, writtenAt?: string) =>
      upsertTransaction(store.db, { ...row(id, state), runId, revision, writtenAt }, [trace('channel', 201)]);
    const stored = async () => (await store.db.select().from(transactions).where(eq(transactions.id, id)))[0];

    await write('CONFIRMED', 'run-1', 2500, at(0));
    // Reset to its answer, the workflow runs again from a shorter history, and is reversed.
    await write('REVERSED', 'run-2', 1700, at(60));
    expect(await stored()).toMatchObject({ state: 'REVERSED', runId: 'run-2', revision: 1700 });

    // A write of the replaced run that lands late changes nothing, whatever its revision.
    await write('CONFIRMED', 'run-1', 2600, at(1));
    // Within the new run, revisions order the writes as before; so does a worker that does not say when it wrote.
    await write('APPROVED', 'run-2', 1600, at(59));
    await write('APPROVED', 'run-2', 1650);
    expect(await stored()).toMatchObject({ state: 'REVERSED', runId: 'run-2', revision: 1700 });
    await write('REVERSED', 'run-2', 1800, at(61));
    expect(await stored()).toMatchObject({ state: 'REVERSED', revision: 1800 });
    await remove(id);
  });

  it('orders a timed write after a row from a worker that did not say when it wrote, across runs', async () => {
    const id = `provision-test-${randomUUID()}`;
    await upsertTransaction(store.db, { ...row(id, 'CONFIRMED'), runId: 'run-1', revision: 2500 }, []);
    await upsertTransaction(
      store.db,
      { ...row(id, 'REVERSED'), runId: 'run-2', revision: 1700, writtenAt: new Date().toISOString() },
      [],
    );
    const [stored] = await store.db.select().from(transactions).where(eq(transactions.id, id));
    expect(stored).toMatchObject({ state: 'REVERSED', runId: 'run-2' });
    await remove(id);
  });

  it('takes a write that names one trace or advice twice, as the later of the two with the earlier filling gaps', async () => {
    const id = `provision-test-${randomUUID()}`;
    // Two reversals, each sent to the provider: both provider legs are named `reverse`.
    const firstCall = {
      ...trace('provider', 500),
      operation: 'reverse',
      url: 'http://provider/reverse',
      durationMs: 30,
    };
    const secondCall = { ...trace('provider', 200), operation: 'reverse', durationMs: undefined };
    await upsertTransaction(
      store.db,
      row(id, 'REVERSED'),
      [trace('channel', 201), firstCall, secondCall],
      [
        advice('pending', { kind: 'reverse', lastError: 'down' }),
        advice('delivered', { kind: 'reverse', attempts: 2 }),
      ],
    );

    const found = await findTransaction(store.db, id);
    expect(found?.traces.find((t) => t.operation === 'reverse')).toMatchObject({
      status: 200,
      url: 'http://provider/reverse',
      durationMs: 30,
    });
    expect(found?.traces).toHaveLength(2);
    expect(found?.advices).toEqual([expect.objectContaining({ saf: 'delivered', attempts: 2, lastError: 'down' })]);
    await remove(id);
  });

  it('stores voucher codes only masked, and finds the transaction by the keyed hash', async () => {
    const id = `redemption-test-${randomUUID()}`;
    const code = '1234567890123456';
    await createReportingActivities({ db: store.db, sealer }).recordTransaction(redemption(id, code));

    const found = await findTransaction(store.db, id);
    expect(found).toMatchObject({ voucherCodeMasked: maskCode(code), voucherKey: `key-${id}` });
    expect(found?.traces).toHaveLength(2);
    expect(JSON.stringify(found)).not.toContain(code);
    const byKey = await store.db
      .select()
      .from(transactions)
      .where(eq(transactions.voucherKey, `key-${id}`));
    expect(byKey.map((t) => t.id)).toEqual([id]);
    await remove(id);
  });

  it('keeps the lasting state sealed, for a later run of the same workflow id to find', async () => {
    const id = `redemption-test-${randomUUID()}`;
    const code = '1234567890123456';
    const activities = createReportingActivities({ db: store.db, sealer });
    const report = redemption(id, code);
    const answer = approvedUse(code, report.request.id);
    await activities.recordTransaction({ ...report, runId: 'run-1', lifecycle: { ...report.lifecycle, answer } });

    const [stored] = await store.db.select().from(transactions).where(eq(transactions.id, id));
    expect(stored?.sealedState).toBeTruthy();
    expect(JSON.stringify(stored)).not.toContain(code);
    // The run that wrote it is not an earlier run of itself; any other run is.
    expect(await activities.findEarlierRun({ transactionId: id, runId: 'run-1' })).toBeUndefined();
    expect(await activities.findEarlierRun({ transactionId: id, runId: 'run-2' })).toMatchObject({
      phase: report.lifecycle.phase,
      answer,
    });
    expect(await activities.findEarlierRun({ transactionId: `never-${id}`, runId: 'run-2' })).toBeUndefined();
    await remove(id);
  });

  async function remove(id: string) {
    await store.db.delete(advices).where(eq(advices.transactionId, id));
    await store.db.delete(messageTraces).where(eq(messageTraces.transactionId, id));
    await store.db.delete(transactions).where(eq(transactions.id, id));
  }
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('a new PostgreSQL database', () => {
  it('is migrated once when the API and the worker open it at the same moment', async () => {
    const database = await temporaryDatabase(process.env.TEST_DATABASE_URL as string, 'reporting_first_start');
    try {
      const opened = await Promise.allSettled(
        [1, 2, 3].map(() => openReportingStore({ url: database.url, pgliteDir: 'unused' })),
      );
      for (const result of opened) if (result.status === 'fulfilled') await result.value.close();
      expect(opened.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    } finally {
      await database.drop();
    }
  });
});
