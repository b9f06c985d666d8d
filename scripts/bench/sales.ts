import { setTimeout as sleep } from 'node:timers/promises';
import {
  basicAuth,
  demoChannel,
  type Json,
  makeAdvice,
  makeBasicAdvice,
  makeProvisionRequest,
  makeRedemptionRequest,
  voucherOf,
} from '../../test/helpers/fixtures';
import { figures, type LoadFigures } from './load';

/**
 * Whole sales through the channel API, for the capacity model's sale factor: a provision, its
 * confirmation, a redemption of the voucher and the redemption's confirmation, one after the
 * other, `perSecond` sales started a second. A sale's latency is the four answers' together.
 */
export async function salesAtRate(apiUrl: string, perSecond: number, seconds: number): Promise<LoadFigures> {
  const authorization = basicAuth(demoChannel.clientId, demoChannel.password);
  const post = async (path: string, body: Json, expected: number) => {
    const response = await fetch(`${apiUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as Json;
    if (response.status !== expected) throw new Error(`${path}: ${response.status} ${JSON.stringify(answer)}`);
    return answer;
  };
  async function sale() {
    const provision = makeProvisionRequest();
    const { code } = voucherOf(await post('/suv/v1/vouchers', provision, 201));
    await post('/suv/v1/vouchers/confirmations', makeAdvice(provision.id as string), 202);
    const redemption = makeRedemptionRequest(code);
    await post('/suv/v1/redemptions', redemption, 201);
    await post('/suv/v1/redemptions/confirmations', makeBasicAdvice(redemption.id as string), 202);
  }

  const latencies: number[] = [];
  const errors: string[] = [];
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < Math.round(perSecond * seconds); i++) {
    const due = started + (i * 1000) / perSecond;
    await sleep(Math.max(0, due - performance.now()));
    inFlight.push(
      sale().then(
        () => void latencies.push(performance.now() - due),
        (error: Error) => void errors.push(error.message),
      ),
    );
  }
  await Promise.all(inFlight);
  return figures(latencies, errors, (performance.now() - started) / 1000);
}
