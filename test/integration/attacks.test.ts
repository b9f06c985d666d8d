import { spawnSync } from 'node:child_process';
import { Agent, fetch as fetchFrom } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openReportingStore } from '../../src/db/client';
import { findTransaction } from '../../src/db/queries/transactions';
import { workflowIdFor } from '../../src/domain/provision';
import { transactionSnapshot } from '../../src/workflows/messages';
import { eventually } from '../helpers/eventually';
import {
  basicAuth,
  type Json,
  makeAdvice,
  makeBasicAdvice,
  makeProvisionRequest,
  makeRedemptionRequest,
  makeRefundRequest,
  voucherOf,
} from '../helpers/fixtures';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';

/*
 * The switch as an attacker meets it, over real HTTP: one test (or a few) per hole of the
 * security review, each failing on the switch as it was before it was closed.
 */

type Channel = { clientId: string; password: string };
const bank: Channel = { clientId: 'bank', password: 'bank-pw-81c2' };
const bank2: Channel = { clientId: 'bank-2', password: 'bank2-pw-47aa' };
const shop: Channel = { clientId: 'shop', password: 'shop-pw-9d13' };
const netted: Channel = { clientId: 'netted', password: 'netted-pw-2f6e' };
/** The channel whose id the flood hits: its own new logins wait the flood out, so no other test uses it. */
const victim: Channel = { clientId: 'victim', password: 'victim-pw-6b0c' };
const auth = (channel: Channel) => basicAuth(channel.clientId, channel.password);
const provisionBy = (channel: Channel, overrides: Json = {}) =>
  makeProvisionRequest({ client: { id: channel.clientId, name: 'Channel' }, ...overrides });

/** Requests from another loopback address: a second source, as another host would be. */
const elsewhere = new Agent({ localAddress: '127.0.0.2' });

let sw: TestSwitch;
beforeAll(async () => {
  sw = await startTestSwitch({
    SWITCH_CHANNELS: [bank, bank2, shop, netted, victim].map((c) => `${c.clientId}:${c.password}:dual`).join(','),
    SWITCH_CHANNEL_NETWORKS: 'netted=127.0.0.2/32',
    // The production defaults of the login guard, not the tests' generous ones.
    LOGIN_ATTEMPTS_PER_SECOND: '1',
    LOGIN_ATTEMPT_BURST: '10',
    LOGIN_HASHES_PER_SECOND: '10',
    LOGIN_HASH_BURST: '20',
    LOGIN_FAILURES_BEFORE_BACKOFF: '5',
  });
});
afterAll(async () => {
  await sw?.stop();
  await elsewhere.close();
});

async function post(path: string, body: unknown, authorization?: string, from?: Agent) {
  const response = await fetchFrom(`${sw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    dispatcher: from,
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Json };
}

async function get(path: string, authorization: string, from?: Agent) {
  const response = await fetchFrom(`${sw.url}${path}`, { headers: { authorization }, dispatcher: from });
  return { status: response.status, body: (await response.json()) as Json };
}

/** Whether the switch holds any workflow for this message id of `channel`. */
async function exists(channel: Channel, id: string) {
  try {
    await sw.client.workflow.getHandle(workflowIdFor(channel.clientId, id)).describe();
    return true;
  } catch {
    return false;
  }
}

describe('hole 1: development logins in production', () => {
  it.each(['src/server.ts', 'src/worker.ts'])('%s refuses to start, naming every development secret', (entry) => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', entry], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        ALLOW_PLAIN_HTTP: 'true',
        TEMPORAL_ADDRESS: '127.0.0.1:1',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    for (const setting of ['SWITCH_CHANNELS', 'OPERATORS', 'PAYLOAD_KEYS', 'VOUCHER_HASH_KEY']) {
      expect(result.stderr).toContain(`${setting}: `);
    }
  });
});

describe('hole 2: CPU exhaustion through the password hash', () => {
  it("refuses a flood of wrong passwords before hashing, while another channel's first login goes through", async () => {
    const flood = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        post('/suv/v1/vouchers', provisionBy(victim), basicAuth(victim.clientId, `guess-${i}`), elsewhere),
      ),
    );
    const statuses = flood.map((answer) => answer.status);
    // Only the address's burst was hashed (401); the rest never cost a hash.
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(10);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(50);
    const throttled = flood.find((answer) => answer.status === 429);
    expect(throttled?.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(throttled?.body).toMatchObject({ errorType: 'GENERAL_ERROR' });

    const first = await post('/suv/v1/vouchers', provisionBy(shop), auth(shop));
    expect(first.status).toBe(201);
  });

  it('refuses a flood of operator logins the same way, whatever the name', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        fetchFrom(`${sw.url}/ops/backlog`, {
          headers: { authorization: basicAuth(i % 2 ? 'nobody' : 'night-shift', `guess-${i}`) },
          dispatcher: new Agent({ localAddress: '127.0.0.3' }),
        }).then((response) => response.status),
      ),
    );
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(10);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(20);
  });
});

describe('hole 3: one channel reading another’s provision', () => {
  it('refuses an id that is not a UUID, so no channel reaches another through its workflow id', async () => {
    const request = provisionBy(bank2);
    expect((await post('/suv/v1/vouchers', request, auth(bank2))).status).toBe(201);
    // bank + "2-<uuid>" would once have read bank-2's <uuid>.
    const probe = await get(`/suv/v1/vouchers?provisionRequestId=2-${request.id}`, auth(bank));
    expect(probe).toMatchObject({ status: 400, body: { errorType: 'FORMAT_ERROR' } });
    expect(probe.body.voucher).toBeUndefined();
  });

  it('takes a refund only from the channel that made the redemption, and names that redemption to the provider', async () => {
    const provision = provisionBy(bank);
    const code = voucherOf((await post('/suv/v1/vouchers', provision, auth(bank))).body).code;
    await post('/suv/v1/vouchers/confirmations', makeAdvice(provision.id as string), auth(bank));
    const redemption = makeRedemptionRequest(code, { client: { id: bank.clientId, name: 'Bank' } });
    expect((await post('/suv/v1/redemptions', redemption, auth(bank))).status).toBe(201);
    expect(
      (await post('/suv/v1/redemptions/confirmations', makeBasicAdvice(redemption.id as string), auth(bank))).status,
    ).toBe(202);

    const byShop = makeRefundRequest(code, { client: { id: shop.clientId, name: 'Shop' } });
    expect(await post('/suv/v1/refunds', byShop, auth(shop))).toMatchObject({
      status: 400,
      body: { errorType: 'VOUCHER_NOT_REDEEMED' },
    });
    const byBank = makeRefundRequest(code, { client: { id: bank.clientId, name: 'Bank' } });
    expect((await post('/suv/v1/refunds', byBank, auth(bank))).status).toBe(201);
    const redemptionLeg = await sw.client.workflow
      .getHandle(workflowIdFor(bank.clientId, redemption.id as string, 'redemption'))
      .query(transactionSnapshot);
    const refundLeg = await sw.client.workflow
      .getHandle(workflowIdFor(bank.clientId, byBank.id as string, 'refund'))
      .query(transactionSnapshot);
    const redemptionReference = (redemptionLeg.providerLeg?.request as { reference?: string } | undefined)?.reference;
    expect(redemptionReference).toEqual(expect.any(String));
    expect(refundLeg.providerLeg?.request).toMatchObject({ redemptionReference });
  });
});

describe('hole 4: input that crashes, or poisons the pipeline', () => {
  it('answers a body nested 5,000 levels deep with 400, credentials or none', async () => {
    const deep = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
    for (const authorization of [undefined, auth(bank)]) {
      const answer = await post('/suv/v1/vouchers', deep, authorization);
      expect(answer).toMatchObject({ status: 400, body: { errorType: 'FORMAT_ERROR' } });
    }
  });

  it.each([
    ['a NUL character', { stan: 'ab\u0000cd' }],
    ['an unpaired surrogate', { rrn: 'x\ud800y' }],
    ['an amount beyond 32 bits', { amounts: { requestAmount: { amount: 2 ** 31, currency: '710' } } }],
    ['a negative amount', { amounts: { requestAmount: { amount: -1, currency: '710' } } }],
  ])('answers %s with 400 FORMAT_ERROR and starts nothing', async (_, overrides) => {
    const request = provisionBy(bank, overrides);
    const answer = await post('/suv/v1/vouchers', request, auth(bank));
    expect(answer).toMatchObject({ status: 400, body: { id: request.id, errorType: 'FORMAT_ERROR' } });
    expect(await exists(bank, request.id as string)).toBe(false);
  });

  it('answers a NUL character in a query or a path with 400', async () => {
    expect(await get('/suv/v1/vouchers?voucherSerialNumber=12%0034', auth(bank))).toMatchObject({
      status: 400,
      body: { errorType: 'FORMAT_ERROR' },
    });
    expect((await get('/ops/transactions?reference=a%00b', basicAuth('operator', 'operator'))).status).toBe(400);
  });
});

describe('hole 6: a channel growing a workflow’s history without bound', () => {
  it('answers 200 repeated confirmations, duplicates and retries without writing history', async () => {
    // The confirmation cannot reach the provider: the transaction stays open while the channel repeats itself.
    await sw.simulator.behave({ provider: 'flash', operation: 'confirm', mode: 'down' });
    try {
      const request = provisionBy(bank);
      const id = request.id as string;
      expect((await post('/suv/v1/vouchers', request, auth(bank))).status).toBe(201);
      const confirmation = makeAdvice(id);
      expect((await post('/suv/v1/vouchers/confirmations', confirmation, auth(bank))).status).toBe(202);
      for (let i = 0; i < 200; i++) {
        const repeat =
          i % 3 === 0
            ? ['/suv/v1/vouchers', request]
            : i % 3 === 1
              ? [`/suv/v1/vouchers/${id}/retry`, request]
              : ['/suv/v1/vouchers/confirmations', confirmation];
        const answer = await post(repeat[0] as string, repeat[1], auth(bank));
        expect([201, 202, 400]).toContain(answer.status);
      }
      const history = await sw.client.workflow.getHandle(workflowIdFor(bank.clientId, id)).fetchHistory();
      expect(history.events?.length).toBeLessThan(100);
    } finally {
      await sw.simulator.reset();
    }
  });
});

describe('hole 7: the smaller items', () => {
  it("refuses a channel's requests from outside its allowed networks with 403, and serves them from inside", async () => {
    expect(await post('/suv/v1/vouchers', provisionBy(netted), auth(netted))).toMatchObject({
      status: 403,
      body: { errorType: 'AUTHENTICATION_ERROR' },
    });
    expect((await post('/suv/v1/vouchers', provisionBy(netted), auth(netted), elsewhere)).status).toBe(201);
  });

  it("masks a recipient's personal data in the traces and the operator API", async () => {
    const recipient = { name: 'Thandi Nkosi', msisdn: '+27821234567', email: 'thandi@example.com' };
    const request = provisionBy(bank, { recipient });
    expect((await post('/suv/v1/vouchers', request, auth(bank))).status).toBe(201);
    const transactionId = workflowIdFor(bank.clientId, request.id as string);
    const stored = await eventually(() => findTransaction(sw.reporting.db, transactionId));
    expect(JSON.stringify(stored)).not.toMatch(/Thandi|27821234567|example\.com/);
    const ops = await get(`/ops/transactions/${transactionId}`, basicAuth('operator', 'operator'));
    expect(ops.status).toBe(200);
    expect(JSON.stringify(ops.body)).not.toMatch(/Thandi|27821234567|example\.com/);
  });

  it("shows a holder of a code who did not provision it the voucher, without the provisioning channel's identifiers", async () => {
    const request = provisionBy(bank, { rrn: '123456789012' });
    const code = voucherOf((await post('/suv/v1/vouchers', request, auth(bank))).body).code;
    await post('/suv/v1/vouchers/confirmations', makeAdvice(request.id as string), auth(bank));
    const byHolder = await get(`/suv/v1/vouchers?voucherCode=${code}`, auth(shop));
    expect(byHolder).toMatchObject({ status: 200, body: { voucher: { code }, state: 'REDEEMABLE' } });
    expect(byHolder.body.rrn).toBeUndefined();
    expect(byHolder.body.thirdPartyIdentifiers).toEqual([]);
    const byProvisioner = await get(`/suv/v1/vouchers?voucherCode=${code}`, auth(bank));
    expect(byProvisioner.body).toMatchObject({ rrn: '123456789012', thirdPartyIdentifiers: expect.any(Array) });
    expect((byProvisioner.body.thirdPartyIdentifiers as unknown[]).length).toBeGreaterThan(0);
  });

  it('refuses a second opening of one PGlite directory, saying what to do instead', async () => {
    const directory = `${process.env.TMPDIR ?? '/tmp'}/pglite-lock-${Date.now()}`;
    const first = await openReportingStore({ pgliteDir: directory });
    try {
      await expect(openReportingStore({ pgliteDir: directory })).rejects.toThrow(
        /open in this process[\s\S]*DATABASE_URL/,
      );
      const other = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '-e',
          `await (await import('./src/db/client.ts')).openReportingStore({ pgliteDir: '${directory}' })`,
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(other.status).not.toBe(0);
      expect(other.stderr).toMatch(new RegExp(`open in process ${process.pid}`));
    } finally {
      await first.close();
    }
    const again = await openReportingStore({ pgliteDir: directory });
    await again.close();
  });
});
