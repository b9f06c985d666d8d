import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { createSimulatorApp } from '../../src/providers/simulator/app';
import { voucherOf } from '../helpers/fixtures';

let sim: ReturnType<typeof createSimulatorApp>;

beforeEach(() => {
  sim = createSimulatorApp();
});

async function post(provider: string, path: string, body: object) {
  const response = await sim.app.request(`/providers/${provider}/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Provisions a voucher, confirmed unless asked otherwise; returns what a redemption needs. */
async function provision(provider = 'flash', { confirmed = true } = {}) {
  const reference = randomUUID();
  const { status, body } = await post(provider, 'vouchers', { reference, channelMessageId: randomUUID() });
  expect(status).toBe(201);
  if (confirmed) {
    const advice = { id: randomUUID(), requestId: reference, channelMessageId: randomUUID() };
    expect((await post(provider, 'confirmations', advice)).status).toBe(200);
  }
  return { provisionReference: reference, voucherCode: voucherOf(body).code };
}

const use = (voucher: { provisionReference: string; voucherCode: string }, reference = randomUUID()) => ({
  reference,
  channelMessageId: randomUUID(),
  ...voucher,
});

const advise = (provider: string, path: string, requestId: string) =>
  post(provider, path, { id: randomUUID(), requestId, channelMessageId: randomUUID() });

describe('simulator voucher ledger', () => {
  it('redeems a confirmed voucher once', async () => {
    const voucher = await provision();
    const first = await post('flash', 'redemptions', use(voucher));
    expect(first.status).toBe(201);
    expect(first.body.providerReference).toEqual(expect.any(String));

    const second = await post('flash', 'redemptions', use(voucher));
    expect(second.status).toBe(400);
    expect(second.body.code).toBe('VOUCHER_ALREADY_REDEEMED');
  });

  it('answers a repeated redemption the same way and records it as replayed', async () => {
    const order = use(await provision());
    const first = await post('flash', 'redemptions', order);
    const again = await post('flash', 'redemptions', order);

    expect(again.status).toBe(201);
    expect(again.body.providerReference).toBe(first.body.providerReference);
    const outcomes = sim.ledger.filter((e) => e.operation === 'redeem' && e.id === order.reference);
    expect(outcomes.map((e) => [e.outcome, e.channelMessageId])).toEqual([
      ['ok', order.channelMessageId],
      ['replayed', order.channelMessageId],
    ]);
  });

  it('declines a repeated provision it declined, as a provider that takes retries does: no voucher for the reference', async () => {
    sim.behaviours.add({ provider: 'flash', operation: 'provision', mode: 'decline', code: 'NO_STOCK', count: 1 });
    const order = { reference: randomUUID(), channelMessageId: randomUUID() };
    const first = await post('flash', 'vouchers', order);
    const again = await post('flash', 'vouchers', order);

    expect(first).toMatchObject({ status: 400, body: { code: 'NO_STOCK' } });
    expect(again).toEqual(first);
    expect(sim.ledger.filter((e) => e.id === order.reference).map((e) => e.outcome)).toEqual(['declined', 'replayed']);
    // Another reference is not declined.
    expect((await post('flash', 'vouchers', { ...order, reference: randomUUID() })).status).toBe(201);
  });

  it('declines a repeated redemption it declined, even once the voucher could be redeemed', async () => {
    const voucher = await provision('flash', { confirmed: false });
    const order = use(voucher);
    const first = await post('flash', 'redemptions', order);
    expect(first).toMatchObject({ status: 400, body: { code: 'VOUCHER_NOT_REDEEMABLE' } });
    expect((await advise('flash', 'confirmations', voucher.provisionReference)).status).toBe(200);

    expect(await post('flash', 'redemptions', order)).toEqual(first);
    expect((await post('flash', 'redemptions', use(voucher))).status).toBe(201);
  });

  it('does not redeem an unconfirmed voucher', async () => {
    const { status, body } = await post('flash', 'redemptions', use(await provision('flash', { confirmed: false })));
    expect(status).toBe(400);
    expect(body.code).toBe('VOUCHER_NOT_REDEEMABLE');
  });

  it('does not redeem an unknown voucher', async () => {
    const { status, body } = await post('flash', 'redemptions', use({ provisionReference: 'x', voucherCode: '0' }));
    expect(status).toBe(400);
    expect(body.code).toBe('VOUCHER_NOT_REDEEMABLE');
  });

  it('refuses redemption at a provider without it', async () => {
    const { status, body } = await post('betway', 'redemptions', use(await provision('betway')));
    expect(status).toBe(400);
    expect(body.code).toBe('FUNCTION_NOT_SUPPORTED');
  });

  it('makes a voucher redeemable again once its refund is confirmed', async () => {
    const voucher = await provision();
    const redemption = use(voucher);
    expect((await post('flash', 'redemptions', redemption)).status).toBe(201);
    expect((await advise('flash', 'redemptions/confirmations', redemption.reference)).status).toBe(200);

    const refund = use(voucher);
    expect((await post('flash', 'refunds', refund)).status).toBe(201);
    const again = await post('flash', 'refunds', use(voucher));
    expect(again.status).toBe(400);
    expect(again.body.code).toBe('VOUCHER_ALREADY_REFUNDED');

    expect((await advise('flash', 'refunds/confirmations', refund.reference)).status).toBe(200);
    expect((await post('flash', 'redemptions', use(voucher))).status).toBe(201);
  });

  it('does not refund a redemption that is not confirmed', async () => {
    const voucher = await provision();
    expect((await post('flash', 'redemptions', use(voucher))).status).toBe(201);
    const { status, body } = await post('flash', 'refunds', use(voucher));
    expect(status).toBe(400);
    expect(body.code).toBe('REDEMPTION_NOT_CONFIRMED');
  });

  it('does not refund a voucher that was never redeemed', async () => {
    const { status, body } = await post('flash', 'refunds', use(await provision()));
    expect(status).toBe(400);
    expect(body.code).toBe('VOUCHER_NOT_REDEEMED');
  });

  it('makes a voucher redeemable again when its redemption is reversed, settling it once', async () => {
    const voucher = await provision();
    const redemption = use(voucher);
    expect((await post('flash', 'redemptions', redemption)).status).toBe(201);
    expect((await advise('flash', 'redemptions/reversals', redemption.reference)).status).toBe(200);

    const repeat = await advise('flash', 'redemptions/reversals', redemption.reference);
    expect(repeat.status).toBe(200);
    expect(sim.ledger.at(-1)?.outcome).toBe('replayed');
    const conflict = await advise('flash', 'redemptions/confirmations', redemption.reference);
    expect(conflict.status).toBe(400);
    expect(conflict.body.code).toBe('INVALID_STATE');

    expect((await post('flash', 'redemptions', use(voucher))).status).toBe(201);
  });

  it('declines a redemption whose reversal arrived first', async () => {
    const redemption = use(await provision());
    const reversal = await advise('flash', 'redemptions/reversals', redemption.reference);
    expect(reversal.status).toBe(404);
    expect(reversal.body.code).toBe('UNKNOWN_TRANSACTION');

    const late = await post('flash', 'redemptions', redemption);
    expect(late.status).toBe(400);
    expect(late.body.code).toBe('TRANSACTION_REVERSED');
  });

  it('keeps settling provisions after their voucher was redeemed', async () => {
    const voucher = await provision();
    expect((await post('flash', 'redemptions', use(voucher))).status).toBe(201);
    const repeat = await advise('flash', 'confirmations', voucher.provisionReference);
    expect(repeat.status).toBe(200);
    expect(sim.ledger.at(-1)?.outcome).toBe('replayed');
    const conflict = await advise('flash', 'reversals', voucher.provisionReference);
    expect(conflict.status).toBe(400);
    expect(conflict.body.code).toBe('INVALID_STATE');
  });
});
