import { WorkflowNotFoundError } from '@temporalio/client';
import { expect } from 'vitest';
import { workflowIdFor } from '../../src/domain/provision';
import type { VoucherUse } from '../../src/domain/voucher';
import { basicAuth, demoChannel, type Json } from '../helpers/fixtures';
import type { TestSwitch } from '../helpers/switch';

export const demoAuth = basicAuth(demoChannel.clientId, demoChannel.password);

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body as JSON; undefined when it is not JSON. */
  body: Json | undefined;
}

/** One raw HTTP exchange with the switch, whatever the method, content type or body. */
export async function send(
  sw: Pick<TestSwitch, 'url'>,
  method: string,
  path: string,
  {
    body,
    auth = demoAuth,
    contentType = 'application/json',
  }: { body?: unknown; auth?: string; contentType?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { authorization: auth };
  if (contentType) headers['content-type'] = contentType;
  const response = await fetch(`${sw.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
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
export async function expectNothingHappened(sw: TestSwitch, id: string, type?: VoucherUse) {
  expect(await sw.simulator.ledger({ channelMessageId: id })).toEqual([]);
  await expect(
    sw.client.workflow.getHandle(workflowIdFor(demoChannel.clientId, id, type)).describe(),
  ).rejects.toBeInstanceOf(WorkflowNotFoundError);
}
