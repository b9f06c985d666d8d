import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTransaction } from '../../src/db/queries/transactions';
import { workflowIdFor } from '../../src/domain/provision';
import { encryptedEncoding } from '../../src/temporal/codec';
import { searchAttributeDefinitions } from '../../src/workflows/search-attributes';
import {
  createTestPki,
  httpsFetch,
  type Pem,
  type PkiFiles,
  type TestPki,
  writePkiFiles,
} from '../helpers/certificates';
import { eventually } from '../helpers/eventually';
import { basicAuth, type Json, makeAdvice, makeProvisionRequest, makeReversal } from '../helpers/fixtures';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';

/**
 * The switch's security end to end, through real HTTPS, Temporal and the provider simulator:
 * who a request comes from (client certificates, Basic, OAuth2 bearer tokens), how often it may
 * come, what a channel may touch, and where secrets are never kept in clear.
 */

type Channel = { clientId: string; password: string };
type Voucher = { code: string; serialNumber: string };

// Passwords no Temporal or database text would contain by chance.
const shop: Channel = { clientId: '22222222', password: 'shop-pw-5e1f9a7c' };
const rival: Channel = { clientId: '55555555', password: 'rival-pw-0b8d3e62' };
const tillCommonName = 'till-1.shop.example';

const credentials = (channel: Channel) => basicAuth(channel.clientId, channel.password);

/** The example provision, sent by `channel`. */
const provisionBy = (channel: Channel) =>
  makeProvisionRequest({ client: { id: channel.clientId, name: 'Test channel' } });

let pki: TestPki;
let files: PkiFiles;
/** HTTPS with mutual TLS, OAuth2 beside Basic, and the default (generous) rate limit. */
let sw: TestSwitch;

beforeAll(async () => {
  pki = await createTestPki();
  files = writePkiFiles(pki);
  sw = await startTestSwitch(
    {
      ...files.env,
      SWITCH_CHANNELS: [shop, rival].map((c, i) => `${c.clientId}:${c.password}:dual${i ? ':stellr' : ''}`).join(),
      TLS_CLIENT_CHANNELS: `cn:${tillCommonName}=${shop.clientId}`,
      OAUTH_TOKEN_SECRET: 'security-test-token-secret-0123456789',
    },
    { ca: pki.ca.cert },
  );
});
afterAll(async () => {
  await sw?.stop();
  files?.remove();
});

interface Call {
  method?: string;
  authorization?: string;
  contentType?: string;
  body?: Json | string;
  /** A client certificate to present in the TLS handshake. */
  certificate?: Pem;
}

/** A request to the switch over HTTPS, with exactly the headers and certificate given. */
async function call(path: string, { method = 'POST', authorization, contentType, body, certificate }: Call) {
  const headers: Record<string, string> = {
    ...(authorization && { authorization }),
    ...(body !== undefined && { 'content-type': contentType ?? 'application/json' }),
  };
  const text = typeof body === 'object' ? JSON.stringify(body) : body;
  const response = await httpsFetch(
    `${sw.url}${path}`,
    { method, headers, body: text },
    { ca: pki.ca.cert, ...certificate },
  );
  return { status: response.status, headers: response.headers, body: (await response.json()) as Json };
}

/** What the provider received for a channel message. */
const providerOperations = async (messageId: string) =>
  (await sw.simulator.ledger({ channelMessageId: messageId })).map((entry) => entry.operation);

const authenticationError = (id: unknown) => ({
  id,
  errorType: 'AUTHENTICATION_ERROR',
  errorMessage: expect.any(String),
});

describe('mutual TLS', () => {
  it('provisions for the channel a CA-signed client certificate maps to, without an Authorization header', async () => {
    const request = provisionBy(shop);
    const answer = await call('/suv/v1/vouchers', {
      body: request,
      certificate: await pki.clientCertificate(tillCommonName),
    });
    expect(answer.status).toBe(201);
    expect(await providerOperations(request.id as string)).toEqual(['provision']);
  });

  it('refuses a self-signed certificate with the mapped name and no header: 401, nothing at the provider', async () => {
    const request = provisionBy(shop);
    const answer = await call('/suv/v1/vouchers', {
      body: request,
      certificate: await pki.selfSignedCertificate(tillCommonName),
    });
    expect(answer).toMatchObject({ status: 401, body: authenticationError(request.id) });
    expect(await providerOperations(request.id as string)).toEqual([]);
  });

  it("refuses a mapped certificate sent with another channel's Basic credentials", async () => {
    const certificate = await pki.clientCertificate(tillCommonName);
    for (const request of [provisionBy(shop), provisionBy(rival)]) {
      const answer = await call('/suv/v1/vouchers', { body: request, certificate, authorization: credentials(rival) });
      expect(answer).toMatchObject({ status: 401, body: authenticationError(request.id) });
      expect(await providerOperations(request.id as string)).toEqual([]);
    }
  });

  it('refuses a mapped certificate sent with credentials that do not verify', async () => {
    const certificate = await pki.clientCertificate(tillCommonName);
    const wrongPassword = `Basic ${Buffer.from(`${shop.clientId}:not-the-password`).toString('base64')}`;
    for (const authorization of [wrongPassword, 'Bearer not-a-token']) {
      const request = provisionBy(shop);
      const answer = await call('/suv/v1/vouchers', { body: request, certificate, authorization });
      expect(answer).toMatchObject({ status: 401, body: authenticationError(request.id) });
    }
  });
});

describe('OAuth2 client credentials', () => {
  const token = (authorization: string) =>
    call('/oauth/token', {
      authorization,
      contentType: 'application/x-www-form-urlencoded',
      body: 'grant_type=client_credentials',
    });

  it('issues a bearer token for Basic client credentials, and the token provisions', async () => {
    const issued = await token(credentials(shop));
    expect(issued).toMatchObject({ status: 200, body: { token_type: 'Bearer', access_token: expect.any(String) } });

    const answer = await sw.post('/suv/v1/vouchers', provisionBy(shop), `Bearer ${issued.body.access_token}`);
    expect(answer.status).toBe(201);
  });

  it('refuses a token whose claims were altered: 401 ErrorDetail, nothing at the provider', async () => {
    const { access_token } = (await token(credentials(shop))).body as { access_token: string };
    const [header, claims, signature] = access_token.split('.') as [string, string, string];
    // The shop's token made out to the rival, the signature kept.
    const altered = { ...JSON.parse(Buffer.from(claims, 'base64url').toString()), sub: rival.clientId };
    const forged = [header, Buffer.from(JSON.stringify(altered)).toString('base64url'), signature].join('.');

    for (const [bearer, request] of [
      [forged, provisionBy(rival)],
      [`${access_token.slice(0, -4)}AAAA`, provisionBy(shop)],
    ] as const) {
      const answer = await sw.post('/suv/v1/vouchers', request, `Bearer ${bearer}`);
      expect(answer).toMatchObject({ status: 401, body: authenticationError(request.id) });
      expect(await providerOperations(request.id as string)).toEqual([]);
    }
  });

  it('answers a wrong client secret at the token endpoint with 401 invalid_client', async () => {
    const refused = await token(basicAuth(shop.clientId, rival.password));
    expect(refused).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(refused.body).not.toHaveProperty('access_token');
  });
});

describe('rate limit', () => {
  let limited: TestSwitch;

  beforeAll(async () => {
    limited = await startTestSwitch({ RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '2' });
  });
  afterAll(() => limited?.stop());

  it("answers a channel's third quick request 429 with Retry-After, and serves another channel meanwhile", async () => {
    // Two cheap requests empty the demo channel's bucket (burst 2)…
    for (let i = 0; i < 2; i++) {
      const lookup = await limited.get(`/suv/v1/vouchers?provisionRequestId=${makeProvisionRequest().id}`);
      expect(lookup.status).toBe(404);
    }
    // …so its provision is refused while the other channel's, sent at the same moment, is served.
    const refused = makeProvisionRequest();
    const other = makeProvisionRequest({ client: { id: '55555555', name: 'Other' } });
    const [tooMany, served] = await Promise.all([
      limited.post('/suv/v1/vouchers', refused),
      limited.post('/suv/v1/vouchers', other, limited.auth('55555555', 'secret')),
    ]);

    expect(tooMany.status).toBe(429);
    expect(Number(tooMany.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(tooMany.body).toMatchObject({
      id: refused.id,
      errorType: 'GENERAL_ERROR',
      errorMessage: expect.any(String),
    });
    expect(await limited.simulator.ledger({ channelMessageId: refused.id as string })).toEqual([]);
    expect(served.status).toBe(201);
  });
});

describe("another channel's transactions", () => {
  /** A provision by the shop, answered 201. */
  async function shopProvision() {
    const request = provisionBy(shop);
    const answer = await sw.post('/suv/v1/vouchers', request, credentials(shop));
    expect(answer.status).toBe(201);
    return { request, id: request.id as string, voucher: answer.body.voucher as Voucher };
  }

  const lookup = (channel: Channel, query: Record<string, string>) =>
    sw.get(`/suv/v1/vouchers?${new URLSearchParams(query)}`, credentials(channel));

  it('are unknown to it: its confirmation, reversal and look-ups get 404 and change nothing', async () => {
    const { id, voucher } = await shopProvision();

    const confirmation = makeAdvice(id);
    expect(await sw.post('/suv/v1/vouchers/confirmations', confirmation, credentials(rival))).toMatchObject({
      status: 404,
      body: { id: confirmation.id, originalId: id, errorType: 'UNABLE_TO_LOCATE_RECORD' },
    });
    const reversal = makeReversal(id);
    expect(await sw.post('/suv/v1/vouchers/reversals', reversal, credentials(rival))).toMatchObject({
      status: 404,
      body: { id: reversal.id, originalId: id, errorType: 'UNABLE_TO_LOCATE_RECORD' },
    });
    const byRequestId = { provisionRequestId: id };
    expect(await lookup(rival, byRequestId)).toMatchObject({
      status: 404,
      body: { errorType: 'UNABLE_TO_LOCATE_RECORD' },
    });
    expect((await lookup(shop, byRequestId)).status).toBe(200);

    // The shop's provision is still its own to confirm, and the provider never heard of the rival.
    expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(id), credentials(shop))).status).toBe(202);
    const operations = await eventually(async () => {
      const seen = await providerOperations(id);
      return seen.includes('confirm') ? seen : undefined;
    });
    expect(operations).toEqual(['provision', 'confirm']);
    // Confirmed, the voucher is found by serial number too, by its own channel only.
    const bySerial = { voucherSerialNumber: voucher.serialNumber };
    await eventually(async () => ((await lookup(shop, bySerial)).status === 200 ? true : undefined));
    for (const query of [byRequestId, bySerial]) {
      expect(await lookup(rival, query)).toMatchObject({ status: 404, body: { errorType: 'UNABLE_TO_LOCATE_RECORD' } });
    }
  });

  it("get a retry of the same id its own provision, never the first channel's voucher", async () => {
    const { request, id, voucher } = await shopProvision();

    const retried = await sw.post(
      `/suv/v1/vouchers/${id}/retry`,
      { ...request, client: { id: rival.clientId, name: 'Rival' } },
      credentials(rival),
    );
    expect(retried.status).toBe(201);
    expect((retried.body.voucher as Voucher).code).not.toBe(voucher.code);
    expect(JSON.stringify(retried.body)).not.toContain(voucher.code);
    // With the shop's client.id the rival's credentials are refused outright.
    const posing = await sw.post(`/suv/v1/vouchers/${id}/retry`, request, credentials(rival));
    expect(posing).toMatchObject({ status: 400, body: { id, errorType: 'AUTHENTICATION_ERROR' } });

    // The shop's own transaction is untouched: its retry answers its voucher, and it confirms.
    expect(await sw.post(`/suv/v1/vouchers/${id}/retry`, request, credentials(shop))).toMatchObject({
      status: 201,
      body: { voucher },
    });
    expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(id), credentials(shop))).status).toBe(202);
    const operations = await eventually(async () => {
      const seen = await providerOperations(id);
      return seen.includes('confirm') ? seen : undefined;
    });
    expect(operations.sort()).toEqual(['confirm', 'provision', 'provision']); // the rival's is its own
  });
});

/**
 * Every payload in a message tree (objects with `metadata` and `data`), but for search attributes':
 * the server indexes those, so the codec leaves them plain and the switch puts no secret in them.
 */
function payloadsIn(node: unknown): Payload[] {
  if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node)) return [];
  if ('metadata' in node && 'data' in node) return [node as Payload];
  return Object.entries(node).flatMap(([key, value]) => (key === 'searchAttributes' ? [] : payloadsIn(value)));
}

/** The names of the search attributes set anywhere in a message tree. */
function searchAttributeNames(node: unknown): string[] {
  if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node)) return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === 'searchAttributes'
      ? Object.keys((value as { indexedFields?: object } | null)?.indexedFields ?? {})
      : searchAttributeNames(value),
  );
}

const base64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('base64');

/**
 * The SDK's own records, written by its core in plain JSON: a local activity's (sequence, attempt,
 * activity type and times; the call's result beside it is encrypted), and a patch marker's (the
 * patch's name).
 */
const bookkeepingFields = [
  ['seq', 'attempt', 'activity_id', 'activity_type', 'complete_time', 'backoff', 'original_schedule_time'],
  ['id', 'deprecated'],
];
function isSdkBookkeeping(payload: Payload): boolean {
  if (Buffer.from(payload.metadata?.encoding ?? []).toString() !== 'json/plain') return false;
  const fields = Object.keys(JSON.parse(Buffer.from(payload.data ?? []).toString()) as object);
  return fields.length > 0 && bookkeepingFields.some((known) => fields.every((field) => known.includes(field)));
}

describe('secrets at rest', () => {
  let request: Json;
  let code: string;
  let workflowId: string;
  /** The provision's workflow history as the server stores it. */
  let history: proto.temporal.api.history.v1.IHistory;
  let payloads: Payload[];

  beforeAll(async () => {
    request = provisionBy(shop);
    const answer = await sw.post('/suv/v1/vouchers', request, credentials(shop));
    expect(answer.status).toBe(201);
    code = (answer.body.voucher as Voucher).code;
    workflowId = workflowIdFor(shop.clientId, request.id as string);
    // A client without the codec reads what the server keeps.
    const raw = new Client({ connection: sw.client.connection, namespace: sw.config.temporal.namespace });
    history = await raw.workflow.getHandle(workflowId).fetchHistory();
    payloads = payloadsIn(history.events);
  });

  it('keeps only encrypted payloads in the Temporal history, with no voucher code or password in it', () => {
    expect(payloads.length).toBeGreaterThanOrEqual(2); // at least the provision and its answer
    for (const payload of payloads.filter((p) => !isSdkBookkeeping(p))) {
      expect(Buffer.from(payload.metadata?.encoding ?? []).toString()).toBe(encryptedEncoding);
    }
    // Only the switch's own search attributes are plain (and the SDK's list of the patches a
    // workflow took), and the check below covers them too.
    const known = [...searchAttributeDefinitions.map((definition) => definition.name), 'TemporalChangeVersion'];
    expect(known).toEqual(expect.arrayContaining(searchAttributeNames(history.events)));
    const stored = [
      JSON.stringify(history),
      Buffer.from(proto.temporal.api.history.v1.History.encode(history).finish()),
      ...payloads.map((payload) => Buffer.from(base64(payload.data), 'base64')),
    ];
    for (const form of stored) {
      for (const secret of [code, shop.password]) expect(form.includes(secret)).toBe(false);
    }
  });

  it('keeps the voucher code only masked in the reporting copy and its traces', async () => {
    const row = await eventually(async () => {
      const found = await findTransaction(sw.reporting.db, workflowId);
      return found && found.traces.length >= 2 ? found : undefined;
    });
    expect(row.voucherCodeMasked).toBe(`${'*'.repeat(code.length - 4)}${code.slice(-4)}`);
    expect(JSON.stringify(row.traces)).toContain(code.slice(-4));
    expect(JSON.stringify(row)).not.toContain(code);
    expect(JSON.stringify(row)).not.toContain(shop.password);
  });

  it('decodes stored payloads through /codec/decode for an operator only', async () => {
    const body = {
      payloads: payloads.map((p) => ({
        metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([key, value]) => [key, base64(value)])),
        data: base64(p.data),
      })),
    };

    const decoded = await call('/codec/decode', { authorization: basicAuth('operator', 'operator'), body });
    expect(decoded.status).toBe(200);
    const clear = (decoded.body.payloads as Array<{ metadata: Record<string, string>; data: string }>).map((p) => ({
      encoding: Buffer.from(p.metadata.encoding ?? '', 'base64').toString(),
      data: Buffer.from(p.data, 'base64').toString(),
    }));
    // Decrypted to what the SDK wrote: JSON values, and `binary/null` for undefined.
    expect(clear.map((p) => p.encoding)).toEqual(
      payloads.map(() => expect.stringMatching(/^(json\/plain|binary\/null)$/)),
    );
    const values = clear.filter((p) => p.encoding === 'json/plain').map((p) => JSON.stringify(JSON.parse(p.data)));
    expect(values.some((value) => value.includes(request.id as string))).toBe(true);
    expect(values.some((value) => value.includes(code))).toBe(true); // what the encryption hid

    const refused = await call('/codec/decode', { authorization: credentials(shop), body });
    expect(refused).toMatchObject({ status: 401, body: { errorType: 'AUTHENTICATION_ERROR' } });
    expect(JSON.stringify(refused.body)).not.toContain(code);
  });
});
