import { randomBytes, randomUUID } from 'node:crypto';
import type { z } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorDetail, type formatErrorEntry } from '../../src/contract/error-detail';
import { provisionResponse } from '../../src/contract/provision';
import type { VoucherUse } from '../../src/domain/voucher';
import { expectErrorDetail, expectNothingHappened as nothingHappened, send } from '../helpers/channel';
import {
  basicAuth,
  type Json,
  makeAdvice,
  makeBasicAdvice,
  makeProvisionRequest,
  makeRedemptionRequest,
  makeRefundRequest,
  makeReversal,
} from '../helpers/fixtures';
import type { OpenApi } from '../helpers/openapi-schema';
import { createTestApp, type TestApp } from '../helpers/test-app';

let sw: TestApp;

beforeAll(async () => {
  sw = await createTestApp();
});
afterAll(() => sw?.stop());

type FormatError = z.infer<typeof formatErrorEntry>;

const expectNothingHappened = (id: string, type?: VoucherUse) => nothingHappened(sw, id, type);
/** The FORMAT_ERROR entries of an answer, which must be an ErrorDetail. */
const formatErrorsOf = (body: Json | undefined) => errorDetail.parse(body).detailMessage?.formatErrors;
const uuidMessage = 'UUID must conform to the format 8-4-4-4-12 hexadecimal values';

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
    expect(formatErrorsOf(body)?.[0]).toMatchObject({
      field: 'colour',
      msg: "Unrecognized field 'colour'",
    });
    expectNothingHappened(request.id as string);
  });

  it('lists every missing field as "<path> may not be null"', async () => {
    const request = without(without(makeProvisionRequest(), ['originator', 'merchant', 'merchantName', 'city']), [
      'client',
    ]);
    const { status, body } = await sw.post('/suv/v1/vouchers', request);

    expect(status).toBe(400);
    const messages = formatErrorsOf(body)
      ?.map((e) => e.msg)
      .sort();
    expect(messages).toEqual(['client may not be null', 'originator.merchant.merchantName.city may not be null']);
    expectNothingHappened(request.id as string);
  });

  it('refuses an id that is not 8-4-4-4-12 hex, and accepts one without RFC 4122 version bits', async () => {
    const bad = await sw.post('/suv/v1/vouchers', makeProvisionRequest({ id: 'not-a-uuid' }));
    expect(bad.status).toBe(400);
    expect(formatErrorsOf(bad.body)).toEqual([
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
    expectNothingHappened(request.id as string);
  });

  it('answers 400 AUTHENTICATION_ERROR when the credentials belong to another client than client.id', async () => {
    const request = makeProvisionRequest();
    const { status, body } = await sw.post('/suv/v1/vouchers', request, basicAuth('55555555', 'secret'));

    expect(status).toBe(400);
    expect(body).toMatchObject({ id: request.id, errorType: 'AUTHENTICATION_ERROR' });
    expect(body).not.toHaveProperty('originalId');
    expectNothingHappened(request.id as string);
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

/** A copy of `message` with the value at `path` replaced, or removed when `value` is undefined. */
function withAt(message: Json, path: (string | number)[], value: unknown): Json {
  const copy = structuredClone(message);
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

const withTenders = () =>
  makeProvisionRequest({ tenders: [{ tenderType: 'CASH', amount: { amount: 5_000, currency: '710' } }] });

describe('POST /suv/v1/vouchers validation in the contract order (§1.3)', () => {
  it('reports an unknown field before missing fields, and missing fields before a bad id', async () => {
    const messy = withAt(makeProvisionRequest({ id: 'nope', colour: 'blue' }), ['client'], undefined);
    const first = await sw.post('/suv/v1/vouchers', messy);
    expect(formatErrorsOf(first.body)).toEqual([
      { field: 'colour', msg: "Unrecognized field 'colour'", value: 'blue' },
    ]);

    const second = await sw.post('/suv/v1/vouchers', withAt(messy, ['colour'], undefined));
    expect(formatErrorsOf(second.body)).toEqual([{ field: 'client', msg: 'client may not be null' }]);

    const third = await sw.post('/suv/v1/vouchers', makeProvisionRequest({ id: 'nope' }));
    expect(formatErrorsOf(third.body)).toEqual([{ field: 'id', msg: uuidMessage, value: 'nope' }]);
  });

  it.each([
    [['colour'], 'colour'],
    [['client', 'colour'], 'client.colour'],
    [['originator', 'merchant', 'merchantName', 'colour'], 'originator.merchant.merchantName.colour'],
    [['thirdPartyIdentifiers', 1, 'colour'], 'thirdPartyIdentifiers[1].colour'],
    [['tenders', 0, 'amount', 'colour'], 'tenders[0].amount.colour'],
  ])('refuses an unknown field at %j, even when it is null', async (path, field) => {
    for (const value of ['blue', null]) {
      const request = withAt(withTenders(), path, value);
      const { status, body } = await sw.post('/suv/v1/vouchers', request);
      expect(status).toBe(400);
      expect(body).toMatchObject({ id: request.id, errorType: 'FORMAT_ERROR' });
      expect(formatErrorsOf(body)?.[0]).toMatchObject({ field, msg: "Unrecognized field 'colour'" });
      expectNothingHappened(request.id as string);
    }
  });

  it.each([
    [['originator', 'merchant', 'merchantName', 'city'], 'originator.merchant.merchantName.city'],
    [['thirdPartyIdentifiers', 0, 'institutionId'], 'thirdPartyIdentifiers[0].institutionId'],
    [['tenders', 0, 'amount', 'currency'], 'tenders[0].amount.currency'],
    [['time'], 'time'],
  ])('answers a missing or null %j as "<path> may not be null", without a value', async (path, field) => {
    for (const value of [undefined, null]) {
      const request = withAt(withTenders(), path, value);
      const { status, body } = await sw.post('/suv/v1/vouchers', request);
      expect(status).toBe(400);
      expect(formatErrorsOf(body)).toEqual([{ field, msg: `${field} may not be null` }]);
      expectNothingHappened(request.id as string);
    }
  });

  it('lists one entry per malformed field, with the value received', async () => {
    const request = makeProvisionRequest({ time: 'yesterday', rrn: 42 });
    const { status, body } = await sw.post('/suv/v1/vouchers', request);
    expect(status).toBe(400);
    expect(formatErrorsOf(body)).toEqual([
      { field: 'time', msg: expect.any(String), value: 'yesterday' },
      { field: 'rrn', msg: expect.any(String), value: 42 },
    ]);
  });
});

describe('POST /suv/v1/vouchers answers', () => {
  it("answers 201 with Location and at least four thirdPartyIdentifiers, the channel's two first", async () => {
    const request = makeProvisionRequest();
    const { status, headers, body } = await sw.post('/suv/v1/vouchers', request);
    expect(status).toBe(201);
    expect(headers.get('location')).toBe(`/suv/v1/vouchers/${request.id}`);
    const identifiers = provisionResponse.parse(body).thirdPartyIdentifiers;
    expect(identifiers.length).toBeGreaterThanOrEqual(4);
    expect(identifiers.slice(0, 2)).toEqual(request.thirdPartyIdentifiers);
  });
});

describe('identifiers in FORMAT_ERRORs (§1.4)', () => {
  const advicePaths = ['/suv/v1/vouchers', '/suv/v1/redemptions', '/suv/v1/refunds'].flatMap((base) => [
    `${base}/confirmations`,
    `${base}/reversals`,
  ]);

  it.each(advicePaths)('%s: id = the advice id, originalId = its requestId', async (path) => {
    const requestId = randomUUID();
    const advice = path.endsWith('reversals') ? makeReversal(requestId) : makeBasicAdvice(requestId);
    const { status, body } = await sw.post(path, { ...advice, colour: 'blue' });
    expect(status).toBe(400);
    expect(body).toMatchObject({ id: advice.id, originalId: requestId, errorType: 'FORMAT_ERROR' });

    const badRequestId = await sw.post(path, { ...advice, requestId: 'nope' });
    expect(badRequestId.body).toMatchObject({ id: advice.id, originalId: 'nope' });
    expect(formatErrorsOf(badRequestId.body)).toEqual([{ field: 'requestId', msg: uuidMessage, value: 'nope' }]);
    // Not JSON: nothing can be read, so neither id is given.
    const broken = await sw.post(path, JSON.stringify(advice).slice(0, -1));
    expect(broken.status).toBe(400);
    expect(broken.body).not.toHaveProperty('id');
    expect(broken.body).not.toHaveProperty('originalId');
    const type = path.startsWith('/suv/v1/vouchers') ? undefined : (path.split('/')[3]?.slice(0, -1) as VoucherUse);
    expectNothingHappened(requestId, type);
  });

  it.each([
    ['/suv/v1/vouchers', makeProvisionRequest()],
    ['/suv/v1/redemptions', makeRedemptionRequest('1234')],
    ['/suv/v1/refunds', makeRefundRequest('1234')],
  ])('%s: id = the request id, no originalId', async (path, request) => {
    const { status, body } = await sw.post(path, { ...request, colour: 'blue' });
    expect(status).toBe(400);
    expect(body).toMatchObject({ id: request.id, errorType: 'FORMAT_ERROR' });
    expect(body).not.toHaveProperty('originalId');
  });

  it('an advice for an unknown request answers 404 with the advice id and originalId', async () => {
    const advice = makeAdvice(randomUUID());
    const { status, body } = await sw.post('/suv/v1/vouchers/confirmations', advice);
    expect(status).toBe(404);
    expect(body).toMatchObject({ id: advice.id, originalId: advice.requestId, errorType: 'UNABLE_TO_LOCATE_RECORD' });
  });
});

describe('redemption, refund and lookup validation', () => {
  it.each([
    ['/suv/v1/redemptions', makeRedemptionRequest, 'redemption'],
    ['/suv/v1/refunds', makeRefundRequest, 'refund'],
  ] as const)('%s refuses what §1.3 refuses, and changes nothing', async (path, make, type) => {
    const cases: Array<[Json, FormatError[]]> = [
      [
        withAt(make('1234'), ['voucher', 'colour'], 1),
        [{ field: 'voucher.colour', msg: "Unrecognized field 'colour'", value: 1 }],
      ],
      [
        withAt(make('1234'), ['voucher', 'code'], undefined),
        [{ field: 'voucher.code', msg: 'voucher.code may not be null' }],
      ],
      [withAt(make('1234'), ['voucher'], null), [{ field: 'voucher', msg: 'voucher may not be null' }]],
      [make('1234', { id: 'nope' }), [{ field: 'id', msg: uuidMessage, value: 'nope' }]],
    ];
    for (const [request, entries] of cases) {
      const { status, body } = await sw.post(path, request);
      expect(status).toBe(400);
      expect(body).toMatchObject({ id: request.id, errorType: 'FORMAT_ERROR' });
      expect(formatErrorsOf(body)).toEqual(entries);
      expectNothingHappened(request.id as string, type);
    }
  });

  it('GET /suv/v1/vouchers needs a key, refuses an empty one, and answers an unknown voucher with 404', async () => {
    for (const query of ['', '?receiverInstId=44444444', '?provisionRequestId=']) {
      const answer = await send(sw, 'GET', `/suv/v1/vouchers${query}`);
      expect(answer.status).toBe(400);
      expect(answer.body?.errorType).toBe('FORMAT_ERROR');
    }
    const unknown = await send(sw, 'GET', `/suv/v1/vouchers?voucherCode=${randomUUID()}`);
    expect(unknown.status).toBe(404);
    expectErrorDetail(unknown);
  });
});

describe('every error is an ErrorDetail', () => {
  const provision = JSON.stringify(makeProvisionRequest());

  it.each([
    ['GET', '/suv/v1/vouchers/confirmations', 'POST'],
    ['DELETE', '/suv/v1/vouchers', 'POST, GET, HEAD'],
    ['PUT', '/suv/v1/vouchers/68d07240-e604-431f-d5ca-974cee9bd60d/retry', 'POST'],
    ['GET', '/suv/v1/redemptions', 'POST'],
    ['POST', '/health', 'GET, HEAD'],
    ['POST', '/openapi.json', 'GET, HEAD'],
  ])('%s %s answers 405 FUNCTION_NOT_SUPPORTED with Allow: %s', async (method, path, allow) => {
    const answer = await send(sw, method, path, { body: method === 'GET' ? undefined : '{}' });
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe(allow);
    expectErrorDetail(answer);
    expect(answer.body?.errorType).toBe('FUNCTION_NOT_SUPPORTED');
  });

  it.each([
    ['an unknown path', 'GET', '/suv/v1/nothing-here', {}, 404],
    ['a body over 64 KiB', 'POST', '/suv/v1/vouchers', { body: `{"x":"${'x'.repeat(70_000)}"}` }, 413],
    ['malformed JSON', 'POST', '/suv/v1/vouchers', { body: '{"id": ' }, 400],
    ['an empty body', 'POST', '/suv/v1/vouchers', { body: '' }, 400],
    ['no body at all', 'POST', '/suv/v1/vouchers/confirmations', {}, 400],
    ['a JSON array', 'POST', '/suv/v1/redemptions', { body: '[]' }, 400],
    ['JSON null', 'POST', '/suv/v1/refunds', { body: 'null' }, 400],
    ['a text/plain body', 'POST', '/suv/v1/vouchers', { body: provision, contentType: 'text/plain' }, 400],
    ['a body without a content type', 'POST', '/suv/v1/vouchers', { body: provision, contentType: '' }, 400],
    [
      'a form body',
      'POST',
      '/suv/v1/vouchers',
      { body: 'id=1', contentType: 'application/x-www-form-urlencoded' },
      400,
    ],
  ])('answers %s with an ErrorDetail', async (_, method, path, options, status) => {
    const answer = await send(sw, method, path, options);
    expect(answer.status).toBe(status);
    expectErrorDetail(answer);
  });

  it('names the request in the FORMAT_ERROR of a JSON body sent with another content type', async () => {
    const request = makeProvisionRequest();
    const answer = await send(sw, 'POST', '/suv/v1/vouchers', { body: request, contentType: 'text/plain' });
    expect(answer.body).toMatchObject({ id: request.id, errorType: 'FORMAT_ERROR' });
    expectNothingHappened(request.id as string);
  });
});

describe('GET /docs', () => {
  it('is a self-contained HTML page listing every operation of /openapi.json', async () => {
    const doc = (await sw.get('/openapi.json')).body as unknown as OpenApi;
    const page = await send(sw, 'GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const operationIds = Object.values(doc.paths).flatMap((methods) =>
      Object.values(methods).map((op) => op.operationId),
    );
    expect(operationIds.length).toBeGreaterThanOrEqual(13);
    for (const id of operationIds) expect(page.text).toContain(`id="op-${id}"`);
    for (const schema of ['ProvisionRequest', 'ProvisionResponse', 'ErrorDetail', 'MerchantName']) {
      expect(page.text).toContain(`id="schema-${schema}"`);
    }
    expect(page.text).not.toMatch(/<script|<link|src=|https?:\/\//i);
  });
});
