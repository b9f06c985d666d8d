import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAdvice, makeProvisionRequest } from '../helpers/fixtures';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';

/*
 * API_WORKER: the API process runs a worker and starts each transaction eagerly on it, so the
 * server hands the first workflow task straight back instead of through its task queue.
 */

let sw: TestSwitch;
beforeAll(async () => {
  sw = await startTestSwitch({ API_WORKER: 'true' });
});
afterAll(() => sw?.stop());

async function starts() {
  const text = await (await fetch(`${sw.url}/metrics`)).text();
  const count = (eager: string) =>
    Number(
      new RegExp(`switch_transaction_starts_total\\{type="provision",eager="${eager}"\\} (\\d+)`).exec(text)?.[1] ?? 0,
    );
  return { eager: count('true'), notEager: count('false') };
}

describe('an API with its own worker (API_WORKER)', () => {
  it('provisions and confirms through eager starts, and counts them', async () => {
    const before = await starts();
    for (let i = 0; i < 3; i += 1) {
      const request = makeProvisionRequest();
      const provision = await sw.post('/suv/v1/vouchers', request);
      expect(provision.status).toBe(201);
      expect(provision.body).toMatchObject({ voucher: { code: expect.any(String) } });
      expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(request.id as string))).status).toBe(202);
    }
    expect(await starts()).toEqual({ eager: before.eager + 3, notEager: before.notEager });
  });
});
