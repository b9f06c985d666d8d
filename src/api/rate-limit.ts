import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { type ErrorDetail, errorDetail } from '../domain/errors';
import type { ChannelVariables } from './auth';

export interface TokenBucketOptions {
  /** Tokens added per second: the sustained request rate. */
  ratePerSecond: number;
  /** Bucket size: how many requests may come at once after a quiet spell. */
  burst: number;
  /** Buckets kept at most; beyond that the least recently used goes (and its key starts full again). */
  maxBuckets?: number;
  /** Milliseconds on a monotonic clock; tests pass a fake one. */
  now?: () => number;
}

/** A token bucket per key. */
export function tokenBuckets({
  ratePerSecond,
  burst,
  maxBuckets = 10_000,
  now = () => performance.now(),
}: TokenBucketOptions) {
  // A bucket untouched this long is full again, the same as no bucket at all: it can be dropped.
  const refillMs = (burst / ratePerSecond) * 1000;
  const buckets = new Map<string, { tokens: number; at: number }>(); // least recently used first
  return {
    /** Takes a token for `key`: 0 when granted, otherwise the whole seconds until one is there. */
    take(key: string): number {
      const at = now();
      for (const [idle, bucket] of buckets) {
        if (at - bucket.at < refillMs && (buckets.size < maxBuckets || buckets.has(key))) break;
        buckets.delete(idle);
      }
      const bucket = buckets.get(key);
      const elapsed = bucket ? Math.max(0, at - bucket.at) : refillMs;
      const tokens = Math.min(burst, (bucket?.tokens ?? 0) + (elapsed * ratePerSecond) / 1000);
      const granted = tokens >= 1;
      buckets.delete(key);
      buckets.set(key, { tokens: granted ? tokens - 1 : tokens, at });
      return granted ? 0 : Math.ceil((1 - tokens) / ratePerSecond);
    },
    get size() {
      return buckets.size;
    },
  };
}

type RateLimitEnv = { Variables: Partial<ChannelVariables> };

/** The authenticated channel, or else the peer address (not X-Forwarded-For, which the client writes). */
export function channelOrAddress(c: Context<RateLimitEnv>): string {
  const clientId = c.get('channel')?.clientId;
  if (clientId) return `channel:${clientId}`;
  try {
    return `address:${getConnInfo(c).remote.address ?? 'unknown'}`;
  } catch {
    return 'address:unknown'; // not served by @hono/node-server, as with app.request in tests
  }
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
