import { OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelMetrics, registerMetricsRoutes } from '../../src/api/routes/metrics';
import { listen, type RunningServer } from '../../src/http-server';
import { createMetrics, serveMetrics } from '../../src/metrics';
import { createProviderRegistry } from '../../src/providers/registry';
import { createSimulatorApp } from '../../src/providers/simulator/app';
import { eventually } from '../helpers/eventually';
import { makeAdvice, makeProvisionRequest } from '../helpers/fixtures';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';

const servers: RunningServer[] = [];
let sim: ReturnType<typeof createSimulatorApp>;
let simulatorUrl: string;

beforeAll(async () => {
  sim = createSimulatorApp();
  const simulator = await listen(sim.app, 0);
  servers.push(simulator);
  simulatorUrl = simulator.url;
});
afterAll(() => Promise.all(servers.map((server) => server.close())));

async function scrapeOver(url: string) {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

describe('GET /metrics', () => {
  it('shows provider timeouts and latencies, SAF backlog and channel requests, scraped over HTTP', async () => {
    const oldest = new Date(Date.now() - 60_000).toISOString();
    const metrics = createMetrics({
      reporting: {
        backlog: async () => [{ provider: 'ott', pending: 2, oldestPendingAt: oldest, refused: 0 }],
        openTransactions: async () => [],
      },
    });
    const providers = createProviderRegistry({ baseUrl: simulatorUrl, metrics });
    sim.behaviours.add({ provider: 'flash', operation: 'provision', mode: 'timeout', delayMs: 2_000, count: 1 });

    const order = { reference: 'metrics-ref-1', channelMessageId: 'metrics-msg-1', productId: 'flash-1voucher' };
    const timedOut = await providers.flash.provision(order, { deadlineMs: 200 });
    expect(timedOut.ok || timedOut.failure.kind).toBe('timeout');
    expect((await providers.ott.products({ deadlineMs: 2_000 })).ok).toBe(true);

    const app = new OpenAPIHono();
    app.use('*', channelMetrics(metrics, app));
    registerMetricsRoutes(app, metrics);
    const api = await listen(app, 0);
    servers.push(api);
    await scrapeOver(api.url);
    const text = await scrapeOver(api.url);

    expect(text).toContain('switch_provider_timeouts_total{provider="flash",operation="provision"} 1');
    expect(text).toContain('switch_provider_failures_total{provider="flash",operation="provision",kind="timeout"} 1');
    expect(text).toContain('switch_provider_request_duration_seconds_count{provider="flash",operation="provision"} 1');
    expect(text).toContain('switch_provider_request_duration_seconds_count{provider="ott",operation="products"} 1');
    expect(text).toContain('switch_saf_backlog{provider="ott"} 2');
    expect(text).toMatch(/switch_saf_oldest_pending_seconds\{provider="ott"\} 6\d/);
    // Scrapes (and probes) are no channel's traffic: the two scrapes are not counted.
    expect(text).not.toMatch(/switch_channel_requests_total\{/);
    expect(text).toContain('switch_process_resident_memory_bytes');
  });

  it("serves the worker's registry on a port of its own", async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.providerTimeouts.inc({ provider: 'yoyo', operation: 'redeem' });
    const server = await serveMetrics(metrics.registry, 0, '127.0.0.1');
    servers.push(server);
    expect(await scrapeOver(server.url)).toContain(
      'switch_provider_timeouts_total{provider="yoyo",operation="redeem"} 1',
    );
    expect((await fetch(`${server.url}/`)).status).toBe(404);
  });
});

describe('GET /metrics of a running switch', () => {
  let sw: TestSwitch;
  beforeAll(async () => {
    sw = await startTestSwitch({ PROVIDER_DEADLINES: 'flash:1000' });
  });
  afterAll(() => sw?.stop());

  /** The value of one series, or undefined while it does not exist. */
  async function series(name: string, labels: string) {
    const text = await scrapeOver(sw.url);
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  it('counts channel requests by operation and outcome, and the provider leg', async () => {
    expect((await sw.post('/suv/v1/vouchers', makeProvisionRequest())).status).toBe(201);
    await sw.simulator.behave({ provider: 'flash', operation: 'provision', mode: 'decline', count: 1 });
    expect((await sw.post('/suv/v1/vouchers', makeProvisionRequest())).status).toBe(404);

    expect(
      await series('switch_channel_requests_total', 'operation="provisionVoucher",status="201",outcome="ok"'),
    ).toBe(1);
    expect(
      await series(
        'switch_channel_requests_total',
        'operation="provisionVoucher",status="404",outcome="PROVIDER_DECLINED"',
      ),
    ).toBe(1);
    expect(
      await series('switch_provider_request_duration_seconds_count', 'provider="flash",operation="provision"'),
    ).toBe(2);
  });

  it('counts provider timeouts, and shows the SAF backlog while the provider is down', async () => {
    await sw.simulator.behave({ provider: 'flash', operation: 'provision', mode: 'timeout', count: 1, delayMs: 3_000 });
    expect((await sw.post('/suv/v1/vouchers', makeProvisionRequest())).status).toBe(504);
    expect(await series('switch_provider_timeouts_total', 'provider="flash",operation="provision"')).toBe(1);

    await sw.simulator.behave({ provider: 'flash', operation: 'confirm', mode: 'down' });
    const request = makeProvisionRequest();
    expect((await sw.post('/suv/v1/vouchers', request)).status).toBe(201);
    expect((await sw.post('/suv/v1/vouchers/confirmations', makeAdvice(request.id as string))).status).toBe(202);
    expect(
      await eventually(async () => ((await series('switch_saf_backlog', 'provider="flash"')) ?? 0) >= 1 || undefined),
    ).toBe(true);
    expect(await series('switch_saf_oldest_pending_seconds', 'provider="flash"')).toBeGreaterThanOrEqual(0);
    await sw.simulator.reset();
  });
});
