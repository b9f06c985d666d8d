import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';
import { type Span, SpanStatusCode, spanAttributes } from '../telemetry/spans';
import type { AppEnv } from './deps';

/**
 * Names a request's span after the route it matched, never after its raw path (which may hold
 * ids), and adds what the switch learnt of the request: its channel and its transaction.
 */
export function describeRequestSpan(span: Span, c: Context<AppEnv>): void {
  const route = matchedRoutes(c).at(-1)?.path ?? 'unmatched';
  span.updateName(`${c.req.method} ${route}`);
  span.setAttributes({
    'http.request.method': c.req.method,
    'http.route': route,
    'http.response.status_code': c.res.status,
  });
  const channel = c.get('channel');
  if (channel) span.setAttribute(spanAttributes.channelId, channel.clientId);
  const transaction = c.get('transaction');
  if (transaction)
    span.setAttributes({
      [spanAttributes.transactionId]: transaction.transactionId,
      [spanAttributes.messageId]: transaction.messageId,
    });
  if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
}
