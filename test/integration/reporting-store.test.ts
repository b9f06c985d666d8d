import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openReportingStore, type ReportingStore } from '../../src/db/client';
import {
  findTransaction,
  type TraceRow,
  type TransactionRow,
  upsertTransaction,
} from '../../src/db/queries/transactions';
import { messageTraces, transactions } from '../../src/db/schema';

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
    await store.db.delete(messageTraces).where(eq(messageTraces.transactionId, id));
    await store.db.delete(transactions).where(eq(transactions.id, id));
  });
});
