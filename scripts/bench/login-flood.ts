import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { hashSecret } from '../../src/api/credentials';
import { freePort } from '../../test/helpers/ports';
import { figures, type LoadFigures } from './load';
import { startNode, waitForHttp } from './processes';

/**
 * The login flood (the security review's hole 2): the first logins of other channels, one by one,
 * while one channel's id takes a flood of wrong passwords from another address. Each first login
 * costs a password hash; so would each wrong password, without the login guard.
 */

export interface LoginFloodFigures {
  /** The guard as configured (`on`), or its limits so high that it never acts (`off`: the switch before it). */
  guard: 'on' | 'off';
  firstLogins: LoadFigures;
  flood: { requests: number; refusedBeforeHashing: number; perSecond: number };
}

const floodLanes = 64;
const firstLogins = 40;
const loginEveryMs = 250;
const password = 'bench-password';

export async function loginFlood(options: {
  guard: 'on' | 'off';
  temporalAddress: string;
  simulatorUrl: string;
  dir: string;
}): Promise<LoginFloodFigures> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const hash = hashSecret(password);
  const channels = ['flooded', ...Array.from({ length: firstLogins }, (_, i) => `first-${i}`)];
  const unguarded = {
    LOGIN_HASHES_PER_SECOND: '1000000',
    LOGIN_HASH_BURST: '1000000',
    LOGIN_ATTEMPTS_PER_SECOND: '1000000',
    LOGIN_ATTEMPT_BURST: '1000000',
    LOGIN_HASH_CONCURRENCY: '1000000',
    LOGIN_FAILURES_BEFORE_BACKOFF: '1000000',
  };
  const api = startNode(`api-login-${options.guard}`, 'src/server.ts', {
    TEMPORAL_ADDRESS: options.temporalAddress,
    PROVIDER_SIM_URL: options.simulatorUrl,
    PGLITE_DIR: join(options.dir, `login-${options.guard}`),
    PORT: String(port),
    ALLOW_PLAIN_HTTP: 'true',
    RATE_LIMIT_PER_SECOND: '0',
    LOG_LEVEL: 'warn',
    SWITCH_CHANNELS: channels.map((id) => `${id}:${hash}:dual`).join(','),
    ...(options.guard === 'off' ? unguarded : {}),
  });
  const attacker = new Agent({ localAddress: '127.0.0.2', connections: floodLanes });
  // Each channel from a host of its own, as channels are; the warm-up from yet another.
  const hosts = Array.from({ length: firstLogins + 1 }, (_, i) => new Agent({ localAddress: `127.0.1.${i + 1}` }));
  const [warmer, ...channelHosts] = hosts as [Agent, ...Agent[]];
  const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
  const products = (dispatcher: Agent, authorization: string) =>
    request(`${url}/suv/v1/products`, { dispatcher, headers: { authorization } }).then(async (answer) => {
      await answer.body.dump();
      return answer.statusCode;
    });
  try {
    await waitForHttp(`${url}/health`);
    // Warm: the product catalogue is fetched on the first authenticated request.
    await products(warmer, basic('flooded', password));
    let floodRequests = 0;
    let refused = 0;
    let flooding = true;
    const floodStarted = performance.now();
    const flood = Array.from({ length: floodLanes }, async () => {
      while (flooding) {
        const status = await products(attacker, basic('flooded', `guess-${floodRequests}`)).catch(() => 0);
        floodRequests += 1;
        if (status === 429) refused += 1;
      }
    });
    await sleep(1_000); // the flood is under way
    const latencies: number[] = [];
    const errors: string[] = [];
    const started = performance.now();
    for (let i = 0; i < firstLogins; i++) {
      const due = started + i * loginEveryMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const sent = performance.now();
      const status = await products(channelHosts[i] as Agent, basic(`first-${i}`, password)).catch(
        (error: Error) => error.message,
      );
      latencies.push(performance.now() - sent);
      if (status !== 200) errors.push(`first login of first-${i}: ${status}`);
    }
    const seconds = (performance.now() - started) / 1000;
    flooding = false;
    await Promise.all(flood);
    const floodSeconds = (performance.now() - floodStarted) / 1000;
    return {
      guard: options.guard,
      firstLogins: figures(latencies, errors, seconds),
      flood: {
        requests: floodRequests,
        refusedBeforeHashing: refused,
        perSecond: Math.round(floodRequests / floodSeconds),
      },
    };
  } finally {
    api.kill('SIGTERM');
    await new Promise((resolve) => api.once('exit', resolve));
    await Promise.all([attacker, ...hosts].map((agent) => agent.close()));
  }
}
