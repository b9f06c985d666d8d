import { OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelMetrics, registerMetricsRoutes } from '../../src/api/routes/metrics';
import { listen, type RunningServer } from '../../src/http-server';
import { createMetrics, serveMetrics } from '../../src/metrics';
import { createProviderRegistry } from '../../src/providers/registry';
import { createSimulatorApp } from '../../src/providers/simulator/app';

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
    const metrics = createMetrics({ backlog: async () => [{ provider: 'ott', pending: 2, oldestPendingAt: oldest }] });
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
    // The first scrape, counted once answered; the /metrics route is no contract operation.
    expect(text).toContain('switch_channel_requests_total{operation="other",status="200",outcome="ok"} 1');
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
