import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../src/providers/simulator/app';
import { eventually } from '../helpers/eventually';
import {
  basicAuth,
  type Json,
  makeAdvice,
  makeBasicAdvice,
  makeProvisionRequest,
  makeRedemptionRequest,
  makeRefundRequest,
  makeReversal,
  voucherOf,
} from '../helpers/fixtures';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';

let sw: TestSwitch;
const otherChannel = { clientId: '66666666', password: 'other-secret' };
const asOtherChannel = basicAuth(otherChannel.clientId, otherChannel.password);

beforeAll(async () => {
  sw = await startTestSwitch({
    SWITCH_CHANNELS: `22222222:password:dual,${otherChannel.clientId}:${otherChannel.password}:dual`,
    PROVIDER_DEADLINES: 'flash:1000',
  });
});
afterAll(() => sw?.stop());
beforeEach(() => sw.simulator.reset());

/** A Flash voucher provisioned and confirmed by the demo channel: redeemable. */
async function confirmedVoucher(): Promise<{ code: string; provisionId: string; serialNumber: string }> {
  const request = makeProvisionRequest({ amounts: { requestAmount: { amount: 5_000, currency: '710' } } });
  const provision = await sw.post('/suv/v1/vouchers', request);
  expect(provision.status).toBe(201);
  expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(request.id as string))).status).toBe(202);
  const { code, serialNumber } = voucherOf(provision.body);
  expect(serialNumber).toBeDefined();
  return { code, provisionId: request.id as string, serialNumber: String(serialNumber) };
}

async function redeem(code: string, overrides: Json = {}, auth?: string) {
  const request = makeRedemptionRequest(code, overrides);
  const answer = await sw.post('/suv/v1/redemptions', request, auth);
  return { request, id: request.id as string, ...answer };
}

async function refund(code: string, overrides: Json = {}) {
  const request = makeRefundRequest(code, overrides);
  const answer = await sw.post('/suv/v1/refunds', request);
  return { request, id: request.id as string, ...answer };
}

/** A voucher redeemed (201) and, unless told otherwise, its redemption confirmed. */
async function redeemedVoucher({ confirm = true } = {}) {
  const voucher = await confirmedVoucher();
  const redemption = await redeem(voucher.code);
  expect(redemption.status).toBe(201);
  if (confirm) {
    expect((await sw.post('/suv/v1/redemptions/confirmations', makeBasicAdvice(redemption.id))).status).toBe(202);
  }
  return { ...voucher, redemptionId: redemption.id };
}

function providerReceived(channelMessageId: string, operation: LedgerEntry['operation']) {
  return eventually(async () => {
    const entries = await sw.simulator.ledger({ channelMessageId });
    const matching = entries.filter((e) => e.operation === operation);
    return matching.length > 0 ? matching : undefined;
  });
}

function errorOf(answer: { status: number; body: Json }) {
  return {
    status: answer.status,
    errorType: answer.body.errorType,
    id: answer.body.id,
    originalId: answer.body.originalId,
  };
}

describe('POST /suv/v1/redemptions', () => {
  it('redeems a confirmed voucher: 201, the request echoed with the switch and provider identifiers, Location', async () => {
    const { code } = await confirmedVoucher();
    const { request, status, headers, body } = await redeem(code);
    expect(status).toBe(201);
    expect(headers.get('location')).toBe(`/suv/v1/redemptions/${request.id}`);
    expect(body).toMatchObject({
      id: request.id,
      time: request.time,
      voucher: request.voucher,
      client: request.client,
    });
    expect(body.thirdPartyIdentifiers).toHaveLength(4);
    expect(body.settlementEntity).toEqual({ id: '33333333', name: 'Voucher Switch' });
    expect(await providerReceived(request.id as string, 'redeem')).toEqual([
      expect.objectContaining({ outcome: 'ok' }),
    ]);
  });

  it.each([
    ['never issued', async () => '9999000011112222'],
    [
      'provisioned but not confirmed',
      async () => {
        const provision = await sw.post('/suv/v1/vouchers', makeProvisionRequest());
        return voucherOf(provision.body).code;
      },
    ],
    [
      'reversed',
      async () => {
        const request = makeProvisionRequest();
        const provision = await sw.post('/suv/v1/vouchers', request);
        expect((await sw.post('/suv/v1/vouchers/reversals', makeReversal(request.id as string))).status).toBe(202);
        return voucherOf(provision.body).code;
      },
    ],
  ])('refuses a voucher that is %s with 400 VOUCHER_NOT_REDEEMABLE and asks no provider', async (_, voucherCode) => {
    const answer = await redeem(await voucherCode());
    expect(errorOf(answer)).toEqual({
      status: 400,
      errorType: 'VOUCHER_NOT_REDEEMABLE',
      id: answer.id,
      originalId: undefined,
    });
    expect(await sw.simulator.ledger({ channelMessageId: answer.id })).toEqual([]);
  });

  it('refuses a redemption whose reversal came first with REDEMPTION_ALREADY_REVERSED naming the reversal', async () => {
    const { code } = await confirmedVoucher();
    const request = makeRedemptionRequest(code);
    const reversal = makeReversal(request.id as string);
    const early = await sw.post('/suv/v1/redemptions/reversals', reversal);
    expect(errorOf(early)).toMatchObject({ status: 404, errorType: 'UNABLE_TO_LOCATE_RECORD', originalId: request.id });

    const late = await sw.post('/suv/v1/redemptions', request);
    expect(errorOf(late)).toEqual({
      status: 400,
      errorType: 'REDEMPTION_ALREADY_REVERSED',
      id: request.id,
      originalId: reversal.id,
    });
    expect(await sw.simulator.ledger({ channelMessageId: request.id as string })).toEqual([]);
  });

  it('refuses a second redemption of a redeemed voucher with VOUCHER_ALREADY_REDEEMED', async () => {
    const { code } = await redeemedVoucher({ confirm: false });
    const second = await redeem(code);
    expect(errorOf(second)).toMatchObject({ status: 400, errorType: 'VOUCHER_ALREADY_REDEEMED', id: second.id });
  });

  it('refuses a redemption at a provider without redemptions with 400 FUNCTION_NOT_SUPPORTED', async () => {
    const request = makeProvisionRequest({
      product: { productId: 'betway-bet' },
      amounts: { requestAmount: { amount: 5000, currency: '710' } },
    });
    const provision = await sw.post('/suv/v1/vouchers', request);
    expect(provision.status).toBe(201);
    expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(request.id as string))).status).toBe(202);
    const answer = await redeem(voucherOf(provision.body).code);
    expect(errorOf(answer)).toMatchObject({ status: 400, errorType: 'FUNCTION_NOT_SUPPORTED', id: answer.id });
  });

  it('answers a repeated redemption id with DUPLICATE_RECORD and redeems once', async () => {
    const { code } = await confirmedVoucher();
    const first = await redeem(code);
    expect(first.status).toBe(201);
    const again = await sw.post('/suv/v1/redemptions', first.request);
    expect(errorOf(again)).toMatchObject({ status: 400, errorType: 'DUPLICATE_RECORD', id: first.id });
    expect(await providerReceived(first.id, 'redeem')).toHaveLength(1);
  });

  it('lets exactly one of two channels redeeming the same voucher at the same moment succeed', async () => {
    const { code } = await confirmedVoucher();
    const answers = await Promise.all([
      redeem(code),
      redeem(code, { client: { id: otherChannel.clientId, name: 'Other Channel' } }, asOtherChannel),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 400]);
    expect(answers.find((a) => a.status === 400)?.body.errorType).toBe('VOUCHER_ALREADY_REDEEMED');
    const redeems = (await sw.simulator.ledger({ provider: 'flash' })).filter(
      (e) => e.operation === 'redeem' && answers.some((a) => a.id === e.channelMessageId),
    );
    expect(redeems.filter((e) => e.outcome === 'ok')).toHaveLength(1);
  });

  it('delivers a confirmation still queued for the provider before redeeming, instead of failing for it', async () => {
    await sw.simulator.behave({ provider: 'flash', operation: 'confirm', mode: 'error', count: 1 });
    const { code, provisionId } = await confirmedVoucher();
    // The store-and-forward delivery failed once and waits for its next attempt.
    expect(await providerReceived(provisionId, 'confirm')).toEqual([expect.objectContaining({ outcome: 'error' })]);

    const redemption = await redeem(code);
    expect(redemption.status).toBe(201);
    const provisionLedger = await sw.simulator.ledger({ channelMessageId: provisionId });
    expect(provisionLedger.filter((e) => e.operation === 'confirm').map((e) => e.outcome)).toContain('ok');
  });

  it('answers 504 when the provider does not answer in time, and reverses the redemption by itself', async () => {
    const { code } = await confirmedVoucher();
    await sw.simulator.behave({ provider: 'flash', operation: 'redeem', mode: 'timeout', count: 1, delayMs: 2_000 });
    const timedOut = await redeem(code);
    expect(errorOf(timedOut)).toMatchObject({ status: 504, errorType: 'GENERAL_ERROR', id: timedOut.id });
    expect(await providerReceived(timedOut.id, 'reverseRedeem')).not.toHaveLength(0);
    // The voucher is given back: another redemption goes ahead once the reversal is through.
    const next = await redeem(code);
    expect(next.status).toBe(201);
  });
});

describe('POST /suv/v1/redemptions/confirmations and /reversals', () => {
  it('confirms a redemption (202, delivered by SAF) and refuses a second confirmation with VOUCHER_NOT_REDEEMED', async () => {
    const { redemptionId } = await redeemedVoucher({ confirm: false });
    const advice = makeBasicAdvice(redemptionId);
    expect(await sw.post('/suv/v1/redemptions/confirmations', advice)).toMatchObject({ status: 202, body: advice });
    expect(await providerReceived(redemptionId, 'confirmRedeem')).toEqual([expect.objectContaining({ outcome: 'ok' })]);

    const again = makeBasicAdvice(redemptionId);
    expect(errorOf(await sw.post('/suv/v1/redemptions/confirmations', again))).toEqual({
      status: 400,
      errorType: 'VOUCHER_NOT_REDEEMED',
      id: again.id,
      originalId: redemptionId,
    });
  });

  it('answers 404 UNABLE_TO_LOCATE_RECORD for a confirmation of an unknown redemption', async () => {
    const advice = makeBasicAdvice(makeRedemptionRequest('1').id as string);
    expect(errorOf(await sw.post('/suv/v1/redemptions/confirmations', advice))).toEqual({
      status: 404,
      errorType: 'UNABLE_TO_LOCATE_RECORD',
      id: advice.id,
      originalId: advice.requestId,
    });
  });

  it('reverses a redemption (202, delivered by SAF), which makes the voucher redeemable again', async () => {
    const { code, redemptionId } = await redeemedVoucher({ confirm: false });
    const reversal = makeReversal(redemptionId);
    expect(await sw.post('/suv/v1/redemptions/reversals', reversal)).toMatchObject({ status: 202, body: reversal });
    expect(await providerReceived(redemptionId, 'reverseRedeem')).toEqual([expect.objectContaining({ outcome: 'ok' })]);
    expect((await redeem(code)).status).toBe(201);
  });

  it('refuses a reversal of a confirmed redemption with REDEMPTION_ALREADY_CONFIRMED', async () => {
    const { redemptionId } = await redeemedVoucher();
    const reversal = makeReversal(redemptionId);
    expect(errorOf(await sw.post('/suv/v1/redemptions/reversals', reversal))).toEqual({
      status: 400,
      errorType: 'REDEMPTION_ALREADY_CONFIRMED',
      id: reversal.id,
      originalId: redemptionId,
    });
  });
});

describe('POST /suv/v1/refunds and its advices', () => {
  it('refunds a confirmed redemption: 201 and the request echoed with identifiers', async () => {
    const { code } = await redeemedVoucher();
    const { request, status, body } = await refund(code);
    expect(status).toBe(201);
    expect(body).toMatchObject({ id: request.id, voucher: request.voucher });
    expect(body.thirdPartyIdentifiers).toHaveLength(4);
  });

  it('refuses a refund of a voucher that was not redeemed with VOUCHER_NOT_REDEEMED', async () => {
    const { code } = await confirmedVoucher();
    const answer = await refund(code);
    expect(errorOf(answer)).toMatchObject({ status: 400, errorType: 'VOUCHER_NOT_REDEEMED', id: answer.id });
  });

  it('refuses a refund before the redemption is confirmed with REDEMPTION_NOT_CONFIRMED', async () => {
    const { code } = await redeemedVoucher({ confirm: false });
    const answer = await refund(code);
    expect(errorOf(answer)).toMatchObject({ status: 400, errorType: 'REDEMPTION_NOT_CONFIRMED', id: answer.id });
  });

  it('refuses a second refund while one is pending with VOUCHER_ALREADY_REFUNDED', async () => {
    const { code } = await redeemedVoucher();
    expect((await refund(code)).status).toBe(201);
    const second = await refund(code);
    expect(errorOf(second)).toMatchObject({ status: 400, errorType: 'VOUCHER_ALREADY_REFUNDED', id: second.id });
  });

  it('refuses a refund whose reversal came first with REFUND_ALREADY_REVERSED naming the reversal', async () => {
    const { code } = await redeemedVoucher();
    const request = makeRefundRequest(code);
    const reversal = makeReversal(request.id as string);
    expect((await sw.post('/suv/v1/refunds/reversals', reversal)).status).toBe(404);
    expect(errorOf(await sw.post('/suv/v1/refunds', request))).toEqual({
      status: 400,
      errorType: 'REFUND_ALREADY_REVERSED',
      id: request.id,
      originalId: reversal.id,
    });
  });

  it('confirms a refund once; a second confirmation gets VOUCHER_NOT_REFUNDED, an unknown one 404', async () => {
    const { code } = await redeemedVoucher();
    const { id } = await refund(code);
    expect((await sw.post('/suv/v1/refunds/confirmations', makeBasicAdvice(id))).status).toBe(202);
    const again = makeBasicAdvice(id);
    expect(errorOf(await sw.post('/suv/v1/refunds/confirmations', again))).toEqual({
      status: 400,
      errorType: 'VOUCHER_NOT_REFUNDED',
      id: again.id,
      originalId: id,
    });
    const unknown = makeBasicAdvice(makeRefundRequest(code).id as string);
    expect(errorOf(await sw.post('/suv/v1/refunds/confirmations', unknown))).toMatchObject({
      status: 404,
      errorType: 'UNABLE_TO_LOCATE_RECORD',
    });
  });

  it('reverses a pending refund (back to redemption confirmed: refundable again) and refuses reversing a confirmed one', async () => {
    const { code } = await redeemedVoucher();
    const first = await refund(code);
    expect((await sw.post('/suv/v1/refunds/reversals', makeReversal(first.id))).status).toBe(202);
    expect(await providerReceived(first.id, 'reverseRefund')).toEqual([expect.objectContaining({ outcome: 'ok' })]);

    const second = await refund(code);
    expect(second.status).toBe(201);
    expect((await sw.post('/suv/v1/refunds/confirmations', makeBasicAdvice(second.id))).status).toBe(202);
    const late = makeReversal(second.id);
    expect(errorOf(await sw.post('/suv/v1/refunds/reversals', late))).toEqual({
      status: 400,
      errorType: 'REFUND_ALREADY_CONFIRMED',
      id: late.id,
      originalId: second.id,
    });
  });
});

describe('GET /suv/v1/vouchers (lookupVoucher)', () => {
  it('finds a voucher by code, by provision request id and by serial number, with its state', async () => {
    const { code, provisionId, serialNumber } = await confirmedVoucher();
    const byCode = await sw.get(`/suv/v1/vouchers?voucherCode=${code}`);
    expect(byCode).toMatchObject({ status: 200, body: { state: 'REDEEMABLE', voucher: { code, serialNumber } } });
    expect(byCode.body.amounts).toEqual({ requestAmount: expect.objectContaining({ amount: expect.any(Number) }) });

    expect(await sw.get(`/suv/v1/vouchers?provisionRequestId=${provisionId}`)).toMatchObject({
      status: 200,
      body: { state: 'REDEEMABLE', voucher: { code } },
    });
    const bySerial = await eventually(async () => {
      const answer = await sw.get(`/suv/v1/vouchers?voucherSerialNumber=${serialNumber}`);
      return answer.status === 200 ? answer : undefined;
    });
    expect(bySerial.body).toMatchObject({ state: 'REDEEMABLE', voucher: { code } });
  });

  it('follows the voucher through its life: provisioned, redeemed, refunded', async () => {
    const request = makeProvisionRequest();
    const provision = await sw.post('/suv/v1/vouchers', request);
    const code = voucherOf(provision.body).code;
    const state = async () => (await sw.get(`/suv/v1/vouchers?provisionRequestId=${request.id}`)).body.state;
    expect(await state()).toBe('PROVISIONED');
    await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(request.id as string));
    expect(await state()).toBe('REDEEMABLE');
    const redemption = await redeem(code);
    expect(await state()).toBe('REDEEMED');
    await sw.post('/suv/v1/redemptions/confirmations', makeBasicAdvice(redemption.id));
    expect(await state()).toBe('REDEMPTION_CONFIRMED');
    await refund(code);
    expect(await state()).toBe('REFUNDED');
  });

  it('answers 404 for an unknown voucher, hides another channel’s provision, and needs a key', async () => {
    expect(errorOf(await sw.get('/suv/v1/vouchers?voucherCode=0000111122223333'))).toMatchObject({
      status: 404,
      errorType: 'UNABLE_TO_LOCATE_RECORD',
    });
    const { provisionId } = await confirmedVoucher();
    const asOther = await sw.get(`/suv/v1/vouchers?provisionRequestId=${provisionId}`, asOtherChannel);
    expect(asOther.status).toBe(404);
    expect(errorOf(await sw.get('/suv/v1/vouchers'))).toMatchObject({ status: 400, errorType: 'FORMAT_ERROR' });
    expect((await sw.get('/suv/v1/vouchers?voucherCode=1', basicAuth('22222222', 'wrong'))).status).toBe(401);
  });
});

describe('a voucher used again and again', () => {
  it('provision → confirm → redeem → confirm → refund → confirm → redeem again', async () => {
    const { code, provisionId } = await confirmedVoucher();
    const first = await redeem(code);
    expect(first.status).toBe(201);
    expect((await sw.post('/suv/v1/redemptions/confirmations', makeBasicAdvice(first.id))).status).toBe(202);
    const refunded = await refund(code);
    expect(refunded.status).toBe(201);
    expect((await sw.post('/suv/v1/refunds/confirmations', makeBasicAdvice(refunded.id))).status).toBe(202);
    const again = await redeem(code);
    expect(again.status).toBe(201);

    // The provider saw each step once and in order: each use first delivers the advices still queued.
    const steps = () =>
      eventually(async () => {
        const seen = (await sw.simulator.ledger({ provider: 'flash' }))
          .filter((e) => [provisionId, first.id, refunded.id, again.id].includes(e.channelMessageId ?? ''))
          .filter((e) => e.outcome === 'ok')
          .map((e) => e.operation);
        return seen.length === 7 ? seen : undefined;
      });
    expect(await steps()).toEqual([
      'provision',
      'confirm',
      'redeem',
      'confirmRedeem',
      'refund',
      'confirmRefund',
      'redeem',
    ]);
  });
});
