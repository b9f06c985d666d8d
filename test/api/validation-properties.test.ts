import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorDetail } from '../../src/contract/error-detail';
import type { VoucherUse } from '../../src/domain/voucher';
import { type Answer, expectErrorDetail, expectNothingHappened, send } from '../helpers/channel';
import {
  type Json,
  makeAdvice,
  makeBasicAdvice,
  makeProvisionRequest,
  makeRedemptionRequest,
  makeRefundRequest,
  makeReversal,
} from '../helpers/fixtures';
import { nullsIn, type OpenApi, operation, type Schema, validate } from '../helpers/openapi-schema';
import { createTestApp, type TestApp } from '../helpers/test-app';

/**
 * Properties of the channel API's validation (contract §1.3), with the switch's own OpenAPI
 * document as the oracle: a body the document refuses must be answered FORMAT_ERROR and change
 * nothing; a body it allows must not be. Whatever comes in, no 5xx, and every answer is documented.
 */

let sw: TestApp;
let doc: OpenApi;

beforeAll(async () => {
  sw = await createTestApp();
  doc = (await send(sw, 'GET', '/openapi.json')).body as unknown as OpenApi;
});
afterAll(() => sw?.stop());

interface Endpoint {
  operationId: string;
  /** A valid message with fresh ids. */
  make(): Json;
  /** The path for this message (the retry names its request). */
  path?(message: Json): string;
  /** The transaction the message would start or settle: requests by their id, advices by requestId. */
  key: 'id' | 'requestId';
  type?: VoucherUse;
}

const endpoints: Endpoint[] = [
  { operationId: 'provisionVoucher', make: () => makeProvisionRequest(), key: 'id' },
  {
    operationId: 'retryProvisionVoucher',
    make: () => makeProvisionRequest(),
    path: (m) => `/suv/v1/vouchers/${m.id}/retry`,
    key: 'id',
  },
  { operationId: 'confirmVoucher', make: () => makeAdvice(randomUUID()), key: 'requestId' },
  { operationId: 'reverseVoucher', make: () => makeReversal(randomUUID()), key: 'requestId' },
  { operationId: 'redeemVoucher', make: () => makeRedemptionRequest('1234'), key: 'id', type: 'redemption' },
  { operationId: 'confirmRedeem', make: () => makeBasicAdvice(randomUUID()), key: 'requestId', type: 'redemption' },
  { operationId: 'reverseRedeem', make: () => makeReversal(randomUUID()), key: 'requestId', type: 'redemption' },
  { operationId: 'refundVoucher', make: () => makeRefundRequest('1234'), key: 'id', type: 'refund' },
  { operationId: 'confirmRefund', make: () => makeBasicAdvice(randomUUID()), key: 'requestId', type: 'refund' },
  { operationId: 'reverseRefund', make: () => makeReversal(randomUUID()), key: 'requestId', type: 'refund' },
];

type Path = (string | number)[];

/** `originator.merchant.merchantName.city`, `thirdPartyIdentifiers[0].institutionId`, as the switch names them. */
const fieldPath = (path: Path) =>
  path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${key}`)).join('');

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every path to a field or array item in `value`. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])]);
}

function at(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], value);
}

/** A copy with the item at `path` replaced (or removed, for `undefined`). */
function changed(message: Json, path: Path, value: unknown): Json {
  const copy = structuredClone(message);
  const parent = at(copy, path.slice(0, -1)) as Record<string | number, unknown> | unknown[];
  const last = path[path.length - 1] as string | number;
  if (value !== undefined) Object.defineProperty(parent, last, { value, enumerable: true, writable: true });
  else if (Array.isArray(parent)) parent.splice(last as number, 1);
  else delete parent[last];
  return copy;
}

type Mutation =
  | { kind: 'drop' | 'null'; path: Path }
  | { kind: 'retype'; path: Path; value: unknown }
  | { kind: 'extra'; path: Path; name: string; value: unknown };

/** Drop a field, null it, give it a value of another type, or add an unknown field at any depth. */
function mutations(template: Json): fc.Arbitrary<Mutation> {
  const paths = pathsOf(template);
  const objects = [[], ...paths.filter((p) => isObject(at(template, p)))];
  const path = fc.constantFrom(...paths);
  return fc
    .oneof(
      fc.record({ kind: fc.constantFrom('drop' as const, 'null' as const), path }),
      fc.record({ kind: fc.constant('retype' as const), path, value: fc.constantFrom('text', 42, 1.5, true, [], {}) }),
      fc.record({
        kind: fc.constant('extra' as const),
        path: fc.constantFrom(...objects),
        name: fc.string({ minLength: 1, maxLength: 8 }),
        value: fc.jsonValue({ maxDepth: 2 }),
      }),
    )
    .filter((m) => m.kind !== 'extra' || !Object.hasOwn(at(template, m.path) as object, m.name));
}

/** The mutated message, and the body the document should judge: a null field counts as absent. */
function apply(message: Json, m: Mutation): { body: Json; judged: Json } {
  if (m.kind === 'extra') {
    const body = changed(message, [...m.path, m.name], m.value);
    return { body, judged: body };
  }
  if (m.kind === 'retype') {
    const body = changed(message, m.path, m.value);
    return { body, judged: body };
  }
  const dropped = changed(message, m.path, undefined);
  if (m.kind === 'drop') return { body: dropped, judged: dropped };
  const body = changed(message, m.path, null);
  // An array item sent as null is malformed; a field sent as null is absent (src/contract/common.ts).
  return { body, judged: typeof m.path[m.path.length - 1] === 'number' ? body : dropped };
}

function requestSchema(operationId: string): Schema {
  const op = operation(doc, operationId) as { requestBody: { content: Record<string, { schema: Schema }> } };
  return op.requestBody.content['application/json']?.schema as Schema;
}

/** What holds of every answer: no 5xx, documented, valid against its schema, an ErrorDetail if not 2xx, no nulls. */
function expectSound(operationId: string, answer: Answer) {
  expect(answer.status, answer.text).toBeLessThan(500);
  const documented = operation(doc, operationId).responses[String(answer.status)];
  expect(documented, `${operationId} ${answer.status} is not documented`).toBeDefined();
  const schema = documented?.content?.['application/json']?.schema ?? {};
  expect(validate(doc, schema, answer.body), answer.text).toEqual([]);
  if (answer.status >= 300) expectErrorDetail(answer);
  expect(nullsIn(answer.body)).toEqual([]);
}

const isFormatError = (answer: Answer) => answer.status === 400 && answer.body?.errorType === 'FORMAT_ERROR';

describe.each(endpoints)('$operationId', (endpoint) => {
  const { operationId } = endpoint;
  const url = (message: Json) => endpoint.path?.(message) ?? operation(doc, operationId).path;

  it('judges a mutated contract example as its OpenAPI document does, and a refusal changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(mutations(endpoint.make()), async (m) => {
        const message = endpoint.make();
        const { body, judged } = apply(message, m);
        const answer = await send(sw, 'POST', url(message), { body });
        expectSound(operationId, answer);

        const refused = validate(doc, requestSchema(operationId), judged).length > 0;
        expect(isFormatError(answer), `${JSON.stringify(m)} → ${answer.text}`).toBe(refused);
        if (!refused) return;
        expectNothingHappened(sw, message[endpoint.key] as string, endpoint.type);
        const entries = errorDetail.parse(answer.body).detailMessage?.formatErrors ?? [];
        if (m.kind === 'extra') {
          const field = fieldPath([...m.path, m.name]);
          expect(entries[0]).toMatchObject({ field, msg: `Unrecognized field '${m.name}'` });
        } else if (m.kind !== 'retype') {
          const field = fieldPath(m.path);
          expect(entries).toContainEqual({ field, msg: `${field} may not be null` });
        }
      }),
      { numRuns: 20 },
    );
  });
});

describe('any body to any POST endpoint', () => {
  const body = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
    fc
      .record({ id: fc.uuid(), requestId: fc.uuid(), rest: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })) })
      .map(({ rest, ...ids }) => JSON.stringify({ ...rest, ...ids })),
  );

  it('is answered with a documented 4xx ErrorDetail and changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...endpoints), body, async (endpoint, text) => {
        const path = endpoint.path?.({ id: randomUUID() }) ?? operation(doc, endpoint.operationId).path;
        const answer = await send(sw, 'POST', path, { body: text });
        expectSound(endpoint.operationId, answer);
        expect(isFormatError(answer), `${text} → ${answer.text}`).toBe(true);
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {}
        const key = isObject(parsed) ? parsed[endpoint.key] : undefined;
        if (typeof key === 'string') expectNothingHappened(sw, key, endpoint.type);
      }),
      { numRuns: 60 },
    );
  });
});

describe('GET /suv/v1/vouchers with any query', () => {
  const names = fc.oneof(
    fc.constantFrom(
      'voucherCode',
      'provisionRequestId',
      'receiverInstId',
      'settlementEntityInstId',
      'voucherSerialNumber',
    ),
    fc.string({ maxLength: 6 }),
  );

  it('answers a documented 400 or 404 ErrorDetail', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(names, fc.string({ maxLength: 12 })), { maxLength: 4 }), async (pairs) => {
        const answer = await send(sw, 'GET', `/suv/v1/vouchers?${new URLSearchParams(pairs)}`);
        expectSound('lookupVoucher', answer);
        expect([400, 404]).toContain(answer.status);
      }),
      { numRuns: 40 },
    );
  });
});
