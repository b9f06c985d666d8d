import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basicAuth,
  makeAdvice,
  makeBasicAdvice,
  makeProvisionRequest,
  makeRedemptionRequest,
  makeRefundRequest,
  makeReversal,
  voucherOf,
} from '../helpers/fixtures';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';

/*
 * Clients built against the SUV interface post to `/suv/v1/vouchers/`, `/vouchers/confirmations/`
 * and the like: every channel path is served the same with or without its trailing slash, for
 * every method, with no redirect (a POST's body would not survive one in many clients).
 */

let sw: TestSwitch;
beforeAll(async () => {
  sw = await startTestSwitch();
});
afterAll(() => sw?.stop());

describe('a channel path with a trailing slash', () => {
  it('serves a voucher’s whole life: provision, retry, lookups, confirmation, redemption, refund, reversals', async () => {
    const request = makeProvisionRequest();
    const id = request.id as string;
    const provisioned = await sw.post('/suv/v1/vouchers/', request);
    expect(provisioned.status).toBe(201);
    const code = voucherOf(provisioned.body).code;
    expect(await sw.post(`/suv/v1/vouchers/${id}/retry/`, request)).toMatchObject({
      status: 201,
      body: provisioned.body,
    });
    expect(await sw.post('/suv/v1/vouchers/confirmations/', makeAdvice(id))).toMatchObject({ status: 202 });
    expect(await sw.get(`/suv/v1/vouchers/?voucherCode=${code}`)).toMatchObject({
      status: 200,
      body: { state: 'REDEEMABLE' },
    });
    expect(await sw.get('/suv/v1/products/?provider=flash')).toMatchObject({ status: 200 });

    const redemption = makeRedemptionRequest(code);
    expect((await sw.post('/suv/v1/redemptions/', redemption)).status).toBe(201);
    expect(await sw.post('/suv/v1/redemptions/confirmations/', makeBasicAdvice(redemption.id as string))).toMatchObject(
      { status: 202 },
    );
    const refund = makeRefundRequest(code);
    expect((await sw.post('/suv/v1/refunds/', refund)).status).toBe(201);
    expect(await sw.post('/suv/v1/refunds/reversals/', makeReversal(refund.id as string))).toMatchObject({
      status: 202,
    });
    const refundAgain = makeRefundRequest(code);
    expect((await sw.post('/suv/v1/refunds/', refundAgain)).status).toBe(201);
    expect(await sw.post('/suv/v1/refunds/confirmations/', makeBasicAdvice(refundAgain.id as string))).toMatchObject({
      status: 202,
    });

    const second = makeRedemptionRequest(code);
    expect((await sw.post('/suv/v1/redemptions/', second)).status).toBe(201);
    expect(await sw.post('/suv/v1/redemptions/reversals/', makeReversal(second.id as string))).toMatchObject({
      status: 202,
    });
    const other = makeProvisionRequest();
    expect((await sw.post('/suv/v1/vouchers/', other)).status).toBe(201);
    expect(await sw.post('/suv/v1/vouchers/reversals/', makeReversal(other.id as string))).toMatchObject({
      status: 202,
    });
  });

  it('answers every documented operation as it does without the slash, and another method with 405', async () => {
    const document = (await (await fetch(`${sw.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const authorization = basicAuth('22222222', 'password');
    const channelPaths = Object.entries(document.paths).filter(([path]) => path.startsWith('/suv/'));
    expect(channelPaths.length).toBeGreaterThanOrEqual(11);
    for (const [template, operations] of channelPaths) {
      const path = template.replace('{provisionId}', makeProvisionRequest().id as string);
      for (const method of Object.keys(operations)) {
        // A malformed message: refused the same way on both paths, so each reached its route.
        const send = (url: string) =>
          fetch(`${sw.url}${url}`, {
            method: method.toUpperCase(),
            redirect: 'manual',
            headers: { authorization, 'content-type': 'application/json' },
            body: method === 'get' ? undefined : '{"unknown": true}',
          });
        const [plain, slashed] = await Promise.all([send(path), send(`${path}/`)]);
        expect({ path, method, status: slashed.status, body: await slashed.json() }).toEqual({
          path,
          method,
          status: plain.status,
          body: await plain.json(),
        });
        expect(slashed.status).not.toBe(404);
      }
      const wrong = await fetch(`${sw.url}${path}/`, { method: 'DELETE', headers: { authorization } });
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBeTruthy();
    }
  });
});
