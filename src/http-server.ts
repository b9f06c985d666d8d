import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { TlsSettings } from './tls';

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
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
  return {
    url: `${tls ? 'https' : 'http'}://${hostname}:${actual}`,
    port: actual,
    close: () =>
      new Promise((resolve) => {
        // Idle keep-alive and held (simulated timeout) connections would keep close() waiting.
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
