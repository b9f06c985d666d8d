import { randomBytes } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../src/domain/provision';
import { basicAuth, type Json, makeProvisionRequest } from '../helpers/fixtures';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';

let sw: TestSwitch;

beforeAll(async () => {
  sw = await startTestSwitch();
});
afterAll(() => sw?.stop());

type FormatErrors = { formatErrors: Array<{ field: string; msg: string; value?: unknown }> };

/** A rejected message changes no state: nothing reached the provider and no transaction exists. */
async function expectNothingHappened(id: string) {
  expect(await sw.simulator.ledger({ channelMessageId: id })).toEqual([]);
  await expect(sw.client.workflow.getHandle(workflowIdFor('22222222', id)).describe()).rejects.toBeInstanceOf(
    WorkflowNotFoundError,
  );
}

function without(request: Json, path: string[]): Json {
  const copy = structuredClone(request);
  let node = copy as Record<string, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  delete node[path[path.length - 1] as string];
  return copy;
}

describe('POST /suv/v1/vouchers validation', () => {
  it('refuses an unknown field with FORMAT_ERROR naming it', async () => {
    const request = makeProvisionRequest({ colour: 'blue' });
    const { status, body } = await sw.post('/suv/v1/vouchers', request);

    expect(status).toBe(400);
    expect(body).toMatchObject({ id: request.id, errorType: 'FORMAT_ERROR' });
    expect((body.detailMessage as FormatErrors).formatErrors[0]).toMatchObject({
      field: 'colour',
      msg: "Unrecognized field 'colour'",
    });
    await expectNothingHappened(request.id as string);
  });

  it('lists every missing field as "<path> may not be null"', async () => {
    const request = without(without(makeProvisionRequest(), ['originator', 'merchant', 'merchantName', 'city']), [
      'client',
    ]);
    const { status, body } = await sw.post('/suv/v1/vouchers', request);

    expect(status).toBe(400);
    const messages = (body.detailMessage as FormatErrors).formatErrors.map((e) => e.msg).sort();
    expect(messages).toEqual(['client may not be null', 'originator.merchant.merchantName.city may not be null']);
    await expectNothingHappened(request.id as string);
  });

  it('refuses an id that is not 8-4-4-4-12 hex, and accepts one without RFC 4122 version bits', async () => {
    const bad = await sw.post('/suv/v1/vouchers', makeProvisionRequest({ id: 'not-a-uuid' }));
    expect(bad.status).toBe(400);
    expect((bad.body.detailMessage as FormatErrors).formatErrors).toEqual([
      { field: 'id', msg: 'UUID must conform to the format 8-4-4-4-12 hexadecimal values', value: 'not-a-uuid' },
    ]);

    const hex = randomBytes(16).toString('hex');
    const odd = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-f${hex.slice(13, 16)}-0${hex.slice(17, 20)}-${hex.slice(20)}`;
    expect((await sw.post('/suv/v1/vouchers', makeProvisionRequest({ id: odd }))).status).toBe(201);
  });

  it('accepts the currency as a JSON number', async () => {
    const request = makeProvisionRequest({ amounts: { requestAmount: { amount: 5_000, currency: 710 } } });
    expect((await sw.post('/suv/v1/vouchers', request)).status).toBe(201);
  });

  it('answers a body that is not JSON with a FORMAT_ERROR ErrorDetail', async () => {
    const { status, body } = await sw.post('/suv/v1/vouchers', '{"id": ');
    expect(status).toBe(400);
    expect(body.errorType).toBe('FORMAT_ERROR');
  });
});

describe('POST /suv/v1/vouchers authentication', () => {
  it('answers 401 AUTHENTICATION_ERROR without credentials or with a wrong password', async () => {
    const request = makeProvisionRequest();
    for (const auth of ['', basicAuth('22222222', 'wrong'), basicAuth('nobody', 'password')]) {
      const { status, body } = await sw.post('/suv/v1/vouchers', request, auth);
      expect(status).toBe(401);
      expect(body.errorType).toBe('AUTHENTICATION_ERROR');
    }
    await expectNothingHappened(request.id as string);
  });

  it('answers 400 AUTHENTICATION_ERROR when the credentials belong to another client than client.id', async () => {
    const request = makeProvisionRequest();
    const { status, body } = await sw.post('/suv/v1/vouchers', request, basicAuth('55555555', 'secret'));

    expect(status).toBe(400);
    expect(body).toMatchObject({ id: request.id, errorType: 'AUTHENTICATION_ERROR' });
    expect(body).not.toHaveProperty('originalId');
    await expectNothingHappened(request.id as string);
  });
});

describe('GET /suv/v1/products', () => {
  it("lists the providers' products with their provider and receiver institution", async () => {
    const { status, body } = await sw.get('/suv/v1/products?provider=netcare');
    expect(status).toBe(200);
    expect(body.products).toEqual([
      expect.objectContaining({
        productId: 'netcare-gp-visit',
        provider: 'netcare',
        voucherProvider: 'Netcare',
        receiver: expect.objectContaining({ name: 'Netcare' }),
      }),
    ]);
  });

  it('requires credentials', async () => {
    expect((await sw.get('/suv/v1/products', '')).status).toBe(401);
  });
});

describe('other endpoints', () => {
  it('GET /health reports Temporal and the reporting store', async () => {
    expect(await sw.get('/health')).toEqual({
      status: 200,
      body: { status: 'UP', temporal: 'UP', reportingStore: 'UP' },
    });
  });

  it('GET /openapi.json documents the channel API as OpenAPI 3.1', async () => {
    const { status, body } = await sw.get('/openapi.json');
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    expect(Object.keys(body.paths as Json)).toEqual(
      expect.arrayContaining(['/suv/v1/vouchers', '/suv/v1/products', '/health']),
    );
  });

  it('answers an unknown path with an ErrorDetail, not plain text', async () => {
    const { status, body } = await sw.get('/suv/v1/nothing-here');
    expect(status).toBe(404);
    expect(body.errorType).toBe('FUNCTION_NOT_SUPPORTED');
  });
});
