import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { type ErrorDetail, errorDetail } from '../domain/errors';
import type { ChannelVariables } from './auth';
import { sourceAddress } from './source-address';
import { type TokenBucketOptions, tokenBuckets } from './token-buckets';

type RateLimitEnv = { Variables: Partial<ChannelVariables> };

/** The authenticated channel, or else the peer address. */
export function channelOrAddress(c: Context<RateLimitEnv>): string {
  const clientId = c.get('channel')?.clientId;
  return clientId ? `channel:${clientId}` : `address:${sourceAddress(c)}`;
}

/** The ids contract §1.4 puts in an error: the message's own, and the request an advice refers to. */
async function messageIds(c: Context): Promise<Pick<ErrorDetail, 'id' | 'originalId'>> {
  if (!/json/i.test(c.req.header('content-type') ?? '')) return {};
  const body = (await c.req.json().catch(() => undefined)) as { id?: unknown; requestId?: unknown } | undefined;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return Object.fromEntries(
    Object.entries({ id: text(body?.id), originalId: text(body?.requestId) }).filter(([, value]) => value),
  );
}

/**
 * Refuses a request with 429 and Retry-After when its bucket is empty. Mount it after
 * `authenticateChannel` so each channel has its own bucket; unauthenticated requests share their address's.
 */
export function rateLimit({
  key = channelOrAddress,
  ...buckets
}: TokenBucketOptions & { key?: (c: Context<RateLimitEnv>) => string }) {
  const limiter = tokenBuckets(buckets);
  return createMiddleware<RateLimitEnv>(async (c, next) => {
    const wait = limiter.take(key(c));
    if (wait === 0) return next();
    c.header('Retry-After', String(wait));
    return c.json(errorDetail('rateLimited', `Too many requests; retry in ${wait} s.`, await messageIds(c)), 429);
  });
}
