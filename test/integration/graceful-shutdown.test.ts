import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitForHttp } from '../../scripts/bench/processes';
import { listen, type RunningServer } from '../../src/http-server';
import { createSimulatorApp } from '../../src/providers/simulator/app';
import { eventually } from '../helpers/eventually';
import { basicAuth, demoChannel, type Json, makeProvisionRequest } from '../helpers/fixtures';
import { freePort } from '../helpers/ports';
import { startSwitchProcess } from '../helpers/switch-process';

const sim = createSimulatorApp();
let simulator: RunningServer;
let apiUrl: string;
const children: ChildProcess[] = [];
/** Resolves once the simulator has the next provision: the provider call is then under way. */
let provisionArrived: Promise<void>;
let onProvision = () => {};

/** Starts `src/<path>` as its own process, kept for the clean-up. */
function startProcess(name: string, path: string, env: Record<string, string>, ready: string) {
  const started = startSwitchProcess(name, path, env, ready);
  children.push(started.child);
  return started;
}

/** A POST on a connection of its own (no keep-alive pool), as a channel's terminal would make. */
function post(path: string, body: Json): Promise<{ status: number; body: Json }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${apiUrl}${path}`, {
      method: 'POST',
      agent: false,
      headers: {
        'content-type': 'application/json',
        authorization: basicAuth(demoChannel.clientId, demoChannel.password),
      },
    });
    request.once('error', reject);
    request.once('response', (response) => {
      let text = '';
      response.on('data', (chunk) => {
        text += chunk;
      });
      response.once('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Json }));
    });
    request.end(JSON.stringify(body));
  });
}

let api: ReturnType<typeof startProcess>;
let worker: ReturnType<typeof startProcess>;
/** The worker's own endpoint (`/metrics`, `/live`, `/ready`) and the Temporal SDK's metrics. */
let workerUrl: string;
let sdkMetricsUrl: string;

const probe = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
};

beforeAll(async () => {
  simulator = await listen(
    {
      fetch: (request: Request, env: never) => {
        if (request.method === 'POST' && new URL(request.url).pathname.endsWith('/vouchers')) onProvision();
        return sim.app.fetch(request, env);
      },
    },
    0,
  );
  const [port, metricsPort, sdkMetricsPort] = await Promise.all([freePort(), freePort(), freePort()]);
  apiUrl = `http://127.0.0.1:${port}`;
  workerUrl = `http://127.0.0.1:${metricsPort}`;
  sdkMetricsUrl = `http://127.0.0.1:${sdkMetricsPort}/metrics`;
  const env = {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: `graceful-${randomUUID()}`,
    PROVIDER_SIM_URL: simulator.url,
    PGLITE_DIR: 'memory://',
    LOG_LEVEL: 'info',
  };
  worker = startProcess(
    'worker',
    'worker.ts',
    { ...env, METRICS_PORT: String(metricsPort), TEMPORAL_SDK_METRICS_PORT: String(sdkMetricsPort) },
    'worker running',
  );
  api = startProcess('api', 'server.ts', { ...env, PORT: String(port), ALLOW_PLAIN_HTTP: 'true' }, 'listening');
  await Promise.all([worker.started, api.started]);
  await waitForHttp(`${apiUrl}/health`);
}, 120_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await simulator?.close();
});

describe('the worker as a process', () => {
  it("answers its probes, and serves the Temporal SDK's metrics beside its own", async () => {
    expect(await probe(`${workerUrl}/live`)).toEqual({ status: 200, body: { status: 'LIVE' } });
    expect(await probe(`${workerUrl}/ready`)).toEqual({ status: 200, body: { status: 'READY' } });
    expect((await post('/suv/v1/vouchers', makeProvisionRequest())).status).toBe(201);

    // Awaiting its confirmation, the provision counts as open (read from the reporting copy).
    const own = await eventually(async () => {
      const text = await (await fetch(`${workerUrl}/metrics`)).text();
      return text.includes('switch_open_transactions{type="provision",state="APPROVED"} 1') ? text : undefined;
    });
    expect(own).toContain('switch_dependency_up{dependency="temporal"} 1');
    expect(own).toMatch(
      /switch_provider_request_duration_seconds_count\{provider="flash",operation="provision"\} [1-9]/,
    );
    // The SDK's view inside the worker: what its workflow tasks waited, its slots, its sticky cache.
    const sdk = await (await fetch(sdkMetricsUrl)).text();
    for (const series of [
      'temporal_workflow_task_schedule_to_start_latency_seconds_bucket',
      'temporal_local_activity_execution_latency_seconds_bucket',
      'temporal_worker_task_slots_available',
      'temporal_sticky_cache_size',
    ])
      expect(sdk).toContain(series);
    expect(sdk).toMatch(/temporal_workflow_task_schedule_to_start_latency_seconds_count\{[^}]*\} [1-9]/);
  });
});

describe('SIGTERM to the API and the worker', () => {
  it('refuses new requests, answers the one in flight, lets the provider call finish, and exits 0', async () => {
    // The provider takes three seconds to answer this one.
    sim.behaviours.add({ provider: 'flash', operation: 'provision', mode: 'ok', count: 1, delayMs: 3_000 });
    provisionArrived = new Promise((resolve) => {
      onProvision = resolve;
    });
    const request = makeProvisionRequest();
    const inFlight = post('/suv/v1/vouchers', request);
    inFlight.catch(() => {}); // asserted below; a cut connection must not surface earlier as unhandled
    await provisionArrived;

    api.child.kill('SIGTERM');
    worker.child.kill('SIGTERM');
    await api.saw('stopping');
    // Refused, or (a connection the closing listener had already accepted) reset: never served.
    await expect(post('/suv/v1/vouchers', makeProvisionRequest())).rejects.toMatchObject({
      code: expect.stringMatching(/^ECONN(REFUSED|RESET)$/),
    });
    // Draining: still alive, no longer ready for new work.
    await worker.saw('stopping');
    expect(await probe(`${workerUrl}/live`)).toEqual({ status: 200, body: { status: 'LIVE' } });
    expect(await probe(`${workerUrl}/ready`)).toEqual({ status: 503, body: { status: 'NOT_READY' } });

    const answer = await inFlight;
    expect(answer.status).toBe(201);
    expect(answer.body.voucher).toMatchObject({ code: expect.any(String) });
    expect(await api.exited).toEqual({ code: 0, signal: null });
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    // Asked once, and answered: the worker finished the call rather than abandoning it.
    expect(sim.ledger.filter((e) => e.channelMessageId === request.id)).toEqual([
      expect.objectContaining({ operation: 'provision', outcome: 'ok' }),
    ]);
  }, 60_000);
});
