import type { Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { TlsSettings } from './tls';

export interface CloseOptions {
  /**
   * How long requests in flight may take to finish after the server stops taking connections;
   * then every connection is closed. 0 (the default): closed at once, held connections too.
   */
  graceMs?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  /** Stops taking connections, lets requests in flight finish within `graceMs`, and closes the rest. */
  close(options?: CloseOptions): Promise<void>;
}

/**
 * Serves a Hono app (or any fetch handler) over HTTP, or over HTTPS when given `tls`;
 * port 0 picks a free port.
 */
export async function listen(
  app: { fetch: (request: Request, env: never) => Response | Promise<Response> },
  port: number,
  hostname = '127.0.0.1',
  tls?: Pick<TlsSettings, 'cert' | 'key' | 'ca' | 'minVersion'>,
): Promise<RunningServer> {
  const secure = tls && {
    createServer: createHttpsServer,
    serverOptions: {
      cert: tls.cert,
      key: tls.key,
      minVersion: tls.minVersion,
      // Mutual TLS: ask for a client certificate but serve requests without a valid one, which
      // must then authenticate with credentials; `socket.authorized` tells the two apart.
      ...(tls.ca && { ca: tls.ca, requestCert: true, rejectUnauthorized: false }),
    },
  };
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch as never, port, hostname, ...secure }, () => resolve(s as Server));
    s.once('error', reject);
  });
  const actual = (server.address() as AddressInfo).port;
  // Responses not yet sent; once closing, each one ends its connection instead of keeping it alive.
  const unanswered = new Set<ServerResponse>();
  let closing = false;
  server.on('request', (_request, response: ServerResponse) => {
    if (closing) response.setHeader('connection', 'close');
    unanswered.add(response);
    response.once('finish', () => unanswered.delete(response));
    response.once('close', () => unanswered.delete(response));
  });
  return {
    url: `${tls ? 'https' : 'http'}://${hostname}:${actual}`,
    port: actual,
    close: ({ graceMs = 0 } = {}) =>
      new Promise((resolve) => {
        closing = true;
        const force = graceMs > 0 ? setTimeout(() => server.closeAllConnections(), graceMs) : undefined;
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        for (const response of unanswered) if (!response.headersSent) response.setHeader('connection', 'close');
        // Idle keep-alive connections would keep close() waiting, and held ones (a simulated
        // timeout) too: those are given the grace, if any.
        server.closeIdleConnections();
        if (!force) server.closeAllConnections();
      }),
  };
}
