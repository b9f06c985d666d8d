import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findTransaction } from '../../src/db/queries/transactions';
import { workflowIdFor } from '../../src/domain/provision';
import { transactionSnapshot } from '../../src/workflows/messages';
import { send } from '../helpers/channel';
import { eventually } from '../helpers/eventually';
import { basicAuth, makeAdvice, makeProvisionRequest } from '../helpers/fixtures';
import { nullsIn } from '../helpers/openapi-schema';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';

let sw: TestSwitch;

beforeAll(async () => {
  sw = await startTestSwitch({ PROVIDER_DEADLINES: 'betway:500' });
});
afterAll(() => sw?.stop());
beforeEach(() => sw.simulator.reset());

type Voucher = { code: string; serialNumber: string };

describe('POST /suv/v1/vouchers', () => {
  it('provisions the example request at the routed provider and answers 201 with the voucher', async () => {
    const request = makeProvisionRequest();
    const { status, headers, body } = await sw.post('/suv/v1/vouchers', request);

    expect(status).toBe(201);
    expect(headers.get('location')).toBe(`/suv/v1/vouchers/${request.id}`);
    expect((body.voucher as Voucher).code).toMatch(/^\d{16}$/);
    expect(body.time).toBe(request.time);
    expect(body.receiver).toEqual(request.receiver);
    const identifiers = body.thirdPartyIdentifiers as Array<{ institutionId: string }>;
    expect(identifiers).toHaveLength(4);
    expect(identifiers.slice(0, 2)).toEqual(request.thirdPartyIdentifiers);
    expect(identifiers[3]?.institutionId).toBe('44444444');

    // Receiver 44444444 routes to Flash by default; the provider saw exactly one provision.
    const ledger = await sw.simulator.ledger({ channelMessageId: request.id as string });
    expect(ledger.map((e) => [e.provider, e.operation, e.outcome])).toEqual([['flash', 'provision', 'ok']]);
  });

  it('runs the transaction as a Temporal workflow named for the channel and message id', async () => {
    const request = makeProvisionRequest();
    const { body } = await sw.post('/suv/v1/vouchers', request);
    const handle = sw.client.workflow.getHandle(workflowIdFor('22222222', request.id as string));

    const snapshot = await handle.query(transactionSnapshot);
    expect(snapshot).toMatchObject({ phase: 'APPROVED', provider: 'flash', answer: { status: 201 } });
    expect(snapshot.answer).toMatchObject({ body: { voucher: body.voucher } });
    expect((await handle.describe()).type).toBe('provisionVoucher');
  });

  it('is found by its search attributes while in flight at its provider, and then upserts only its state', async () => {
    await sw.simulator.behave({ provider: 'flash', operation: 'provision', mode: 'ok', delayMs: 4_000, count: 1 });
    const request = makeProvisionRequest({ product: { productId: 'flash-1voucher' } });
    const workflowId = workflowIdFor('22222222', request.id as string);
    const answered = sw.post('/suv/v1/vouchers', request);

    // What an operator types in the Web UI while the provider has not answered yet.
    const query = `WorkflowId="${workflowId}" AND SwitchState="IN_FLIGHT" AND SwitchProvider="flash" AND SwitchChannel="22222222" AND SwitchProduct="flash-1voucher" AND SwitchTransactionType="provision"`;
    const inFlight = await eventually(async () => {
      for await (const found of sw.client.workflow.list({ query })) return found.workflowId;
      return undefined;
    });
    expect(inFlight).toBe(workflowId);
    expect((await answered).status).toBe(201);

    // The start set what it knew; the answer changed the state alone, so only the state was
    // upserted (Temporal's own TemporalChangeVersion upserts, one per patch, aside).
    const history = await sw.client.workflow.getHandle(workflowId).fetchHistory();
    const upserted = (history.events ?? []).flatMap((event) => {
      const fields = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {};
      const ours = Object.keys(fields).filter((name) => name.startsWith('Switch'));
      return ours.length > 0 ? [ours] : [];
    });
    expect(upserted).toEqual([['SwitchState']]);
  });

  it('keeps the transaction and both legs in the reporting copy, with the voucher code masked', async () => {
    const request = makeProvisionRequest();
    const { body } = await sw.post('/suv/v1/vouchers', request);
    const workflowId = workflowIdFor('22222222', request.id as string);

    const row = await eventually(() => findTransaction(sw.reporting.db, workflowId));
    const code = (body.voucher as Voucher).code;
    expect(row).toMatchObject({ state: 'APPROVED', provider: 'flash', httpStatus: 201, messageId: request.id });
    expect(row?.voucherCodeMasked).toBe(`************${code.slice(-4)}`);
    expect(row?.traces.map((t) => [t.leg, t.status]).sort()).toEqual([
      ['channel', 201],
      ['provider', 201],
    ]);
    expect(JSON.stringify(row)).not.toContain(code);
  });

  it('answers a repeated id with DUPLICATE_RECORD and the original voucher, also after the transaction ended', async () => {
    const request = makeProvisionRequest();
    const first = await sw.post('/suv/v1/vouchers', request);
    await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(request.id as string));
    await sw.client.workflow.getHandle(workflowIdFor('22222222', request.id as string)).result();

    const again = await sw.post('/suv/v1/vouchers', request);

    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ id: request.id, errorType: 'DUPLICATE_RECORD' });
    expect((again.body.detailMessage as { voucher: Voucher }).voucher).toEqual(first.body.voucher);
    const provisions = (await sw.simulator.ledger({ channelMessageId: request.id as string })).filter(
      (e) => e.operation === 'provision',
    );
    expect(provisions).toHaveLength(1);
  });

  it('provisions once when the same message arrives several times at once', async () => {
    const request = makeProvisionRequest();
    const answers = await Promise.all(Array.from({ length: 5 }, () => sw.post('/suv/v1/vouchers', request)));

    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([201, 400, 400, 400, 400]);
    const voucher = answers.find((a) => a.status === 201)?.body.voucher;
    for (const duplicate of answers.filter((a) => a.status === 400)) {
      expect(duplicate.body.errorType).toBe('DUPLICATE_RECORD');
      expect((duplicate.body.detailMessage as { voucher: unknown }).voucher).toEqual(voucher);
    }
    expect(await sw.simulator.ledger({ channelMessageId: request.id as string })).toHaveLength(1);
  });

  it('routes by product before receiver, and by the channel default when neither is given', async () => {
    const byProduct = makeProvisionRequest({
      product: { productId: 'netcare-gp-visit' },
      amounts: { requestAmount: { amount: 55_000, currency: 710 } },
    });
    expect((await sw.post('/suv/v1/vouchers', byProduct)).status).toBe(201);
    expect((await sw.simulator.ledger({ channelMessageId: byProduct.id as string }))[0]?.provider).toBe('netcare');

    const byDefault = makeProvisionRequest({ client: { id: '55555555', name: 'Shop' }, receiver: undefined });
    const answer = await sw.post('/suv/v1/vouchers', byDefault, basicAuth('55555555', 'secret'));
    expect(answer.status).toBe(201);
    expect((await sw.simulator.ledger({ channelMessageId: byDefault.id as string }))[0]?.provider).toBe('stellr');
  });

  it('answers 404 ROUTING_ERROR and sends nothing when no provider is routed', async () => {
    const unknownProduct = makeProvisionRequest({ product: { productId: 'no-such-product' } });
    const noRoute = makeProvisionRequest({ receiver: { id: '99999999', name: 'Nobody' } });

    for (const request of [unknownProduct, noRoute]) {
      const { status, body } = await sw.post('/suv/v1/vouchers', request);
      expect(status).toBe(404);
      expect(body).toMatchObject({ id: request.id, errorType: 'ROUTING_ERROR' });
      expect(await sw.simulator.ledger({ channelMessageId: request.id as string })).toEqual([]);
    }
  });

  it("passes a provider's hard decline on as 404 with the provider's reason", async () => {
    await sw.simulator.behave({ provider: 'flash', operation: 'provision', mode: 'decline', count: 1 });
    const request = makeProvisionRequest();
    const { status, body } = await sw.post('/suv/v1/vouchers', request);

    expect(status).toBe(404);
    expect(body).toMatchObject({ id: request.id, errorType: 'DO_NOT_HONOR', providerErrorCode: 'DO_NOT_HONOR' });
    const workflowId = workflowIdFor('22222222', request.id as string);
    await sw.client.workflow.getHandle(workflowId).result();
    expect((await findTransaction(sw.reporting.db, workflowId))?.state).toBe('DECLINED');
  });

  it('answers 503 UPSTREAM_UNAVAILABLE when the provider cannot be reached', async () => {
    await sw.simulator.behave({ provider: 'flash', operation: 'provision', mode: 'down', count: 1 });
    const { status, body } = await sw.post('/suv/v1/vouchers', makeProvisionRequest());
    expect(status).toBe(503);
    expect(body.errorType).toBe('UPSTREAM_UNAVAILABLE');
  });

  it('answers 500 GENERAL_ERROR when the provider fails', async () => {
    await sw.simulator.behave({ provider: 'flash', operation: 'provision', mode: 'error', count: 1 });
    const { status, body } = await sw.post('/suv/v1/vouchers', makeProvisionRequest());
    expect(status).toBe(500);
    expect(body.errorType).toBe('GENERAL_ERROR');
  });

  it('answers 504 when the provider does not answer within its deadline', async () => {
    await sw.simulator.behave({ provider: 'betway', operation: 'provision', mode: 'timeout', delayMs: 3_000 });
    const request = makeProvisionRequest({
      product: { productId: 'betway-bet' },
      amounts: { requestAmount: { amount: 5_000, currency: '710' } },
    });
    const { status, body } = await sw.post('/suv/v1/vouchers', request);
    expect(status).toBe(504);
    expect(body).toMatchObject({ id: request.id, errorType: 'GENERAL_ERROR' });
  });
});

// Through the whole switch: the answer comes back from the workflow, through Temporal's payload conversion.
describe('POST /suv/v1/vouchers answers as received', () => {
  it.each([
    '2018-12-07T07:50:17.483+02:00',
    '2018-12-07T07:50:17.483Z',
    '2018-12-07T07:50:17Z',
    '2018-12-07T07:50:17.123456789-05:30',
    '2018-12-07t07:50:17.48z',
  ])('echoes the time %s byte for byte', async (time) => {
    const response = await send(sw, 'POST', '/suv/v1/vouchers', { body: makeProvisionRequest({ time }) });
    expect(response.status).toBe(201);
    expect(response.text).toContain(`"time":${JSON.stringify(time)}`);
  });

  it('answers a numeric currency as the string "710"', async () => {
    const request = makeProvisionRequest({ amounts: { requestAmount: { amount: 5_000, currency: 710 } } });
    const { status, body } = await sw.post('/suv/v1/vouchers', request);
    expect(status).toBe(201);
    expect(body.amounts).toEqual({ requestAmount: { amount: 5_000, currency: '710' } });
  });

  it('takes an optional field sent as null for an absent one, and never answers a null', async () => {
    const request = makeProvisionRequest({
      settlementEntity: null,
      basketRef: null,
      amounts: { requestAmount: { amount: 5_000, currency: '710', ledgerIndicator: null }, feeAmount: null },
      posInfo: { entryMode: 'KEYED', pinPad: null, lines: ['a', null] },
    });
    const { status, body } = await sw.post('/suv/v1/vouchers', request);
    expect(status).toBe(201);
    expect(nullsIn(body)).toEqual([]);
    expect(body).not.toHaveProperty('basketRef');
    expect(body.amounts).toEqual({ requestAmount: { amount: 5_000, currency: '710' } });
    expect(body.posInfo).toEqual({ entryMode: 'KEYED', lines: ['a'] });
  });
});
