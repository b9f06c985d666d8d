import { expect } from 'vitest';
import { workflowIdFor } from '../../src/domain/provision';
import type { VoucherUse } from '../../src/domain/voucher';
import { basicAuth, demoChannel, type Json } from './fixtures';
import type { TestApp } from './test-app';

export const demoAuth = basicAuth(demoChannel.clientId, demoChannel.password);

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body as JSON; undefined when it is not JSON. */
  body: Json | undefined;
}

/** Where `send` sends: a switch listening on a URL, or an app in this process (`app.request`, no port). */
export type Target = { url: string } | Pick<TestApp, 'request'>;

/** One raw HTTP exchange with the switch, whatever the method, content type or body. */
export async function send(
  target: Target,
  method: string,
  path: string,
  {
    body,
    auth = demoAuth,
    contentType = 'application/json',
    headers: extra = {},
  }: { body?: unknown; auth?: string; contentType?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...extra, authorization: auth };
  if (contentType) headers['content-type'] = contentType;
  const init = {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  };
  const response = 'request' in target ? await target.request(path, init) : await fetch(`${target.url}${path}`, init);
  const text = await response.text();
  let parsed: Json | undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

/** An ErrorDetail: a JSON object with errorType and errorMessage, sent as JSON. */
export function expectErrorDetail(answer: Answer) {
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  expect(answer.body).toEqual(
    expect.objectContaining({ errorType: expect.any(String), errorMessage: expect.any(String) }),
  );
}

/** A rejected message changes no state: nothing reached a provider and no transaction exists (§1.3). */
export function expectNothingHappened(app: TestApp, id: string, type?: VoucherUse) {
  expect(app.providerCalls.filter((call) => call.channelMessageId === id)).toEqual([]);
  expect(app.transactions.has(workflowIdFor(demoChannel.clientId, id, type))).toBe(false);
}
