import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvRows, csvText } from '../../src/domain/csv';
import { businessDayOf } from '../../src/domain/settlement';
import { eventually } from '../helpers/eventually';
import {
  basicAuth,
  makeAdvice,
  makeBasicAdvice,
  makeProvisionRequest,
  makeRedemptionRequest,
  makeReversal,
} from '../helpers/fixtures';
import { reportingStores } from '../helpers/postgres';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';

/*
 * Reconciliation end to end: the provider simulator's own file for the day, uploaded over HTTP,
 * matches the switch's records line for line; the same file altered by hand gives exactly the
 * exceptions the alterations make, and each can be resolved once, with who and why.
 */

const operator = basicAuth('operator', 'operator');
const amounts = (amount: number) => ({ requestAmount: { amount, currency: '710', ledgerIndicator: 'DEBIT' } });

const stores = reportingStores('reconciliation');

describe.each(stores)('reconciliation on $store', ({ database }) => {
  let sw: TestSwitch;
  let drop: () => Promise<void>;
  const references = { sold: '', reversed: '', kept: '', redemption: '' };

  /** The switch's reference of a transaction, from the reporting copy once it has reached `state`. */
  async function settled(type: string, messageId: string, state: string) {
    const row = await eventually(async () => {
      const page = await sw.get(`/ops/transactions?type=${type}&reference=${messageId}`, operator);
      const [found] = (page.body as { transactions: { state: string; switchReference?: string }[] }).transactions;
      return found?.state === state ? found : undefined;
    });
    return row.switchReference as string;
  }

  async function provision(amount: number) {
    const request = makeProvisionRequest({ amounts: amounts(amount) });
    const answer = await sw.post('/suv/v1/vouchers', request);
    expect(answer.status).toBe(201);
    return { id: request.id as string, code: (answer.body as { voucher: { code: string } }).voucher.code };
  }

  const upload = (csv: string, query = '') =>
    fetch(
      `${sw.url}/ops/reconciliations?provider=flash&day=${businessDayOf(new Date(), sw.config.settlement.businessDay)}${query}`,
      {
        method: 'POST',
        headers: { authorization: operator, 'content-type': 'text/csv' },
        body: csv,
      },
    );

  beforeAll(async () => {
    const db = await database();
    drop = db.drop;
    sw = await startTestSwitch(db.env);
    const sold = await provision(5_000);
    expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(sold.id))).status).toBe(202);
    const reversed = await provision(2_000);
    expect((await sw.post('/suv/v1/vouchers/reversals', makeReversal(reversed.id))).status).toBe(202);
    const kept = await provision(3_000);
    expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(kept.id))).status).toBe(202);
    const redemption = makeRedemptionRequest(sold.code);
    expect((await sw.post('/suv/v1/redemptions', redemption)).status).toBe(201);
    expect((await sw.post('/suv/v1/redemptions/confirmations', makeBasicAdvice(redemption.id as string))).status).toBe(
      202,
    );
    await sw.simulator.behave({ provider: 'flash', operation: 'provision', mode: 'decline', count: 1 });
    const declined = makeProvisionRequest({ amounts: amounts(700) });
    expect((await sw.post('/suv/v1/vouchers', declined)).status).toBe(404);

    references.sold = await settled('provision', sold.id, 'CONFIRMED');
    references.reversed = await settled('provision', reversed.id, 'REVERSED');
    references.kept = await settled('provision', kept.id, 'CONFIRMED');
    references.redemption = await settled('redemption', redemption.id as string, 'CONFIRMED');
    await settled('provision', declined.id as string, 'DECLINED');
    // The provider has had every advice.
    await eventually(async () => {
      const file = await (await fetch(`${sw.simulator.url}/sim/ledger/export?provider=flash`)).text();
      return file.includes('PENDING') ? undefined : true;
    });
  }, 120_000);
  afterAll(async () => {
    await sw?.stop();
    await drop?.();
  });

  const providerFile = async () => (await fetch(`${sw.simulator.url}/sim/ledger/export?provider=flash`)).text();

  it("matches the provider's own file line for line", async () => {
    const file = await providerFile();
    expect(csvRows(file)).toHaveLength(1 + 4); // the header, three provisions and a redemption; no decline
    const answer = await upload(file);
    expect(answer.status).toBe(201);
    expect(await answer.json()).toMatchObject({
      provider: 'flash',
      format: 'switch-csv',
      uploadedBy: 'operator',
      lineCount: 4,
      counts: { matched: 4, amount_differs: 0, state_differs: 0, only_at_provider: 0, only_at_switch: 0 },
      exceptions: [],
    });
  });

  it('finds exactly the exceptions a hand-altered file makes, and records who resolved one and why', async () => {
    const [header, ...rows] = csvRows(await providerFile()) as [string[], ...string[][]];
    const column = (name: string) => header.indexOf(name);
    const row = (reference: string) => rows.find((r) => r[column('switch_reference')] === reference) as string[];
    row(references.kept)[column('amount')] = '3100'; // an amount changed
    row(references.reversed)[column('state')] = 'CONFIRMED'; // the provider has it confirmed
    const altered = [
      header,
      ...rows.filter((r) => r[column('switch_reference')] !== references.sold), // a line removed
      ['not-a-switch-reference', 'P-1', 'provision', '900', 'CONFIRMED', '2026-11-30T10:00:00.000Z'], // a line added
    ];
    const answer = await upload(csvText(altered));
    expect(answer.status).toBe(201);
    const reconciliation = (await answer.json()) as {
      id: string;
      counts: Record<string, number>;
      exceptions: {
        position: number;
        outcome: string;
        switchReference: string;
        providerLine?: { amount?: number };
        switchRecord?: { amount?: number; state: string };
      }[];
    };
    expect(reconciliation.counts).toEqual({
      matched: 1,
      amount_differs: 1,
      state_differs: 1,
      only_at_provider: 1,
      only_at_switch: 1,
    });
    expect(reconciliation.exceptions.map((e) => [e.outcome, e.switchReference]).sort()).toEqual(
      [
        ['amount_differs', references.kept],
        ['only_at_provider', 'not-a-switch-reference'],
        ['only_at_switch', references.sold],
        ['state_differs', references.reversed],
      ].sort(),
    );
    // Both sides are shown.
    const amountDiffers = reconciliation.exceptions.find((e) => e.outcome === 'amount_differs');
    expect(amountDiffers).toMatchObject({
      providerLine: { amount: 3_100 },
      switchRecord: { amount: 3_000, state: 'CONFIRMED' },
    });

    const resolve = (position: number, body: unknown) =>
      fetch(`${sw.url}/ops/reconciliations/${reconciliation.id}/exceptions/${position}/resolution`, {
        method: 'POST',
        headers: { authorization: operator, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const position = amountDiffers?.position as number;
    expect((await resolve(position, { reason: '  ' })).status).toBe(400);
    const resolved = await resolve(position, {
      reason: 'The provider charged its old price; credit note 42 asked for.',
    });
    expect(resolved.status).toBe(200);
    const detail = (await resolved.json()) as typeof reconciliation;
    expect(detail.exceptions.find((e) => e.position === position)).toMatchObject({
      resolvedBy: 'operator',
      resolution: 'The provider charged its old price; credit note 42 asked for.',
      resolvedAt: expect.any(String),
    });
    // Once only: the record of who and why stands.
    expect((await resolve(position, { reason: 'again' })).status).toBe(404);
    const listed = (await sw.get('/ops/reconciliations', operator)).body as { reconciliations: { id: string }[] };
    expect(listed.reconciliations.map((r) => r.id)).toContain(reconciliation.id);
  });

  it('takes a file of more lines than a statement takes parameters', async () => {
    const header = 'switch_reference,provider_reference,type,amount,state,time\r\n';
    const lines = Array.from({ length: 70_000 }, (_, i) => `unknown-${i},,provision,100,CONFIRMED,\r\n`);
    const answer = await upload(header + lines.join(''));
    expect(answer.status).toBe(201);
    expect(((await answer.json()) as { counts: Record<string, number> }).counts).toMatchObject({
      only_at_provider: 70_000,
      only_at_switch: 4, // the day's transactions, not in this file
    });
  }, 120_000);

  it('refuses a file it cannot read, naming its lines, and stores nothing', async () => {
    const before = ((await sw.get('/ops/reconciliations', operator)).body as { reconciliations: unknown[] })
      .reconciliations.length;
    const answer = await upload(
      'switch_reference,provider_reference,type,amount,state,time\nx,,provision,ten,CONFIRMED,\n,,provision,1,CONFIRMED,\n',
    );
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({
      errorType: 'FORMAT_ERROR',
      detailMessage: {
        formatErrors: [
          { field: 'line 2', msg: 'amount must be a whole number of minor units' },
          { field: 'line 3', msg: 'no switch_reference' },
        ],
      },
    });
    expect((await upload('x', '&format=pdf')).status).toBe(400);
    // A provider file's larger limit is an operator's only: a stranger's big body is refused unread.
    const stranger = await fetch(`${sw.url}/ops/reconciliations?provider=flash&day=2026-11-30`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'x'.repeat(1024 * 1024),
    });
    expect(stranger.status).toBe(401);
    const after = ((await sw.get('/ops/reconciliations', operator)).body as { reconciliations: unknown[] })
      .reconciliations.length;
    expect(after).toBe(before);
  });
});
