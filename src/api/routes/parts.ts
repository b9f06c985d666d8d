import type { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ChannelAnswer } from '../../contract/answers';
import { errorDetail } from '../../contract/error-detail';
import { SwitchError } from '../../domain/errors';
import type { TransactionType } from '../../domain/lifecycle';
import { workflowIdFor } from '../../domain/provision';
import type { ChannelConfig } from '../auth';
import type { AppEnv } from '../deps';

/** Pieces the route definitions share: OpenAPI fragments and the way answers go out. */

export const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });
export const errorResponse = (description: string) => ({ description, ...json(errorDetail) });
export const jsonBody = <T extends z.ZodType>(schema: T) => ({ body: { required: true, ...json(schema) } });

export const adviceResponses = (schema: z.ZodType, refusals: string) => ({
  202: { description: 'Accepted; delivered to the provider by store-and-forward', ...json(schema) },
  400: errorResponse(`FORMAT_ERROR, or ${refusals}`),
  401: errorResponse('AUTHENTICATION_ERROR'),
  404: errorResponse('UNABLE_TO_LOCATE_RECORD: no such request (a reversal is remembered)'),
});

/** Relays a workflow's answer, already in the contract's shape; a 201 names where the resource lives. */
export function respond(c: Context<AppEnv>, answer: ChannelAnswer, location?: string) {
  if (answer.status === 201 && location) c.header('Location', location);
  return c.json(answer.body as never, answer.status as never);
}

/** Names the transaction on the request's log line. */
export function logTransaction(c: Context<AppEnv>, transactionId: string, messageId: string) {
  c.set('transaction', { transactionId, messageId });
}

/** The channel sending an advice (by its credentials alone), and the workflow of the transaction it settles. */
export function adviceTarget(
  c: Context<AppEnv>,
  advice: { id: string; requestId: string },
  type: TransactionType,
): { channel: ChannelConfig; workflowId: string } {
  const channel = adviceChannel(c, advice);
  const workflowId = workflowIdFor(channel.clientId, advice.requestId, type);
  logTransaction(c, workflowId, advice.id);
  return { channel, workflowId };
}

/** The channel sending an advice, identified by its credentials alone. */
function adviceChannel(c: Context<AppEnv>, advice: { id: string; requestId: string }): ChannelConfig {
  const channel = c.get('channel');
  if (!channel) {
    throw new SwitchError('unauthenticated', 'Missing or invalid credentials.', {
      id: advice.id,
      originalId: advice.requestId,
    });
  }
  return channel;
}

/** An advice for a request the switch never saw. */
export function unknownRequest(advice: { id: string; requestId: string }): never {
  throw new SwitchError('unknownRecord', 'No such request.', { id: advice.id, originalId: advice.requestId });
}
