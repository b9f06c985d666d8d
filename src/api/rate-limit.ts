import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { type ErrorDetail, errorDetail } from '../domain/errors';
import type { ChannelVariables } from './auth';
import type { Networks } from './networks';

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

/** The TCP peer's address. */
function peerAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // not served by @hono/node-server, as with app.request in tests
  }
}

const sourceAddresses = new WeakMap<Request, string>();

/**
 * Notes each request's source address once: the TCP peer, or when the peer is a trusted proxy,
 * the nearest address in X-Forwarded-For that is not one (the client writes the rest of it).
 */
export function noteSourceAddress(trustedProxies: Networks | undefined) {
  return createMiddleware(async (c, next) => {
    const peer = peerAddress(c);
    const forwarded = trustedProxies?.contains(peer)
      ? (c.req.header('x-forwarded-for') ?? '')
          .split(',')
          .map((hop) => hop.trim())
          .filter(Boolean)
          .reverse()
          .find((hop) => !trustedProxies.contains(hop))
      : undefined;
    sourceAddresses.set(c.req.raw, forwarded ?? peer);
    await next();
  });
}

/** The address the request comes from, as `noteSourceAddress` noted it; the TCP peer otherwise. */
export function sourceAddress(c: Context): string {
  return sourceAddresses.get(c.req.raw) ?? peerAddress(c);
}

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
