import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../src/domain/provision';
import type { LedgerEntry } from '../../src/providers/simulator/app';
import { eventually } from '../helpers/eventually';
import { makeAdvice, makeProvisionRequest, makeReversal } from '../helpers/fixtures';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';

let sw: TestSwitch;

beforeAll(async () => {
  sw = await startTestSwitch({ PROVIDER_DEADLINES: 'betway:500,lottostar:500' });
});
afterAll(() => sw?.stop());
beforeEach(() => sw.simulator.reset());

const netcareProduct = {
  product: { productId: 'netcare-gp-visit' },
  amounts: { requestAmount: { amount: 55_000, currency: '710' } },
};

/** The provider's ledger for one channel request, once `operation` has reached it. */
function providerReceived(id: string, operation: LedgerEntry['operation']) {
  return eventually(async () => {
    const entries = await sw.simulator.ledger({ channelMessageId: id });
    return entries.some((e) => e.operation === operation) ? entries : undefined;
  });
}

async function provisioned(overrides = {}) {
  const request = makeProvisionRequest(overrides);
  const answer = await sw.post('/suv/v1/vouchers', request);
  expect(answer.status).toBe(201);
  return { request, id: request.id as string, voucher: answer.body.voucher };
}

describe('POST /suv/v1/vouchers/confirmations', () => {
  it('answers 202 with the advice and delivers it to the provider; a repeat is answered the same way', async () => {
    const { id } = await provisioned();
    const advice = makeAdvice(id);
    expect(await sw.post('/suv/v1/vouchers/confirmations', advice)).toMatchObject({ status: 202, body: advice });
    expect(await sw.post('/suv/v1/vouchers/confirmations', advice)).toMatchObject({ status: 202, body: advice });

    const ledger = await providerReceived(id, 'confirm');
    expect(ledger.filter((e) => e.operation === 'confirm')).toEqual([
      expect.objectContaining({ id: advice.id, outcome: 'ok' }),
    ]);
  });

  it('answers 404 UNABLE_TO_LOCATE_RECORD for an unknown request', async () => {
    const advice = makeAdvice(makeProvisionRequest().id as string);
    const { status, body } = await sw.post('/suv/v1/vouchers/confirmations', advice);
    expect(status).toBe(404);
    expect(body).toMatchObject({ id: advice.id, originalId: advice.requestId, errorType: 'UNABLE_TO_LOCATE_RECORD' });
  });

  it('refuses a confirmation after the reversal with VOUCHER_ALREADY_REVERSED', async () => {
    const { id } = await provisioned();
    const reversal = makeReversal(id);
    expect((await sw.post('/suv/v1/vouchers/reversals', reversal)).status).toBe(202);

    const advice = makeAdvice(id);
    const { status, body } = await sw.post('/suv/v1/vouchers/confirmations', advice);
    expect(status).toBe(400);
    expect(body).toMatchObject({ id: advice.id, originalId: id, errorType: 'VOUCHER_ALREADY_REVERSED' });
    expect((await providerReceived(id, 'reverse')).some((e) => e.operation === 'confirm')).toBe(false);
  });

  it("is scoped to the channel: another channel's request is unknown", async () => {
    const { id } = await provisioned();
    const { status } = await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(id), sw.auth('55555555', 'secret'));
    expect(status).toBe(404);
  });
});

describe('advices for a finished transaction', () => {
  it('are answered from its final state by the same rules', async () => {
    const { id } = await provisioned();
    const confirmation = makeAdvice(id);
    expect((await sw.post('/suv/v1/vouchers/confirmations', confirmation)).status).toBe(202);
    await sw.client.workflow.getHandle(workflowIdFor('22222222', id)).result();

    expect(await sw.post('/suv/v1/vouchers/confirmations', confirmation)).toMatchObject({ status: 202 });
    const reversal = makeReversal(id);
    expect(await sw.post('/suv/v1/vouchers/reversals', reversal)).toMatchObject({
      status: 400,
      body: { id: reversal.id, originalId: id, errorType: 'VOUCHER_ALREADY_CONFIRMED' },
    });
    const ledger = await sw.simulator.ledger({ channelMessageId: id });
    expect(ledger.map((e) => e.operation)).toEqual(['provision', 'confirm']);
  });
  it('are answered from its result while no worker runs, as the server has it', async () => {
    const request = makeProvisionRequest();
    const reversal = makeReversal(request.id as string);
    expect((await sw.post('/suv/v1/vouchers/reversals', reversal)).status).toBe(404);
    await sw.client.workflow.getHandle(workflowIdFor('22222222', request.id as string)).result();

    await sw.worker.stop();
    try {
      const late = await sw.post('/suv/v1/vouchers', request);
      expect(late).toMatchObject({
        status: 400,
        body: { id: request.id, originalId: reversal.id, errorType: 'VOUCHER_ALREADY_REVERSED' },
      });
    } finally {
      await sw.worker.start();
    }
  });
});

describe('POST /suv/v1/vouchers/reversals', () => {
  it('answers 202 and reverses at the provider; a repeat is answered the same way', async () => {
    const { id } = await provisioned();
    const reversal = makeReversal(id);
    expect(await sw.post('/suv/v1/vouchers/reversals', reversal)).toMatchObject({ status: 202, body: reversal });
    expect((await sw.post('/suv/v1/vouchers/reversals', reversal)).status).toBe(202);

    const ledger = await providerReceived(id, 'reverse');
    expect(ledger.filter((e) => e.operation === 'reverse')).toEqual([
      expect.objectContaining({ id: reversal.id, outcome: 'ok' }),
    ]);
  });

  it('refuses a reversal after the confirmation with VOUCHER_ALREADY_CONFIRMED', async () => {
    const { id } = await provisioned();
    expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(id))).status).toBe(202);
    const reversal = makeReversal(id);
    const { status, body } = await sw.post('/suv/v1/vouchers/reversals', reversal);
    expect(status).toBe(400);
    expect(body).toMatchObject({ id: reversal.id, originalId: id, errorType: 'VOUCHER_ALREADY_CONFIRMED' });
  });

  it('answers 404 for an unknown request and remembers it: the late request is refused, nothing sent', async () => {
    const request = makeProvisionRequest();
    const reversal = makeReversal(request.id as string);
    const early = await sw.post('/suv/v1/vouchers/reversals', reversal);
    expect(early.status).toBe(404);
    expect(early.body).toMatchObject({ id: reversal.id, errorType: 'UNABLE_TO_LOCATE_RECORD' });

    const late = await sw.post('/suv/v1/vouchers', request);
    expect(late.status).toBe(400);
    expect(late.body).toMatchObject({ id: request.id, originalId: reversal.id, errorType: 'VOUCHER_ALREADY_REVERSED' });
    const retried = await sw.post(`/suv/v1/vouchers/${request.id}/retry`, request);
    expect(retried.body.errorType).toBe('VOUCHER_ALREADY_REVERSED');
    expect(await sw.simulator.ledger({ channelMessageId: request.id as string })).toEqual([]);
  });
});

describe('provider failures', () => {
  it.each([
    ['timeout', 504, 'GENERAL_ERROR'],
    ['error', 500, 'GENERAL_ERROR'],
    ['down', 503, 'UPSTREAM_UNAVAILABLE'],
  ] as const)(
    'answers a provider %s with %i and reverses at the provider by itself',
    async (mode, status, errorType) => {
      const delayMs = mode === 'timeout' ? 2_000 : undefined; // past the 500 ms deadline
      await sw.simulator.behave({ provider: 'betway', operation: 'provision', mode, count: 1, delayMs });
      const request = makeProvisionRequest({
        product: { productId: 'betway-bet' },
        amounts: { requestAmount: { amount: 5_000, currency: '710' } },
      });
      const answer = await sw.post('/suv/v1/vouchers', request);
      expect(answer.status).toBe(status);
      expect(answer.body).toMatchObject({ id: request.id, errorType });

      const ledger = await providerReceived(request.id as string, 'reverse');
      expect(ledger.filter((e) => e.operation === 'reverse')).toHaveLength(1);
      // A confirmation now meets the switch's own reversal.
      expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(request.id as string))).status).toBe(400);
    },
  );

  it('sends no reversal after a hard decline', async () => {
    await sw.simulator.behave({ provider: 'flash', operation: 'provision', mode: 'decline', count: 1 });
    const request = makeProvisionRequest();
    expect((await sw.post('/suv/v1/vouchers', request)).status).toBe(404);
    // A reversal would be delivered before the transaction's workflow finishes.
    const final = await sw.client.workflow.getHandle(workflowIdFor('22222222', request.id as string)).result();
    expect(final).toMatchObject({ phase: 'DECLINED', advices: [] });
    const ledger = await sw.simulator.ledger({ channelMessageId: request.id as string });
    expect(ledger.map((e) => e.operation)).toEqual(['provision']);
  });
});

describe('POST /suv/v1/vouchers/{provisionId}/retry', () => {
  it('answers with the original outcome, the same voucher, without asking the provider again', async () => {
    const { request, id, voucher } = await provisioned();
    const retried = await sw.post(`/suv/v1/vouchers/${id}/retry`, request);
    expect(retried.status).toBe(201);
    expect(retried.body.voucher).toEqual(voucher);
    const provisions = (await sw.simulator.ledger({ channelMessageId: id })).filter((e) => e.operation === 'provision');
    expect(provisions).toHaveLength(1);
  });

  it('waits for a provision still in flight and answers with its outcome', async () => {
    await sw.simulator.behave({ provider: 'flash', operation: 'provision', mode: 'ok', count: 1, delayMs: 1_000 });
    const request = makeProvisionRequest();
    const original = sw.post('/suv/v1/vouchers', request);
    // The provider has the request and holds its answer for a second.
    await sw.simulator.received({ operation: 'provision', channelMessageId: request.id as string });
    const retried = await sw.post(`/suv/v1/vouchers/${request.id}/retry`, request);

    expect(retried.status).toBe(201);
    expect(retried.body.voucher).toEqual((await original).body.voucher);
  });

  it('provisions now when the request never reached the switch', async () => {
    const request = makeProvisionRequest();
    const retried = await sw.post(`/suv/v1/vouchers/${request.id}/retry`, request);
    expect(retried.status).toBe(201);
    expect(await sw.simulator.ledger({ channelMessageId: request.id as string })).toHaveLength(1);
  });

  it('is a hard decline for Netcare when the provider would have to be asked', async () => {
    const request = makeProvisionRequest(netcareProduct);
    const { status, body } = await sw.post(`/suv/v1/vouchers/${request.id}/retry`, request);
    expect(status).toBe(404);
    expect(body).toMatchObject({ id: request.id, errorType: 'FUNCTION_NOT_SUPPORTED' });
    expect(await sw.simulator.ledger({ channelMessageId: request.id as string })).toEqual([]);

    // A Netcare outcome the switch knows is still answered.
    const { request: known, voucher } = await provisioned(netcareProduct);
    const again = await sw.post(`/suv/v1/vouchers/${known.id}/retry`, known);
    expect(again).toMatchObject({ status: 201, body: { voucher } });
  });

  it('refuses a path id that differs from the body id with FORMAT_ERROR', async () => {
    const request = makeProvisionRequest();
    const other = makeProvisionRequest().id;
    const { status, body } = await sw.post(`/suv/v1/vouchers/${other}/retry`, request);
    expect(status).toBe(400);
    expect(body.errorType).toBe('FORMAT_ERROR');
  });
});
