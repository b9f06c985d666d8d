import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type RunningServer } from '../../src/http-server';
import { type Answer, demoAuth, expectErrorDetail, expectNothingHappened } from '../helpers/channel';
import { type Json, makeProvisionRequest } from '../helpers/fixtures';
import { createTestApp, type TestApp } from '../helpers/test-app';

/*
 * Served over HTTP, the API reads a body from Node's request itself (src/api/body-limit.ts),
 * where `app.request()` goes through Hono's web Request: both must read every body alike.
 */

let sw: TestApp;
let server: RunningServer;

beforeAll(async () => {
  sw = await createTestApp();
  server = await listen(sw.app, 0);
});
afterAll(async () => {
  await server?.close();
  await sw?.stop();
});

/** POSTs `parts` as the body, with a declared length, or chunked (one chunk per part). */
function post(path: string, parts: Buffer[], { chunked = false } = {}): Promise<Answer> {
  const headers: Record<string, string> = { authorization: demoAuth, 'content-type': 'application/json' };
  if (chunked) headers['transfer-encoding'] = 'chunked';
  else headers['content-length'] = String(Buffer.concat(parts).length);
  return new Promise((resolve, reject) => {
    const sent = request(`${server.url}${path}`, { method: 'POST', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const headers = new Headers(response.headers as Record<string, string>);
        resolve({ status: response.statusCode ?? 0, headers, text, body: JSON.parse(text) as Json });
      });
    });
    // The server may answer (413) before the whole body is sent, and close the connection.
    sent.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' ? undefined : reject(error)));
    for (const part of parts) sent.write(part);
    sent.end();
  });
}

/** The same body sent in process (`app.request`), through Hono's web Request. */
async function inProcess(path: string, body: Buffer): Promise<Answer> {
  const response = await sw.request(path, {
    method: 'POST',
    headers: { authorization: demoAuth, 'content-type': 'application/json' },
    body,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) as Json };
}

const bytes = (request: Json) => Buffer.from(JSON.stringify(request));
const over64KiB = () => bytes(makeProvisionRequest({ padding: 'x'.repeat(70_000) }));

describe('a body read from Node’s request', () => {
  it('provisions from a body with a declared length and from one sent in chunks', async () => {
    const whole = makeProvisionRequest();
    const answer = await post('/suv/v1/vouchers', [bytes(whole)]);
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ id: whole.id, voucher: { code: expect.any(String) } });

    const chunked = bytes(makeProvisionRequest());
    const thirds = [0, 1, 2].map((i) => chunked.subarray((i * chunked.length) / 3, ((i + 1) * chunked.length) / 3));
    const inChunks = await post('/suv/v1/vouchers', thirds, { chunked: true });
    expect(inChunks.status).toBe(201);
    expect(inChunks.body).toMatchObject({
      id: JSON.parse(chunked.toString()).id,
      voucher: { code: expect.any(String) },
    });
  });

  it.each([
    ['a declared length', false],
    ['chunks', true],
  ])('refuses a body over 64 KiB sent with %s (413), and provisions nothing', async (_, chunked) => {
    const body = over64KiB();
    const parts = chunked ? [body.subarray(0, 40_000), body.subarray(40_000)] : [body];
    const answer = await post('/suv/v1/vouchers', parts, { chunked });
    expect(answer.status).toBe(413);
    expectErrorDetail(answer);
    expect(answer.body).toMatchObject({ errorType: 'FORMAT_ERROR', errorMessage: 'The body exceeds 65536 bytes.' });
    expectNothingHappened(sw, JSON.parse(body.toString()).id);
    // The server goes on serving.
    expect((await post('/suv/v1/vouchers', [bytes(makeProvisionRequest())])).status).toBe(201);
  });

  it.each([
    ['a leading byte-order mark', (body: Buffer) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body])],
    ['bytes that are not UTF-8 in a name', (body: Buffer) => replaceText(body, 'Stuff', Buffer.from([0xc3, 0x28]))],
    ['a NUL byte in a name', (body: Buffer) => replaceText(body, 'Stuff', Buffer.from([0x00]))],
    ['a body cut short', (body: Buffer) => body.subarray(0, body.length - 5)],
  ])('answers a body with %s as the in-process path does', async (_, alter) => {
    const [overHttp, sameInProcess] = await Promise.all([
      post('/suv/v1/vouchers', [alter(bytes(makeProvisionRequest()))]),
      inProcess('/suv/v1/vouchers', alter(bytes(makeProvisionRequest()))),
    ]);
    expect(overHttp.status).toBe(sameInProcess.status);
    const { id: _httpId, ...overHttpRest } = overHttp.body as Record<string, Json>;
    const { id: _inProcessId, ...inProcessRest } = sameInProcess.body as Record<string, Json>;
    if (overHttp.status === 201) {
      // What the body said, as the switch read it, comes back with the voucher.
      expect(overHttpRest).toMatchObject({ voucher: { code: expect.any(String) } });
      expect(overHttpRest.originator).toEqual(inProcessRest.originator);
    } else {
      expect(overHttpRest).toEqual(inProcessRest);
    }
  });
});

/** `body` with the first `text` in it replaced by `replacement`'s bytes. */
function replaceText(body: Buffer, text: string, replacement: Buffer): Buffer {
  const at = body.indexOf(text);
  return Buffer.concat([body.subarray(0, at), replacement, body.subarray(at + text.length)]);
}
