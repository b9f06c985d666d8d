import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transactions } from '../../src/db/schema';
import { type BusinessDaySettings, businessDayOf, businessDayWindow, nextDay } from '../../src/domain/settlement';
import { reportDelaySeconds, settlementScheduleId } from '../../src/temporal/settlement-schedule';
import { eventually } from '../helpers/eventually';
import {
  basicAuth,
  type Json,
  makeAdvice,
  makeBasicAdvice,
  makeProvisionRequest,
  makeRedemptionRequest,
  makeReversal,
} from '../helpers/fixtures';
import { reportingStores } from '../helpers/postgres';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';

/*
 * Settlement reports end to end: transactions on both sides of a business day's cut-off, the
 * daily Schedule's report of the day that closed, an operator's, and the open day as it stands.
 * On PGlite, and on PostgreSQL when TEST_DATABASE_URL is set.
 */

const operator = basicAuth('operator', 'operator');
const timeZone = 'Africa/Johannesburg';
const amounts = (amount: number, fee = 0) => ({
  requestAmount: { amount, currency: '710', ledgerIndicator: 'DEBIT' },
  feeAmount: { amount: fee, currency: '710', ledgerIndicator: 'DEBIT' },
});

/** A cut-off `seconds` from now, as the time of day in `timeZone`, and the instant it falls at. */
function cutoffIn(seconds: number): { cutoff: string; at: Date } {
  const at = new Date(Math.ceil((Date.now() + seconds * 1000) / 1000) * 1000);
  const cutoff = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hourCycle: 'h23',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(at);
  return { cutoff, at };
}

const stores = reportingStores('settlement');

describe.each(stores)('settlement reports on $store', ({ database }) => {
  let sw: TestSwitch;
  let drop: () => Promise<void>;
  let settings: BusinessDaySettings;
  let cutoffAt: Date;

  beforeAll(async () => {
    const db = await database();
    drop = db.drop;
    // Far enough ahead for the switch to start and the first batch to settle before it, on a
    // loaded CI machine too (12 s once fell half a second short).
    const { cutoff, at } = cutoffIn(30);
    settings = { cutoff, timeZone };
    cutoffAt = at;
    sw = await startTestSwitch({ ...db.env, SETTLEMENT_CUTOFF: cutoff, SETTLEMENT_TIME_ZONE: timeZone });
  });
  afterAll(async () => {
    await sw?.stop();
    await drop?.();
  });

  async function provision(amount: number, fee = 0) {
    const request = makeProvisionRequest({ amounts: amounts(amount, fee) });
    const answer = await sw.post('/suv/v1/vouchers', request);
    expect(answer.status).toBe(201);
    return { id: request.id as string, code: (answer.body as { voucher: { code: string } }).voucher.code };
  }
  const confirm = async (id: string) =>
    expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(id))).status).toBe(202);

  /** The reporting copy's row of the transaction, as operators see it, once it has reached `state`. */
  async function settledRow(type: string, messageId: string, state: string) {
    return eventually(async () => {
      const page = await sw.get(`/ops/transactions?type=${type}&reference=${messageId}`, operator);
      const [row] = (page.body as { transactions: { id: string; state: string }[] }).transactions;
      return row?.state === state ? row : undefined;
    });
  }

  it("files each transaction under the day it settled in, stores the closed day's report once, and shows the open day as it stands", async () => {
    // Before the cut-off: confirmed, reversed, a confirmed redemption, and one left open across it.
    const sold = await provision(5_000, 150);
    await confirm(sold.id);
    const reversed = await provision(2_000);
    expect((await sw.post('/suv/v1/vouchers/reversals', makeReversal(reversed.id))).status).toBe(202);
    // A single-use voucher is redeemed whole: the redemption counts the provision's amount.
    const redemption = makeRedemptionRequest(sold.code);
    const redeemed = await sw.post('/suv/v1/redemptions', redemption);
    expect(redeemed.status, JSON.stringify(redeemed.body)).toBe(201);
    const redemptionId = redemption.id as string;
    expect((await sw.post('/suv/v1/redemptions/confirmations', makeBasicAdvice(redemptionId))).status).toBe(202);
    const open = await provision(3_000);
    await settledRow('provision', sold.id, 'CONFIRMED');
    await settledRow('provision', reversed.id, 'REVERSED');
    await settledRow('redemption', redemptionId, 'CONFIRMED');
    expect(Date.now(), 'the first batch settled before the cut-off').toBeLessThan(cutoffAt.getTime());
    const closedDay = businessDayOf(new Date(), settings);

    await eventually(async () => (Date.now() >= cutoffAt.getTime() ? true : undefined), 60_000);
    // After it: the open one confirmed, and a new one.
    await confirm(open.id);
    const later = await provision(1_000, 20);
    await confirm(later.id);
    await settledRow('provision', open.id, 'CONFIRMED');
    await settledRow('provision', later.id, 'CONFIRMED');
    const openDay = nextDay(closedDay);
    expect(businessDayOf(new Date(), settings)).toBe(openDay);

    // The daily Schedule: five minutes after the cut-off, in its time zone; triggered now, it
    // reports the day that has just closed.
    const schedule = sw.client.schedule.getHandle(settlementScheduleId(sw.config.temporal.taskQueue));
    const { spec } = await schedule.describe();
    const [hour, minute, second] = settings.cutoff.split(':').map(Number) as [number, number, number];
    const fireAt = (hour * 3600 + minute * 60 + second + reportDelaySeconds) % 86_400;
    expect(spec.timezone).toBe(timeZone);
    expect(spec.calendars?.[0]).toMatchObject({
      hour: [{ start: Math.floor(fireAt / 3600) }],
      minute: [{ start: Math.floor((fireAt % 3600) / 60) }],
      second: [{ start: fireAt % 60 }],
    });
    await schedule.trigger();
    const stored = await eventually(async () => {
      const answer = await sw.get(`/ops/reports/${closedDay}`, operator);
      return answer.status === 200 ? answer.body : undefined;
    });

    const { from, to } = businessDayWindow(closedDay, settings);
    expect(stored).toMatchObject({
      businessDay: closedDay,
      final: true,
      cutoff: settings.cutoff,
      timeZone,
      windowFrom: from.toISOString(),
      windowTo: to.toISOString(),
      transactionCount: 3,
      lines: [
        {
          provider: 'flash',
          channelId: '22222222',
          currency: '710',
          type: 'provision',
          state: 'CONFIRMED',
          count: 1,
          amount: 5_000,
          fee: 150,
        },
        {
          provider: 'flash',
          channelId: '22222222',
          currency: '710',
          type: 'provision',
          state: 'REVERSED',
          count: 1,
          amount: 2_000,
          fee: 0,
        },
        {
          provider: 'flash',
          channelId: '22222222',
          currency: '710',
          type: 'redemption',
          state: 'CONFIRMED',
          count: 1,
          amount: 5_000,
          fee: 0,
        },
      ],
      positions: [{ provider: 'flash', channelId: '22222222', currency: '710', net: 0, fees: 150 }],
    });

    // The open day as it stands: the provision that was open at the cut-off is here, and only here.
    const today = await sw.get(`/ops/reports/${openDay}`, operator);
    expect(today.status).toBe(200);
    expect(today.body).toMatchObject({
      businessDay: openDay,
      final: false,
      transactionCount: 2,
      lines: [{ type: 'provision', state: 'CONFIRMED', count: 2, amount: 4_000, fee: 20 }],
      positions: [{ net: 4_000, fees: 20 }],
    });

    // The stored report stays as it was, whatever the copy says of the day later.
    const { from: dayStart } = businessDayWindow(closedDay, settings);
    await sw.reporting.db.insert(transactions).values({
      id: 'written-after-the-report',
      type: 'provision',
      channelId: '22222222',
      messageId: 'written-after-the-report',
      provider: 'flash',
      state: 'CONFIRMED',
      amount: 9_999,
      currency: '710',
      receivedAt: dayStart.toISOString(),
      answeredAt: dayStart.toISOString(),
    });
    expect((await sw.get(`/ops/reports/${closedDay}`, operator)).body).toEqual(stored);

    // An operator's report of the same day is the stored one; so is every later fetch, CSV too.
    const produced = await fetch(`${sw.url}/ops/reports/${closedDay}`, {
      method: 'POST',
      headers: { authorization: operator },
    });
    expect({ status: produced.status, body: await produced.json() }).toEqual({ status: 200, body: stored });
    const asCsv = await fetch(`${sw.url}/ops/reports/${closedDay}?format=csv`, {
      headers: { authorization: operator },
    });
    expect(asCsv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(await asCsv.text()).toBe(
      [
        'business_day,provider,channel,currency,type,state,count,amount,fee',
        `${closedDay},flash,22222222,710,provision,CONFIRMED,1,5000,150`,
        `${closedDay},flash,22222222,710,provision,REVERSED,1,2000,0`,
        `${closedDay},flash,22222222,710,redemption,CONFIRMED,1,5000,0`,
        '',
      ].join('\r\n'),
    );
    expect((await sw.get('/ops/reports', operator)).body).toMatchObject({
      lastClosedDay: closedDay,
      reports: [{ businessDay: closedDay, transactionCount: 3 }],
    });
  }, 90_000);

  it('refuses to produce a day that has not closed, and changes nothing', async () => {
    const openDay = businessDayOf(new Date(), settings);
    const answer = await fetch(`${sw.url}/ops/reports/${openDay}`, {
      method: 'POST',
      headers: { authorization: operator },
    });
    expect({ status: answer.status, body: (await answer.json()) as Json }).toEqual({
      status: 409,
      body: { errorType: 'GENERAL_ERROR', errorMessage: `Business day ${openDay} has not closed yet.` },
    });
    const { reports } = (await sw.get('/ops/reports', operator)).body as { reports: { businessDay: string }[] };
    expect(reports.map((r) => r.businessDay)).not.toContain(openDay);
    expect((await sw.get('/ops/reports/2026-02-30', operator)).status).toBe(400);
    expect((await sw.get(`/ops/reports/${openDay}`)).status).toBe(401);
  });
});
