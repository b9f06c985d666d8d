import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCodecRoutes } from '../../src/api/routes/codec';
import { ensure, temporalTestServer } from '../../src/temporal/binaries';
import {
  createEncryptionCodec,
  encryptedEncoding,
  insecureDevPayloadKeys,
  parseCodecKeys,
} from '../../src/temporal/codec';
import type { echoVoucher } from '../workflows/fixtures/codec-echo';

const workflowsPath = fileURLToPath(new URL('../workflows/fixtures/codec-echo.ts', import.meta.url));
const codec = createEncryptionCodec(parseCodecKeys(insecureDevPayloadKeys));
const marker = 'VOUCHER-CODE-4711-0815';
const uiOrigin = 'http://localhost:8233';
const operator = 'Bearer operator-token';

let env: TestWorkflowEnvironment;
/** Stored history as the server keeps it: a client without the codec. */
let raw: Client;
let workflowId: string;
let result: { lastDigits: string; code: string };

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: ensure(temporalTestServer) } },
    client: { dataConverter: { payloadCodecs: [codec] } },
  });
  raw = new Client({ connection: env.connection, namespace: env.namespace });
  const taskQueue = `codec-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath,
    dataConverter: { payloadCodecs: [codec] },
  });
  workflowId = `codec-${randomUUID()}`;
  result = await worker.runUntil(
    env.client.workflow.execute<typeof echoVoucher>('echoVoucher', { taskQueue, workflowId, args: [{ code: marker }] }),
  );
});
afterAll(() => env?.teardown());

/** Every payload in a message tree: objects with `metadata` and `data`. */
function payloadsIn(node: unknown): Payload[] {
  if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node)) return [];
  if ('metadata' in node && 'data' in node) return [node as Payload];
  return Object.values(node).flatMap(payloadsIn);
}

describe('payload encryption on Temporal', () => {
  it('gives the workflow its decrypted arguments and the caller its decrypted result', () => {
    expect(result).toEqual({ lastDigits: '0815', code: marker });
  });

  it('stores only encrypted payloads in the server history', async () => {
    const history = await raw.workflow.getHandle(workflowId).fetchHistory();
    const stored = proto.temporal.api.history.v1.History.encode(history).finish();
    const payloads = payloadsIn(history.events);

    expect(payloads.length).toBeGreaterThanOrEqual(2); // the input and the result
    for (const payload of payloads) {
      expect(Buffer.from(payload.metadata?.encoding ?? []).toString()).toBe(encryptedEncoding);
    }
    expect(Buffer.from(stored).includes(marker)).toBe(false);
  });
});

describe('codec server routes', () => {
  const app = new Hono();
  registerCodecRoutes(app, {
    codec,
    authorize: (authorization) => authorization === operator,
    allowedOrigins: [uiOrigin],
  });
  const b64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('base64');
  const toJson = (p: Payload) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
    data: b64(p.data),
  });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', Origin: uiOrigin, ...headers },
      body: JSON.stringify(body),
    });
  const storedInput = async () => {
    const history = await raw.workflow.getHandle(workflowId).fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    return started?.input?.payloads?.[0] as Payload;
  };

  it('decodes a payload from the stored history for an operator, as the Web UI sends it', async () => {
    const response = await post(
      '/codec/decode',
      { payloads: [toJson(await storedInput())] },
      { Authorization: operator },
    );

    expect(response.status).toBe(200);
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe(uiOrigin);
    expect(response.headers.get('Access-Control-Allow-Credentials')).toBe('true');
    const { payloads } = (await response.json()) as {
      payloads: Array<{ metadata: Record<string, string>; data: string }>;
    };
    expect(Buffer.from(payloads[0]?.metadata.encoding ?? '', 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(payloads[0]?.data ?? '', 'base64').toString())).toEqual({ code: marker });
  });

  it('encodes for an operator, and the result decodes with the codec', async () => {
    const clear = defaultPayloadConverter.toPayload({ code: marker }) as Payload;
    const response = await post('/codec/encode', { payloads: [toJson(clear)] }, { Authorization: operator });
    const { payloads } = (await response.json()) as {
      payloads: Array<{ metadata: Record<string, string>; data: string }>;
    };
    const encoded = payloads.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
      data: Buffer.from(p.data, 'base64'),
    }));

    expect(Buffer.from(payloads[0]?.data ?? '', 'base64').includes(marker)).toBe(false);
    expect((await codec.decode(encoded)).map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([
      { code: marker },
    ]);
  });

  it.each([
    ['no', {}],
    ['wrong', { Authorization: 'Bearer guess' }],
  ])('answers 401 with an ErrorDetail, readable by the UI, to %s credentials', async (_, headers) => {
    const response = await post('/codec/decode', { payloads: [toJson(await storedInput())] }, headers);

    expect(response.status).toBe(401);
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe(uiOrigin);
    const body = await response.text();
    expect(JSON.parse(body)).toMatchObject({ errorType: 'AUTHENTICATION_ERROR' });
    expect(body).not.toContain(marker);
  });

  it('answers 400 to a body that is not payloads', async () => {
    const response = await post('/codec/decode', { nope: true }, { Authorization: operator });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ errorType: 'FORMAT_ERROR' });
  });

  it('answers the CORS preflight for the Web UI origin only', async () => {
    const preflight = (origin: string) =>
      app.request('/codec/decode', {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type,x-namespace,authorization',
        },
      });
    const allowed = await preflight(uiOrigin);

    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('Access-Control-Allow-Origin')).toBe(uiOrigin);
    expect(allowed.headers.get('Access-Control-Allow-Credentials')).toBe('true');
    expect(allowed.headers.get('Access-Control-Allow-Methods')).toContain('POST');
    expect(allowed.headers.get('Access-Control-Allow-Headers')).toBe('Content-Type, X-Namespace, Authorization');

    const other = await preflight('https://evil.example');
    expect(other.headers.get('Access-Control-Allow-Origin')).toBeNull();
  });
});
