import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../src/domain/provision';
import { eventually } from '../helpers/eventually';
import {
  basicAuth,
  demoChannel,
  type Json,
  makeAdvice,
  makeBasicAdvice,
  makeProvisionRequest,
  makeRedemptionRequest,
  makeReversal,
} from '../helpers/fixtures';
import { nullsIn, type OpenApi, operation, validate } from '../helpers/openapi-schema';
import { temporaryDatabase } from '../helpers/postgres';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';

type Summary = Json & { id: string; messageId: string; state: string; type: string; receivedAt: string };
interface Detail {
  transaction: Summary;
  traces: (Json & { leg: string; operation: string; status?: number })[];
  advices: (Json & { kind: string; origin: string; saf: string; attempts: number })[];
  sameMessageId: string[];
}

let sw: TestSwitch;
let database: Awaited<ReturnType<typeof temporaryDatabase>> | undefined;
const operator = basicAuth('operator', 'operator');
// Every listing is bounded by the time this file started, so a copy holding older transactions
// would not disturb it.
const since = new Date().toISOString();

/** A call to the operator API, as the default operator unless told otherwise (null: no credentials). */
async function ops(path: string, auth: string | null = operator) {
  const response = await fetch(`${sw.url}${path}`, { headers: auth === null ? {} : { authorization: auth } });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) as Json };
}

/** Every transaction of this file matching the query, newest first. */
async function list(query: Record<string, string> = {}) {
  const answer = await ops(`/ops/transactions?${new URLSearchParams({ from: since, limit: '200', ...query })}`);
  expect(answer.status, answer.text).toBe(200);
  return answer.body.transactions as Summary[];
}
const ids = (rows: Summary[]) => rows.map((row) => row.id);

const unique = () => `T${randomUUID().slice(0, 8).toUpperCase()}`;
function provisionRequest(overrides: Json = {}) {
  const tag = unique();
  const request = makeProvisionRequest({
    thirdPartyIdentifiers: [
      { institutionId: '11111111', transactionIdentifier: `ORIG-${tag}` },
      { institutionId: '22222222', transactionIdentifier: `CLNT-${tag}` },
    ],
    ...overrides,
  });
  return {
    request,
    id: request.id as string,
    tag,
    transactionId: workflowIdFor(demoChannel.clientId, request.id as string),
  };
}

async function provision(overrides: Json = {}, expected = 201) {
  const made = provisionRequest(overrides);
  const answer = await sw.post('/suv/v1/vouchers', made.request);
  expect(answer.status).toBe(expected);
  const identifiers = (answer.body.thirdPartyIdentifiers ?? []) as {
    institutionId: string;
    transactionIdentifier: string;
  }[];
  return { ...made, code: (answer.body.voucher as { code?: string } | undefined)?.code, identifiers };
}

/** The transactions this file makes, once the reporting copy has them in their final state. */
let confirmed: Awaited<ReturnType<typeof provision>>;
let reversed: Awaited<ReturnType<typeof provision>>;
let declined: Awaited<ReturnType<typeof provision>>;
let betway: Awaited<ReturnType<typeof provision>>;
let redemption: { id: string; transactionId: string };

beforeAll(async () => {
  // Real PostgreSQL when the machine has one (CI does), in a database of this file's own.
  database = process.env.TEST_DATABASE_URL ? await temporaryDatabase(process.env.TEST_DATABASE_URL, 'ops') : undefined;
  sw = await startTestSwitch(database ? { DATABASE_URL: database.url } : {});
  confirmed = await provision({ amounts: { requestAmount: { amount: 5_000, currency: '710' } } });
  expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(confirmed.id))).status).toBe(202);

  reversed = await provision();
  expect((await sw.post('/suv/v1/vouchers/reversals', makeReversal(reversed.id))).status).toBe(202);

  await sw.simulator.behave({ provider: 'flash', operation: 'provision', mode: 'decline', count: 1 });
  declined = await provision({}, 404);

  betway = await provision({
    product: { productId: 'betway-bet' },
    amounts: { requestAmount: { amount: 5_000, currency: '710' } },
  });

  const redeem = makeRedemptionRequest(confirmed.code as string);
  expect((await sw.post('/suv/v1/redemptions', redeem)).status).toBe(201);
  expect((await sw.post('/suv/v1/redemptions/confirmations', makeBasicAdvice(redeem.id as string))).status).toBe(202);
  redemption = {
    id: redeem.id as string,
    transactionId: workflowIdFor(demoChannel.clientId, redeem.id as string, 'redemption'),
  };

  const settled = {
    [confirmed.transactionId]: 'CONFIRMED',
    [reversed.transactionId]: 'REVERSED',
    [declined.transactionId]: 'DECLINED',
    [betway.transactionId]: 'APPROVED',
    [redemption.transactionId]: 'CONFIRMED',
  };
  await eventually(async () => {
    const states = Object.fromEntries((await list()).map((row) => [row.id, row.state]));
    const advicesDelivered = await Promise.all(
      [confirmed.transactionId, reversed.transactionId, redemption.transactionId].map(async (id) => {
        const { advices } = (await ops(`/ops/transactions/${id}`)).body as unknown as Detail;
        return advices.length > 0 && advices.every((advice) => advice.saf === 'delivered');
      }),
    );
    const done =
      Object.entries(settled).every(([id, state]) => states[id] === state) && !advicesDelivered.includes(false);
    return done || undefined;
  }, 30_000);
}, 120_000);
afterAll(async () => {
  await sw?.stop();
  await database?.drop();
});

describe('GET /ops/transactions', () => {
  it('lists transactions newest first', async () => {
    const rows = await list();
    expect(ids(rows)).toEqual(
      expect.arrayContaining([
        confirmed.transactionId,
        reversed.transactionId,
        declined.transactionId,
        betway.transactionId,
        redemption.transactionId,
      ]),
    );
    const times = rows.map((row) => Date.parse(row.receivedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(ids(rows).indexOf(redemption.transactionId)).toBeLessThan(ids(rows).indexOf(confirmed.transactionId));
    expect(rows.find((row) => row.id === confirmed.transactionId)).toMatchObject({
      type: 'provision',
      channelId: demoChannel.clientId,
      messageId: confirmed.id,
      provider: 'flash',
      state: 'CONFIRMED',
      amount: 5_000,
      currency: '710',
      httpStatus: 201,
    });
  });

  it.each([
    ['channel', demoChannel.clientId, (row: Summary) => row.channelId === demoChannel.clientId],
    ['type', 'redemption', (row: Summary) => row.type === 'redemption'],
    ['state', 'REVERSED', (row: Summary) => row.state === 'REVERSED'],
    ['state', 'DECLINED', (row: Summary) => row.state === 'DECLINED'],
    ['provider', 'betway', (row: Summary) => row.provider === 'betway'],
    ['provider', 'flash', (row: Summary) => row.provider === 'flash'],
  ])('narrows by %s=%s', async (name, value, matches) => {
    const all = await list();
    const filtered = await list({ [name]: value });
    expect(filtered.length).toBeGreaterThan(0);
    expect(ids(filtered)).toEqual(ids(all.filter(matches)));
  });

  it('finds nothing for a channel without transactions', async () => {
    expect(await list({ channel: '99999999' })).toEqual([]);
  });

  it('narrows by time: from is inclusive, to exclusive', async () => {
    const { receivedAt } = (await list()).find((row) => row.id === confirmed.transactionId) as Summary;
    expect(ids(await list({ from: receivedAt }))).toContain(confirmed.transactionId);
    expect(ids(await list({ to: receivedAt }))).not.toContain(confirmed.transactionId);
    expect(ids(await list({ to: receivedAt }))).toEqual(
      ids((await list()).filter((row) => row.receivedAt < receivedAt)),
    );
  });

  it('pages with a cursor, each transaction once, in the same order', async () => {
    const all = ids(await list());
    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const query = new URLSearchParams({ from: since, limit: '2', ...(cursor ? { cursor } : {}) });
      const { body } = await ops(`/ops/transactions?${query}`);
      const page = body.transactions as Summary[];
      expect(page.length).toBeLessThanOrEqual(2);
      paged.push(...ids(page));
      cursor = body.nextCursor as string | undefined;
    } while (cursor);
    expect(paged).toEqual(all);
  });

  describe('reference', () => {
    it('finds a transaction by its message id, in either case', async () => {
      expect(ids(await list({ reference: confirmed.id }))).toEqual([confirmed.transactionId]);
      expect(ids(await list({ reference: confirmed.id.toUpperCase() }))).toEqual([confirmed.transactionId]);
    });

    it("finds a transaction by a third-party transaction identifier of the channel's request", async () => {
      expect(ids(await list({ reference: `CLNT-${reversed.tag}` }))).toEqual([reversed.transactionId]);
      expect(ids(await list({ reference: `ORIG-${declined.tag}` }))).toEqual([declined.transactionId]);
    });

    it("finds a transaction by the switch's and the provider's references", async () => {
      expect(confirmed.identifiers).toHaveLength(4);
      for (const { transactionIdentifier } of confirmed.identifiers.slice(2)) {
        expect(ids(await list({ reference: transactionIdentifier }))).toEqual([confirmed.transactionId]);
      }
    });

    it('finds every transaction of a voucher by its code, and never shows the code', async () => {
      const code = confirmed.code as string;
      const answer = await ops(`/ops/transactions?${new URLSearchParams({ from: since, reference: code })}`);
      expect(ids(answer.body.transactions as Summary[])).toEqual([redemption.transactionId, confirmed.transactionId]);
      expect(answer.text).not.toContain(code);
      const [, provisioned] = answer.body.transactions as Summary[];
      expect(provisioned?.voucherCodeMasked).toMatch(new RegExp(`^\\*+${code.slice(-4)}$`));
    });

    it('finds nothing for an unknown reference', async () => {
      expect(await list({ reference: 'NO-SUCH-REFERENCE' })).toEqual([]);
    });
  });

  it.each([
    ['state=SETTLED', 'state'],
    ['provider=nobody', 'provider'],
    ['limit=0', 'limit'],
    ['from=yesterday', 'from'],
    ['cursor=not-a-cursor', 'cursor'],
  ])('refuses %s with 400 FORMAT_ERROR', async (query, field) => {
    const { status, body } = await ops(`/ops/transactions?${query}`);
    expect(status).toBe(400);
    expect(body).toMatchObject({ errorType: 'FORMAT_ERROR', detailMessage: { formatErrors: [{ field }] } });
  });
});

describe('GET /ops/transactions/{id}', () => {
  it("shows a transaction by its message id: the channel leg, then the provider's, and its advices", async () => {
    const answer = await ops(`/ops/transactions/${confirmed.id}`);
    expect(answer.status).toBe(200);
    const detail = answer.body as unknown as Detail;
    expect(detail.transaction).toMatchObject({ id: confirmed.transactionId, state: 'CONFIRMED' });
    expect(detail.traces.map(({ leg, operation, status }) => ({ leg, operation, status }))).toEqual([
      { leg: 'channel', operation: 'provision', status: 201 },
      { leg: 'provider', operation: 'provision', status: expect.any(Number) },
      { leg: 'provider', operation: 'confirm', status: expect.any(Number) },
    ]);
    expect(detail.traces[0]).toMatchObject({ method: 'POST', url: '/suv/v1/vouchers', request: { id: confirmed.id } });
    expect(detail.traces[0]?.durationMs).toEqual(expect.any(Number));
    expect(detail.advices).toEqual([
      expect.objectContaining({ kind: 'confirm', origin: 'channel', saf: 'delivered', attempts: 1, provider: 'flash' }),
    ]);
    expect(detail.sameMessageId).toEqual([]);
    expect(answer.text).not.toContain(confirmed.code);
    expect(answer.text).not.toMatch(/:null\b/);
  });

  it('shows the same transaction by its transaction id', async () => {
    const { body } = await ops(`/ops/transactions/${confirmed.transactionId}`);
    expect((body as unknown as Detail).transaction.messageId).toBe(confirmed.id);
  });

  it('shows a reversal and a declined provision', async () => {
    const reversal = (await ops(`/ops/transactions/${reversed.id}`)).body as unknown as Detail;
    expect(reversal.advices).toEqual([
      expect.objectContaining({ kind: 'reverse', origin: 'channel', saf: 'delivered' }),
    ]);
    const decline = (await ops(`/ops/transactions/${declined.id}`)).body as unknown as Detail;
    expect(decline.transaction).toMatchObject({ state: 'DECLINED', httpStatus: 404 });
    expect(decline.traces.map((trace) => trace.status)).toEqual([404, expect.any(Number)]);
  });

  it('answers 404 UNABLE_TO_LOCATE_RECORD for an unknown id', async () => {
    const { status, body } = await ops(`/ops/transactions/${randomUUID()}`);
    expect(status).toBe(404);
    expect(body.errorType).toBe('UNABLE_TO_LOCATE_RECORD');
  });
});

describe('GET /ops/backlog', () => {
  it('shows a pending advice for a provider that is down, with its age', async () => {
    await sw.simulator.behave({ provider: 'flash', operation: 'confirm', mode: 'down' });
    try {
      const waiting = await provision();
      expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(waiting.id))).status).toBe(202);
      const flash = await eventually(async () => {
        const { body } = await ops('/ops/backlog');
        const providers = body.providers as { provider: string; pending: number; oldestPendingAgeSeconds?: number }[];
        const row = providers.find((p) => p.provider === 'flash');
        return row && row.pending >= 1 && (row.oldestPendingAgeSeconds ?? 0) >= 1 ? row : undefined;
      });
      expect(flash).toMatchObject({ pending: expect.any(Number), oldestPendingAt: expect.any(String), refused: 0 });
      const detail = (await ops(`/ops/transactions/${waiting.id}`)).body as unknown as Detail;
      expect(detail.advices).toEqual([expect.objectContaining({ kind: 'confirm', saf: 'pending' })]);
    } finally {
      await sw.simulator.reset();
    }
  });
});

describe('operator credentials', () => {
  it.each([
    ['no credentials', null],
    ['channel credentials', basicAuth(demoChannel.clientId, demoChannel.password)],
    ['a wrong password', basicAuth('operator', 'wrong')],
  ])('refuses %s with 401 and an ErrorDetail', async (_, auth) => {
    for (const path of ['/ops/transactions', `/ops/transactions/${confirmed.id}`, '/ops/backlog', '/console']) {
      const { status, headers, body } = await ops(path, auth);
      expect(status, path).toBe(401);
      expect(headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      expect(body).toMatchObject({ errorType: 'AUTHENTICATION_ERROR' });
    }
  });

  it('are not channel credentials: an operator cannot use the channel API', async () => {
    expect((await sw.get('/suv/v1/products', operator)).status).toBe(401);
  });
});

describe('the OpenAPI document', () => {
  it('documents every answer of the operator API, under its own security scheme', async () => {
    const doc = (await ops('/openapi.json', null)).body as unknown as OpenApi;
    const answers: [operationId: string, path: string, auth: string | null, status: number][] = [
      ['listTransactions', `/ops/transactions?reference=${confirmed.id}`, operator, 200],
      ['listTransactions', '/ops/transactions?limit=0', operator, 400],
      ['listTransactions', '/ops/transactions', null, 401],
      ['getTransaction', `/ops/transactions/${confirmed.id}`, operator, 200],
      ['getTransaction', `/ops/transactions/${confirmed.id}`, null, 401],
      ['getTransaction', `/ops/transactions/${randomUUID()}`, operator, 404],
      ['safBacklog', '/ops/backlog', operator, 200],
      ['safBacklog', '/ops/backlog', null, 401],
    ];
    for (const [operationId, path, auth, status] of answers) {
      const answer = await ops(path, auth);
      expect(answer.status, path).toBe(status);
      const documented = operation(doc, operationId);
      expect((documented as { security?: unknown }).security).toEqual([{ operatorAuth: [] }]);
      const schema = documented.responses[String(status)]?.content?.['application/json']?.schema;
      expect(schema, `${operationId} ${status}`).toBeDefined();
      expect(validate(doc, schema ?? {}, answer.body), `${operationId} ${status}: ${answer.text}`).toEqual([]);
      expect(nullsIn(answer.body)).toEqual([]);
    }
    // That every documented status is produced is test/integration/openapi-responses.test.ts's to show.
    for (const operationId of ['listTransactions', 'getTransaction', 'safBacklog']) {
      const documented = Object.keys(operation(doc, operationId).responses).map(Number);
      const produced = answers.filter(([id]) => id === operationId).map(([, , , status]) => status);
      expect(documented).toEqual(expect.arrayContaining(produced));
    }
  });
});
