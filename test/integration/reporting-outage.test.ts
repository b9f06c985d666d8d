import { count, inArray } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openReportingStore, type ReportingStore } from '../../src/db/client';
import { findTransaction } from '../../src/db/queries/transactions';
import { advices, messageTraces } from '../../src/db/schema';
import { workflowIdFor } from '../../src/domain/provision';
import type { LedgerEntry } from '../../src/providers/simulator/app';
import { eventually } from '../helpers/eventually';
import { makeAdvice, makeProvisionRequest, makeReversal } from '../helpers/fixtures';
import { temporaryDatabase, withTarget } from '../helpers/postgres';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

const serverUrl = process.env.TEST_DATABASE_URL;

/** The same server, another database or address. */

// Real PostgreSQL only: the point is the driver's own behaviour when its connections drop.
describe.skipIf(!serverUrl)('reporting copy on PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof temporaryDatabase>>;
  let proxy: TcpProxy;
  let sw: TestSwitch;
  /** The copy read directly, not through the proxy. */
  let copy: ReportingStore;

  beforeAll(async () => {
    const url = serverUrl as string;
    database = await temporaryDatabase(url, 'outage');
    const server = new URL(url);
    proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
    sw = await startTestSwitch({ DATABASE_URL: withTarget(database.url, { port: proxy.port }) });
    copy = await openReportingStore({ url: database.url, pgliteDir: 'unused' });
  });
  // A test that fails during its outage must not leave the next one without a database.
  afterEach(() => proxy?.restore());
  afterAll(async () => {
    await sw?.stop();
    await copy?.close();
    await proxy?.close();
    await database?.drop();
  });

  const transactionId = (requestId: string) => workflowIdFor('22222222', requestId);

  async function provision() {
    const request = makeProvisionRequest();
    expect((await sw.post('/suv/v1/vouchers', request)).status).toBe(201);
    return request.id as string;
  }

  /** Resolves once the provider's ledger for the request has `operation`. */
  function providerReceived(requestId: string, operation: LedgerEntry['operation']) {
    return eventually(async () => {
      const entries = await sw.simulator.ledger({ channelMessageId: requestId });
      return entries.some((e) => e.operation === operation && e.outcome === 'ok') || undefined;
    });
  }

  it('answers and settles every transaction while the database is down, and the copy catches up without gaps', async () => {
    // Known to the copy before the outage; its confirmation comes during it.
    const stale = await provision();
    await eventually(
      async () => (await findTransaction(copy.db, transactionId(stale)))?.state === 'APPROVED' || undefined,
    );

    proxy.cut();
    await expect(sw.reporting.ping()).rejects.toThrow();
    // Transactions go on without the copy: still ready, and /health and /metrics say what is behind.
    expect(await sw.get('/ready', '')).toEqual({ status: 200, body: { status: 'READY' } });
    expect(await sw.get('/health', '')).toEqual({
      status: 200,
      body: { status: 'DEGRADED', temporal: 'UP', reportingStore: 'DOWN' },
    });
    expect(await (await fetch(`${sw.url}/metrics`)).text()).toContain(
      'switch_dependency_up{dependency="reporting_store"} 0',
    );
    const confirmed = [stale, await provision(), await provision()];
    const reversed = await provision();
    for (const id of confirmed) {
      expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(id))).status).toBe(202);
    }
    expect((await sw.post('/suv/v1/vouchers/reversals', makeReversal(reversed))).status).toBe(202);
    await Promise.all([
      ...confirmed.map((id) => providerReceived(id, 'confirm')),
      providerReceived(reversed, 'reverse'),
    ]);

    // Everything settled at the provider; the copy has nothing since the cut.
    expect((await findTransaction(copy.db, transactionId(stale)))?.state).toBe('APPROVED');
    for (const id of [...confirmed.slice(1), reversed]) {
      expect(await findTransaction(copy.db, transactionId(id))).toBeUndefined();
    }

    // Down until the durable writes have failed and are being retried. Each try waits out the
    // store's 5 s connect timeout, so this takes some 10 s; their next retry comes soon after.
    await eventually(async () => {
      const { raw } = await sw.client.workflow.getHandle(transactionId(reversed)).describe();
      const write = raw.pendingActivities?.find((a) => a.activityType?.name === 'recordTransaction');
      return (write?.attempt ?? 0) >= 2 || undefined;
    }, 60_000);
    proxy.restore();
    await expect(sw.reporting.ping()).resolves.toBeUndefined();
    const expected = [
      ...confirmed.map((id) => ({ id, state: 'CONFIRMED', kind: 'confirm' })),
      { id: reversed, state: 'REVERSED', kind: 'reverse' },
    ];
    for (const { id, state, kind } of expected) {
      const found = await eventually(async () => {
        const row = await findTransaction(copy.db, transactionId(id));
        return row?.state === state && row.advices[0]?.saf === 'delivered' ? row : undefined;
      }, 60_000);
      expect(found.advices).toEqual([expect.objectContaining({ kind, origin: 'channel', saf: 'delivered' })]);
      expect(found.traces.map((t) => `${t.leg} ${t.operation}`).sort()).toEqual(
        ['channel provision', 'provider provision', `provider ${kind}`].sort(),
      );
    }

    // One row per advice and per leg, however many times each write was tried.
    const ids = expected.map(({ id }) => transactionId(id));
    const [traceCount] = await copy.db
      .select({ n: count() })
      .from(messageTraces)
      .where(inArray(messageTraces.transactionId, ids));
    const [adviceCount] = await copy.db.select({ n: count() }).from(advices).where(inArray(advices.transactionId, ids));
    expect({ traces: traceCount?.n, advices: adviceCount?.n }).toEqual({ traces: 3 * ids.length, advices: ids.length });
  }, 120_000);

  it("shows a retried advice's attempts and last error while it is retried", async () => {
    const id = await provision();
    // Three failed deliveries, 1 s, 2 s and 4 s apart, before the fourth gets through.
    await sw.simulator.behave({ provider: '*', operation: 'confirm', mode: 'down', count: 3 });
    expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(id))).status).toBe(202);

    const retried = await eventually(async () => {
      const [advice] = (await findTransaction(copy.db, transactionId(id)))?.advices ?? [];
      return advice && advice.attempts >= 2 ? advice : undefined;
    });
    expect(retried).toMatchObject({ saf: 'pending', lastError: expect.stringMatching(/^confirm not delivered/) });

    const delivered = await eventually(async () => {
      const [advice] = (await findTransaction(copy.db, transactionId(id)))?.advices ?? [];
      return advice?.saf === 'delivered' ? advice : undefined;
    }, 30_000);
    expect(delivered).toMatchObject({ attempts: 4, settledAt: expect.any(String) });
  }, 60_000);
});
