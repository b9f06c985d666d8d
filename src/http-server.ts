import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves a Hono app (or any fetch handler) over HTTP; port 0 picks a free port. */
export async function listen(
  app: { fetch: (request: Request, env: never) => Response | Promise<Response> },
  port: number,
  hostname = '127.0.0.1',
): Promise<RunningServer> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch as never, port, hostname }, () => resolve(s as Server));
    s.once('error', reject);
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${hostname}:${actual}`,
    port: actual,
    close: () =>
      new Promise((resolve) => {
        // Idle keep-alive and held (simulated timeout) connections would keep close() waiting.
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
