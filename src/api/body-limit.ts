import type { IncomingMessage } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit as webBodyLimit } from 'hono/body-limit';

/**
 * A request body of at most `maxSize` bytes, or `onTooLarge`'s answer before any route reads it.
 *
 * Served by @hono/node-server, the body is read straight from Node's request and kept as the
 * request's text: reading it through the WHATWG `Request` that Hono would otherwise build (a web
 * stream over the Node stream) cost the API several percent of its CPU per message. The text is
 * decoded as `Request.text()` decodes it (UTF-8, a leading byte-order mark dropped, invalid
 * sequences replaced), and every later `c.req.text()` or `c.req.json()` reads it. Under
 * `app.request()` (tests) there is no Node request, and Hono's own limit reads the web one.
 */
export function bodyLimit(
  maxSize: number,
  onTooLarge: (c: Context) => Response | Promise<Response>,
): MiddlewareHandler {
  const onWebRequest = webBodyLimit({ maxSize, onError: onTooLarge });
  return async (c, next) => {
    const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
    // Read already (through the web request), it can only be read there again.
    if (!incoming || incoming.readableDidRead) return onWebRequest(c, next);
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const declared = Number(incoming.headers['content-length'] ?? 0);
    // A declared length is checked before anything is read (Node's parser holds the body to it).
    if (incoming.headers['transfer-encoding'] === undefined && declared > maxSize) return onTooLarge(c);
    const body = await readUpTo(incoming, maxSize);
    if (body === undefined) return onTooLarge(c);
    // Hono keeps each body as the promise of it, though its type names the value.
    c.req.bodyCache.text = Promise.resolve(utf8.decode(body)) as unknown as string;
    return next();
  };
}

const utf8 = new TextDecoder();

/** The request's body, or undefined once it passes `maxSize` bytes (the rest is left unread). */
function readUpTo(incoming: IncomingMessage, maxSize: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (outcome: () => void) => {
      incoming.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      outcome();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxSize) {
        chunks.push(chunk);
        return;
      }
      incoming.pause();
      settle(() => resolve(undefined));
    };
    const onEnd = () => settle(() => resolve(Buffer.concat(chunks, size)));
    const onError = (error: Error) => settle(() => reject(error));
    const onClose = () => settle(() => reject(new Error('the request was closed before its body ended')));
    incoming.on('data', onData).once('end', onEnd).once('error', onError).once('close', onClose);
  });
}
