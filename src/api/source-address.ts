import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Networks } from './networks';

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
