import { randomUUID } from 'node:crypto';
import { DefaultLogger, Runtime, type WorkflowBundle } from '@temporalio/worker';
import { inject } from 'vitest';
import { hashSecret } from '../../src/api/credentials';
import { loadConfig } from '../../src/config';
import { openReportingStore } from '../../src/db/client';
import { reportingFigures } from '../../src/db/queries/operations';
import { listen } from '../../src/http-server';
import { createLogger } from '../../src/log';
import { createMetrics } from '../../src/metrics';
import { createSimulatorApp, type LedgerEntry } from '../../src/providers/simulator/app';
import type { Behaviour } from '../../src/providers/simulator/behaviours';
import { type RunningWorker, startApi, startWorker } from '../../src/runtime';
import { type ClientTls, httpsFetch } from './certificates';
import { basicAuth, demoChannel, type Json } from './fixtures';

let runtimeInstalled = false;
let bundle: Promise<WorkflowBundle> | undefined;

/** The run's workflow bundle (built by the global set-up), with the SDK's runtime installed quietly. */
export function workflowBundle(): Promise<WorkflowBundle> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtimeInstalled = true;
  }
  bundle ??= Promise.resolve({ code: inject('workflowBundleCode') });
  return bundle;
}

export type TestSwitch = Awaited<ReturnType<typeof startTestSwitch>>;

const hashes = new Map<string, string>();

/**
 * `SWITCH_CHANNELS` as tests write it, `clientId:password[:…]`, in the stored form the switch
 * reads, `clientId:secretHash[:…]`. Hashes are kept per password: scrypt is slow on purpose.
 */
export function channelList(plain: string): string {
  return plain
    .split(',')
    .map((entry) => {
      const [clientId, password = '', ...rest] = entry.split(':');
      if (!hashes.has(password)) hashes.set(password, hashSecret(password));
      return [clientId, hashes.get(password), ...rest].join(':');
    })
    .join(',');
}

/** The settings every test switch and test app share, with the test's own `env` over them. */
export function testSettings(env: Record<string, string>): Record<string, string> {
  return {
    PGLITE_DIR: 'memory://',
    LOG_LEVEL: 'silent',
    ALLOW_PLAIN_HTTP: 'true',
    // Every test comes from 127.0.0.1, and some send wrong passwords on purpose: the login guard's
    // own tests set its limits.
    LOGIN_ATTEMPTS_PER_SECOND: '1000',
    LOGIN_ATTEMPT_BURST: '1000',
    LOGIN_HASHES_PER_SECOND: '1000',
    LOGIN_HASH_BURST: '1000',
    LOGIN_FAILURES_BEFORE_BACKOFF: '1000',
    ...env,
    SWITCH_CHANNELS: channelList(env.SWITCH_CHANNELS ?? '22222222:password:dual,55555555:secret:dual:stellr'),
  };
}

/**
 * A whole switch on real parts: the provider simulator over HTTP, a worker and the channel API
 * on free ports, an in-memory PGlite reporting store, and the run's Temporal dev server.
 * The API is plain HTTP unless `env` configures TLS; then pass `client` (the CA to trust, and a
 * client certificate if any) for `post` and `get` to speak HTTPS.
 */
export async function startTestSwitch(env: Record<string, string> = {}, client?: ClientTls) {
  const address = env.TEMPORAL_ADDRESS ?? inject('temporalAddress');
  const sim = createSimulatorApp();
  const simulator = await listen(sim.app, 0);
  const config = loadConfig(
    {
      PORT: '0',
      PROVIDER_SIM_URL: simulator.url,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
      ...testSettings(env),
    },
    { servesApi: true },
  );
  const reporting = await openReportingStore(config.database);
  // One registry for the worker and the API, as under `npm run dev`.
  const metrics = createMetrics({ reporting: reportingFigures(reporting.db), processMetrics: false });
  const workflowSource = { workflowBundle: await workflowBundle() };
  let worker: RunningWorker | undefined = await startWorker(config, address, reporting, workflowSource, metrics);
  // API_WORKER: the API starts its transactions eagerly on this worker, over its connection.
  const inApi = config.worker.inApi ? worker : undefined;
  const api = await startApi(config, address, reporting, createLogger('silent', 'api'), metrics, undefined, inApi);
  const url = api.server.url;
  const send = (path: string, init: { method?: string; headers: Record<string, string>; body?: string }) =>
    client ? httpsFetch(`${url}${path}`, init, client) : fetch(`${url}${path}`, init);

  return {
    url,
    config,
    client: api.client,
    auth: basicAuth,
    reporting,
    /** POSTs a channel message as the demo channel (or the given credentials). */
    async post(path: string, body: Json | string, auth = basicAuth(demoChannel.clientId, demoChannel.password)) {
      const response = await send(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: auth },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: response.status, headers: response.headers, body: (await response.json()) as Json };
    },
    async get(path: string, auth = basicAuth(demoChannel.clientId, demoChannel.password)) {
      const response = await send(path, { headers: { authorization: auth } });
      return { status: response.status, body: (await response.json()) as Json };
    },
    simulator: {
      url: simulator.url,
      /** Resolves once the simulator has received a matching message, before it answers it. */
      received: sim.received,
      async behave(behaviour: Behaviour) {
        const response = await fetch(`${simulator.url}/sim/behaviours`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(behaviour),
        });
        if (response.status !== 204) throw new Error(`simulator refused ${JSON.stringify(behaviour)}`);
      },
      async reset() {
        await fetch(`${simulator.url}/sim/behaviours`, { method: 'DELETE' });
      },
      async ledger(filter: Partial<Record<'provider' | 'id' | 'channelMessageId', string>> = {}) {
        const response = await fetch(`${simulator.url}/sim/ledger?${new URLSearchParams(filter)}`);
        return ((await response.json()) as { entries: LedgerEntry[] }).entries;
      },
    },
    /** The switch's worker, which a test may stop (nothing then runs the workflows) and start again. */
    worker: {
      async stop() {
        await worker?.stop();
        worker = undefined;
      },
      async start() {
        worker ??= await startWorker(config, address, reporting, workflowSource, metrics);
      },
    },
    async stop() {
      await api.stop();
      await worker?.stop();
      await reporting.close();
      await simulator.close();
    },
  };
}
