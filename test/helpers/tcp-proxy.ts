import { createConnection, createServer, type Socket } from 'node:net';

export type TcpProxy = Awaited<ReturnType<typeof startTcpProxy>>;

type Target = { host: string; port: number };

/**
 * A TCP proxy on a free local port to `target`, to take a server away from its clients and give
 * it back: `cut()` drops every connection and refuses new ones (each is closed as it arrives, so
 * the port stays ours), `restore()` forwards again.
 *
 * Given several targets, it is a round-robin load balancer, as in front of several API
 * instances: each new connection goes to the next target, and one that refuses it (its process
 * is down) is passed over for the next, as a load balancer's health check would.
 */
export async function startTcpProxy(target: Target | Target[]) {
  const targets = Array.isArray(target) ? target : [target];
  const open = new Set<Socket>();
  /** Connections forwarded, by target port: how the load was spread. */
  const forwarded = new Map<number, number>();
  let cut = false;
  let next = 0;

  /** Connects to the targets in turn from the next one, until one accepts. */
  function connectUpstream(client: Socket, tried = 0) {
    if (tried === targets.length) return void client.resetAndDestroy();
    const chosen = targets[next++ % targets.length] as Target;
    const upstream = createConnection(chosen);
    let connected = false;
    // Tracked from the start, so that a cut while it connects ends it too.
    open.add(upstream);
    upstream.once('close', () => open.delete(upstream));
    upstream.on('error', () => {
      if (!connected && !cut && !client.destroyed) connectUpstream(client, tried + 1);
    });
    const dropUpstream = () => upstream.destroy();
    client.once('close', dropUpstream);
    upstream.once('connect', () => {
      connected = true;
      if (cut || client.destroyed) return void upstream.destroy();
      forwarded.set(chosen.port, (forwarded.get(chosen.port) ?? 0) + 1);
      upstream.once('close', () => client.destroy());
      client.pipe(upstream).pipe(client);
      client.resume();
    });
    upstream.once('close', () => {
      // A refused try hands the client on to the next target: only a connected upstream ends it.
      if (!connected) client.off('close', dropUpstream);
    });
  }

  const server = createServer({ pauseOnConnect: true }, (client) => {
    if (cut) return void client.resetAndDestroy();
    open.add(client);
    client.once('close', () => open.delete(client));
    // A reset on one side ends the pair; the error itself is what the other side should see.
    client.on('error', () => undefined);
    connectUpstream(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  return {
    port,
    /** How many connections it has forwarded to the target on `port`. */
    connectionsTo: (targetPort: number) => forwarded.get(targetPort) ?? 0,
    cut() {
      cut = true;
      // A reset, as when the server or the network goes away, not a polite close.
      for (const socket of open) socket.resetAndDestroy();
    },
    restore() {
      cut = false;
    },
    close() {
      this.cut();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
