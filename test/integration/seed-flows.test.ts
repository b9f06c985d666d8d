import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../src/domain/provision';
import type { LedgerEntry } from '../../src/providers/simulator/app';
import { transactionSnapshot } from '../../src/workflows/messages';
import { eventually } from '../helpers/eventually';
import {
  basicAuth,
  type Json,
  makeBasicAdvice,
  makeProvisionRequest,
  makeRedemptionRequest,
  makeReversal,
  voucherOf,
} from '../helpers/fixtures';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';

/*
 * Every message flow of the two product documents (`shared/seeds/voucher-provision-for-digital-channels.md`
 * and `voucher-redemption.md`), end to end over HTTP against the real dev server and the provider
 * simulator. Each test is named after the flow it plays.
 */

let sw: TestSwitch;
const dual = { clientId: '22222222', password: 'password' };
const single = { clientId: '66666666', password: 'single' };
const auth = (channel: typeof dual) => basicAuth(channel.clientId, channel.password);

beforeAll(async () => {
  sw = await startTestSwitch({
    SWITCH_CHANNELS: `${dual.clientId}:${dual.password}:dual,${single.clientId}:${single.password}:single`,
    // Short enough for a test to see the switch time out on its channel, and the provider before it.
    CHANNEL_RESPONSE_TIMEOUT_MS: '1500',
    PROVIDER_DEADLINE_MS: '1000',
  });
});
afterAll(() => sw?.stop());
beforeEach(() => sw.simulator.reset());

const provisionOf = (channel: typeof dual, overrides: Json = {}) =>
  makeProvisionRequest({ client: { id: channel.clientId, name: 'Channel' }, ...overrides });

/** The provider's ledger for one channel request, once `done` says it has what the test waits for. */
function ledgerOf(id: string, done: (entries: LedgerEntry[]) => boolean) {
  return eventually(async () => {
    const entries = await sw.simulator.ledger({ channelMessageId: id });
    return done(entries) ? entries : undefined;
  });
}
/** Whether the provider received `operation`, with `outcome` if one is named. */
const has = (operation: LedgerEntry['operation'], outcome?: LedgerEntry['outcome']) => (entries: LedgerEntry[]) =>
  entries.some((e) => e.operation === operation && (outcome === undefined || e.outcome === outcome));
const operations = (entries: LedgerEntry[]) => entries.map((e) => `${e.operation}:${e.outcome}`);

const transaction = (channel: typeof dual, id: string, type: 'provision' | 'redemption' = 'provision') =>
  sw.client.workflow.getHandle(workflowIdFor(channel.clientId, id, type));

describe('Voucher provision for digital channels (seed)', () => {
  it('Successful Voucher Provision: the voucher comes back with 201 and, for a single-messaging channel, is usable at once', async () => {
    const request = provisionOf(single);
    const answer = await sw.post('/suv/v1/vouchers', request, auth(single));
    expect(answer.status).toBe(201);
    const voucher = voucherOf(answer.body);
    expect(voucher.code).toEqual(expect.any(String));
    // "The transaction is complete": nothing more is asked of the channel; its voucher is redeemable now.
    const lookup = await sw.get(`/suv/v1/vouchers?voucherCode=${voucher.code}`, auth(single));
    expect(lookup).toMatchObject({ status: 200, body: { state: 'REDEEMABLE' } });
    const byRequest = await sw.get(`/suv/v1/vouchers?provisionRequestId=${request.id}`, auth(single));
    expect(byRequest).toMatchObject({ status: 200, body: { state: 'REDEEMABLE' } });
    const redemption = await sw.post('/suv/v1/redemptions', makeRedemptionRequest(voucher.code), auth(dual));
    expect(redemption.status).toBe(201);
  });

  it('Error or Timeout at Service Provider: a hard decline is 404 with the provider’s reason, and nothing more is sent', async () => {
    await sw.simulator.behave({ provider: 'flash', operation: 'provision', mode: 'decline', code: 'DO_NOT_HONOR' });
    const request = provisionOf(dual);
    const answer = await sw.post('/suv/v1/vouchers', request);
    expect(answer).toMatchObject({
      status: 404,
      body: { id: request.id, errorType: 'DO_NOT_HONOR', providerErrorCode: 'DO_NOT_HONOR' },
    });
    expect((await transaction(dual, request.id as string).result()).phase).toBe('DECLINED');
    expect(operations(await sw.simulator.ledger({ channelMessageId: request.id as string }))).toEqual([
      'provision:declined',
    ]);
  });

  it('Error or Timeout at Service Provider: a provider at fault never blames the channel', async () => {
    for (const code of ['AUTHENTICATION_ERROR', 'FORMAT_ERROR']) {
      await sw.simulator.behave({ provider: 'flash', operation: 'provision', mode: 'decline', code, count: 1 });
      const request = provisionOf(dual);
      const answer = await sw.post('/suv/v1/vouchers', request);
      expect(answer).toEqual({
        status: 404,
        headers: expect.anything(),
        body: { id: request.id, errorType: 'GENERAL_ERROR', errorMessage: expect.any(String) },
      });
      // The provider's own reason is kept for operators, in the trace of the provider leg.
      const snapshot = await transaction(dual, request.id as string).query(transactionSnapshot);
      expect(snapshot.providerLeg?.response).toMatchObject({ code });
    }
  });

  it('Timeout or Other Error at Electrum: the channel gets an ErrorDetail, the provider a reversal, and a retry an ErrorDetail', async () => {
    // Nothing runs the workflow while the channel waits: the switch times out before the provider's outcome.
    await sw.worker.stop();
    const request = provisionOf(single);
    const answer = await sw.post('/suv/v1/vouchers', request, auth(single));
    expect(answer).toMatchObject({ status: 504, body: { id: request.id, errorType: 'GENERAL_ERROR' } });
    await sw.worker.start();

    const id = request.id as string;
    const ledger = await ledgerOf(id, has('reverse'));
    expect(operations(ledger)).toEqual(['provision:ok', 'reverse:ok']);
    const final = await transaction(single, id).result();
    // Single messaging would have confirmed it; what the channel was told, an error, is what happened.
    expect(final).toMatchObject({ phase: 'REVERSED', channelError: { status: 504 } });
    expect(final.advices).toMatchObject([{ kind: 'reverse', origin: 'switch', reason: 'TIMEOUT', saf: 'delivered' }]);

    const retry = await sw.post(`/suv/v1/vouchers/${id}/retry`, request, auth(single));
    expect(retry).toMatchObject({ status: 400, body: { id, errorType: 'VOUCHER_ALREADY_REVERSED' } });
    expect(retry.body.voucher).toBeUndefined();
    expect(operations(await sw.simulator.ledger({ channelMessageId: id }))).toEqual(['provision:ok', 'reverse:ok']);
  });

  it('Timeout Downstream: Successful Retry: the retry answers the original voucher', async () => {
    const request = provisionOf(dual);
    const first = await sw.post('/suv/v1/vouchers', request);
    expect(first.status).toBe(201);
    // The channel timed out before the answer reached it, and retries.
    const retry = await sw.post(`/suv/v1/vouchers/${request.id}/retry`, request);
    expect(retry).toMatchObject({ status: 201, body: first.body });
    expect(operations(await sw.simulator.ledger({ channelMessageId: request.id as string }))).toEqual(['provision:ok']);
  });

  it('Timeout Downstream: Unsuccessful Retry: a failed provision is answered with its ErrorDetail, never provisioned anew', async () => {
    await sw.simulator.behave({ provider: 'flash', operation: 'provision', mode: 'error', count: 1 });
    const request = provisionOf(dual);
    const first = await sw.post('/suv/v1/vouchers', request);
    expect(first).toMatchObject({ status: 500, body: { errorType: 'GENERAL_ERROR' } });
    const retry = await sw.post(`/suv/v1/vouchers/${request.id}/retry`, request);
    expect(retry).toMatchObject({ status: 500, body: first.body });
    // The provider never took it (500), so the switch's reversal finds nothing there to reverse.
    const ledger = await ledgerOf(request.id as string, has('reverse'));
    expect(operations(ledger)).toEqual(['provision:error', 'reverse:declined']);
  });

  it('Timeout Downstream: Unsuccessful Retry: a voucher reversed since is never handed out', async () => {
    const request = provisionOf(dual);
    expect((await sw.post('/suv/v1/vouchers', request)).status).toBe(201);
    const reversal = makeReversal(request.id as string);
    expect((await sw.post('/suv/v1/vouchers/reversals', reversal)).status).toBe(202);

    const retry = await sw.post(`/suv/v1/vouchers/${request.id}/retry`, request);
    expect(retry).toEqual({
      status: 400,
      headers: expect.anything(),
      body: {
        id: request.id,
        originalId: reversal.id,
        errorType: 'VOUCHER_ALREADY_REVERSED',
        errorMessage: expect.any(String),
      },
    });
  });

  it('Error Downstream: Timeout Persists: the BasicReversal from the channel’s queue reverses the unused voucher at the provider', async () => {
    const request = provisionOf(single);
    const first = await sw.post('/suv/v1/vouchers', request, auth(single));
    expect(first.status).toBe(201);
    const code = voucherOf(first.body).code;
    // The channel keeps timing out: its retry is lost too, then its store-and-forward queue sends the reversal.
    await sw.post(`/suv/v1/vouchers/${request.id}/retry`, request, auth(single));
    const reversal = makeReversal(request.id as string);
    expect(await sw.post('/suv/v1/vouchers/reversals', reversal, auth(single))).toMatchObject({
      status: 202,
      body: reversal,
    });

    const ledger = await ledgerOf(request.id as string, has('reverse'));
    expect(operations(ledger)).toEqual(['provision:ok', 'reverse:ok']);
    const lookup = await sw.get(`/suv/v1/vouchers?voucherCode=${code}`, auth(single));
    expect(lookup).toMatchObject({ status: 200, body: { state: 'REVERSED' } });
    const redemption = await sw.post('/suv/v1/redemptions', makeRedemptionRequest(code));
    expect(redemption).toMatchObject({ status: 400, body: { errorType: 'VOUCHER_NOT_REDEEMABLE' } });
  });

  it('Error Downstream: Timeout Persists: a voucher already used cannot be reversed from under its consumer', async () => {
    const request = provisionOf(single);
    const first = await sw.post('/suv/v1/vouchers', request, auth(single));
    const code = voucherOf(first.body).code;
    expect((await sw.post('/suv/v1/redemptions', makeRedemptionRequest(code))).status).toBe(201);

    const reversal = makeReversal(request.id as string);
    const refused = await sw.post('/suv/v1/vouchers/reversals', reversal, auth(single));
    expect(refused).toMatchObject({
      status: 400,
      body: { id: reversal.id, originalId: request.id, errorType: 'VOUCHER_ALREADY_CONFIRMED' },
    });
    const ledger = await sw.simulator.ledger({ channelMessageId: request.id as string });
    expect(ledger.some((e) => e.operation === 'reverse')).toBe(false);
  });
});

describe('Voucher redemption (seed)', () => {
  /** A confirmed voucher of the dual-messaging channel. */
  async function voucher(): Promise<string> {
    const request = provisionOf(dual);
    const answer = await sw.post('/suv/v1/vouchers', request);
    await sw.post('/suv/v1/vouchers/confirmations', makeBasicAdvice(request.id as string));
    return voucherOf(answer.body).code;
  }

  async function lookedUp(code: string, channel = dual) {
    const lookup = await sw.get(`/suv/v1/vouchers?voucherCode=${code}`, auth(channel));
    expect(lookup).toMatchObject({ status: 200, body: { state: 'REDEEMABLE' } });
  }

  it('Successful Voucher Redemption: Dual Messaging: lookup, redeem, confirm at once, delivered by SAF', async () => {
    const code = await voucher();
    await lookedUp(code);
    const redemption = makeRedemptionRequest(code);
    expect((await sw.post('/suv/v1/redemptions', redemption)).status).toBe(201);
    const confirmation = makeBasicAdvice(redemption.id as string);
    expect(await sw.post('/suv/v1/redemptions/confirmations', confirmation)).toMatchObject({
      status: 202,
      body: confirmation,
    });
    const ledger = await ledgerOf(redemption.id as string, has('confirmRedeem'));
    expect(operations(ledger)).toEqual(['redeem:ok', 'confirmRedeem:ok']);
  });

  it('Successful Voucher Redemption: Single Messaging: lookup and redeem; the transaction is complete', async () => {
    const request = provisionOf(single);
    const code = voucherOf((await sw.post('/suv/v1/vouchers', request, auth(single))).body).code;
    await lookedUp(code, single);
    const redemption = makeRedemptionRequest(code, { client: { id: single.clientId, name: 'Channel' } });
    const answer = await sw.post('/suv/v1/redemptions', redemption, auth(single));
    expect(answer.status).toBe(201);
    expect((await transaction(single, redemption.id as string, 'redemption').query(transactionSnapshot)).phase).toBe(
      'APPROVED',
    );
    // The switch confirms for the channel when the window closes; meanwhile no reversal goes out.
    const ledger = await sw.simulator.ledger({ channelMessageId: redemption.id as string });
    expect(operations(ledger)).toEqual(['redeem:ok']);
  });

  it('Error or Timeout at Originating System: the channel’s BasicReversal is answered at once and reaches the provider', async () => {
    const code = await voucher();
    const redemption = makeRedemptionRequest(code);
    await sw.post('/suv/v1/redemptions', redemption);
    const reversal = makeReversal(redemption.id as string);
    expect(await sw.post('/suv/v1/redemptions/reversals', reversal)).toMatchObject({ status: 202, body: reversal });
    const ledger = await ledgerOf(redemption.id as string, has('reverseRedeem'));
    expect(operations(ledger)).toEqual(['redeem:ok', 'reverseRedeem:ok']);
    await lookedUp(code);
  });

  it('Error Upstream: the consumer is told of the error and may try again', async () => {
    const code = await voucher();
    await sw.simulator.behave({
      provider: 'flash',
      operation: 'redeem',
      mode: 'decline',
      code: 'DO_NOT_HONOR',
      count: 1,
    });
    const failed = await sw.post('/suv/v1/redemptions', makeRedemptionRequest(code));
    expect(failed).toMatchObject({ status: 404, body: { errorType: 'DO_NOT_HONOR' } });
    const again = await sw.post('/suv/v1/redemptions', makeRedemptionRequest(code));
    expect(again.status).toBe(201);
  });

  it('Timeout Upstream: an ErrorDetail, the channel’s reversal answered at once, one reversal at the provider', async () => {
    const code = await voucher();
    await sw.simulator.behave({ provider: 'flash', operation: 'redeem', mode: 'timeout', count: 1, delayMs: 1_200 });
    const redemption = makeRedemptionRequest(code);
    const answer = await sw.post('/suv/v1/redemptions', redemption);
    expect(answer).toMatchObject({ status: 504, body: { id: redemption.id, errorType: 'GENERAL_ERROR' } });
    const reversal = makeReversal(redemption.id as string);
    expect(await sw.post('/suv/v1/redemptions/reversals', reversal)).toMatchObject({ status: 202, body: reversal });

    await transaction(dual, redemption.id as string, 'redemption').result();
    const ledger = await sw.simulator.ledger({ channelMessageId: redemption.id as string });
    // The provider had not taken the late redemption yet: its answer to the reversal (404) settles it too.
    expect(ledger.map((e) => e.operation)).toEqual(['redeem', 'reverseRedeem']);
  });
});
