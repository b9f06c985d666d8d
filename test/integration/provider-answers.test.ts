import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { workflowIdFor } from '../../src/domain/provision';
import { createLogger } from '../../src/log';
import { startApi } from '../../src/runtime';
import { basicAuth, makeAdvice, makeProvisionRequest } from '../helpers/fixtures';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';

/*
 * What a provider answers is classified once, in its adapter (contract §1.6): only a definite
 * refusal stops store-and-forward, and any 2xx delivers an advice. And a provider's catalogue
 * that cannot be read never turns a known transaction into a decline.
 */

let sw: TestSwitch;
beforeAll(async () => {
  sw = await startTestSwitch();
});
afterAll(() => sw?.stop());
beforeEach(() => sw.simulator.reset());

/** A provision confirmed by the channel, and its transaction once the confirmation has settled. */
async function confirmed() {
  const request = makeProvisionRequest();
  const id = request.id as string;
  expect((await sw.post('/suv/v1/vouchers', request)).status).toBe(201);
  expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(id))).status).toBe(202);
  const final = await sw.client.workflow.getHandle(workflowIdFor('22222222', id)).result();
  const ledger = (await sw.simulator.ledger({ channelMessageId: id })).filter((e) => e.operation === 'confirm');
  return { advice: final.advices[0], ledger: ledger.map((e) => e.outcome) };
}

describe('store-and-forward of an advice', () => {
  it.each([
    ['429 with a reason', 429, '{"code":"TOO_MANY_REQUESTS"}'],
    ['409 with a reason', 409, '{"code":"IN_PROGRESS"}'],
    ['a 4xx without a reason code', 400, 'Bad Request'],
    ['a 5xx', 502, ''],
  ])('goes on after %s: it is not a refusal', async (_, status, body) => {
    await sw.simulator.behave({ provider: 'flash', operation: 'confirm', mode: 'reply', status, body, count: 1 });
    const { advice, ledger } = await confirmed();
    expect(advice).toMatchObject({ saf: 'delivered', attempts: 2 });
    expect(ledger).toEqual(['replied', 'ok']);
  });

  it.each([
    ['200 with a body that is not JSON', 200, 'OK'],
    ['204 with no body', 204, ''],
    ['202 with any JSON', 202, '{"whatever":[1]}'],
  ])('is delivered by %s, and not sent again', async (_, status, body) => {
    await sw.simulator.behave({ provider: 'flash', operation: 'confirm', mode: 'reply', status, body, count: 1 });
    const { advice, ledger } = await confirmed();
    expect(advice).toMatchObject({ saf: 'delivered', attempts: 1 });
    expect(ledger).toEqual(['replied']);
  });

  it('stops at a definite refusal: a 4xx with a reason code, recorded for operators', async () => {
    await sw.simulator.behave({ provider: 'flash', operation: 'confirm', mode: 'decline', code: 'INVALID_STATE' });
    const { advice, ledger } = await confirmed();
    expect(advice).toMatchObject({ saf: 'refused', attempts: 1, lastError: expect.stringContaining('INVALID_STATE') });
    expect(ledger).toEqual(['declined']);
  });
});

describe('a provision whose provider answers without a usable voucher', () => {
  it('is answered as an unknown outcome and reversed at the provider', async () => {
    await sw.simulator.behave({
      provider: 'flash',
      operation: 'provision',
      mode: 'reply',
      status: 201,
      body: '{}',
      count: 1,
    });
    const request = makeProvisionRequest();
    const answer = await sw.post('/suv/v1/vouchers', request);
    expect(answer).toMatchObject({ status: 500, body: { errorType: 'GENERAL_ERROR' } });
    const final = await sw.client.workflow.getHandle(workflowIdFor('22222222', request.id as string)).result();
    expect(final).toMatchObject({ phase: 'REVERSED', advices: [{ kind: 'reverse', origin: 'switch' }] });
  });
});

describe('a catalogue that cannot be read', () => {
  it('makes a new request temporarily unroutable (503), and never declines a known one', async () => {
    const product = {
      product: { productId: 'flash-1voucher' },
      amounts: { requestAmount: { amount: 10_000, currency: '710' } },
    };
    const known = makeProvisionRequest(product);
    const first = await sw.post('/suv/v1/vouchers', known);
    expect(first.status).toBe(201);

    // A second API instance starts while every provider's product list is unreadable (an empty 200, or down).
    await sw.simulator.behave({ provider: '*', operation: 'lookup', mode: 'reply', status: 200, body: '' });
    await sw.simulator.behave({ provider: 'flash', operation: 'lookup', mode: 'down' });
    const second = await startApi(sw.config, inject('temporalAddress'), sw.reporting, createLogger('silent', 'api'));
    const post = async (path: string, body: object) => {
      const response = await fetch(`${second.server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basicAuth('22222222', 'password') },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    };
    try {
      const fresh = makeProvisionRequest(product);
      expect(await post('/suv/v1/vouchers', fresh)).toMatchObject({
        status: 503,
        body: { id: fresh.id, errorType: 'UPSTREAM_UNAVAILABLE' },
      });
      expect(await post('/suv/v1/vouchers', known)).toMatchObject({
        status: 400,
        body: { errorType: 'DUPLICATE_RECORD', detailMessage: { voucher: first.body.voucher } },
      });
      expect(await post(`/suv/v1/vouchers/${known.id}/retry`, known)).toMatchObject({ status: 201, body: first.body });
      // Still up: no unreadable answer ended the process.
      expect((await fetch(`${second.server.url}/health`)).status).toBeLessThan(600);
    } finally {
      await second.stop();
    }
  });

  it('keeps serving the last good list when a refresh in the background gets an unreadable answer', async () => {
    const product = {
      product: { productId: 'flash-1voucher' },
      amounts: { requestAmount: { amount: 10_000, currency: '710' } },
    };
    // Every list expires at once: each request refreshes it behind the scenes.
    const eager = { ...sw.config, providers: { ...sw.config.providers, catalogueTtlMs: 1 } };
    const api = await startApi(eager, inject('temporalAddress'), sw.reporting, createLogger('silent', 'api'));
    const post = async (body: object) =>
      (
        await fetch(`${api.server.url}/suv/v1/vouchers`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: basicAuth('22222222', 'password') },
          body: JSON.stringify(body),
        })
      ).status;
    try {
      expect(await post(makeProvisionRequest(product))).toBe(201);
      await sw.simulator.behave({
        provider: '*',
        operation: 'lookup',
        mode: 'reply',
        status: 200,
        body: '{"products":7}',
      });
      for (let i = 0; i < 3; i++) expect(await post(makeProvisionRequest(product))).toBe(201);
    } finally {
      await api.stop();
    }
  });
});
