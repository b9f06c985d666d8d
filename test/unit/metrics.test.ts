import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { channelMetrics, registerMetricsRoutes } from '../../src/api/routes/metrics';
import { errorDetail } from '../../src/domain/errors';
import type { ProviderExchange, ProviderRegistry, VoucherProvider } from '../../src/domain/provider-protocol';
import { providerProfiles } from '../../src/domain/providers';
import { createMetrics, type SafBacklog } from '../../src/metrics';
import { instrumentProviders } from '../../src/providers/instrumented';

const scrapeText = (metrics: ReturnType<typeof createMetrics>) => metrics.registry.metrics();

/** A two-route channel API: a retry answering per its body, and a confirmation. */
function channelApp(metrics: ReturnType<typeof createMetrics>) {
  const app = new OpenAPIHono();
  app.use('*', channelMetrics(metrics, app));
  registerMetricsRoutes(app, metrics);
  const retry = createRoute({
    method: 'post',
    path: '/suv/v1/vouchers/{provisionId}/retry',
    operationId: 'retryProvisionVoucher',
    request: { params: z.object({ provisionId: z.string() }) },
    responses: {
      201: { description: 'provisioned' },
      400: { description: 'refused' },
      404: { description: 'declined' },
    },
  });
  app.openapi(retry, async (c) => {
    const { errorType } = await c.req.json<{ errorType?: string }>();
    if (errorType === 'DO_NOT_HONOR') return c.json({ errorType, errorMessage: 'Do not honour' }, 404);
    if (errorType) return c.json(errorDetail('formatError', 'The message is not valid.'), 400);
    return c.json({ ok: true }, 201);
  });
  return app;
}

const post = (app: OpenAPIHono, path: string, body: unknown) =>
  app.request(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

describe('channelMetrics', () => {
  it("counts each request by the route's operation id, status and outcome, never by the raw path", async () => {
    const metrics = createMetrics({ processMetrics: false });
    const app = channelApp(metrics);
    await post(app, '/suv/v1/vouchers/a1/retry', {});
    await post(app, '/suv/v1/vouchers/b2/retry', {});
    await post(app, '/suv/v1/vouchers/c3/retry', { errorType: 'FORMAT_ERROR' });
    await post(app, '/suv/v1/vouchers/d4/retry', { errorType: 'DO_NOT_HONOR' });
    await post(app, '/suv/v1/nothing-here', {});
    // Probes and scrapes are not channels' traffic: not counted, though these answer 404 here.
    for (const path of ['/live', '/ready', '/health', '/metrics']) await app.request(path);

    const text = await scrapeText(metrics);
    const requests = 'switch_channel_requests_total';
    expect(text).toContain(`${requests}{operation="retryProvisionVoucher",status="201",outcome="ok"} 2`);
    expect(text).toContain(`${requests}{operation="retryProvisionVoucher",status="400",outcome="FORMAT_ERROR"} 1`);
    // A provider's own decline reason is not a label value: providers may send any string.
    expect(text).toContain(`${requests}{operation="retryProvisionVoucher",status="404",outcome="PROVIDER_DECLINED"} 1`);
    expect(text).toContain(`${requests}{operation="other",status="404",outcome="error"} 1`);
    expect(text).toContain('switch_channel_request_duration_seconds_count{operation="retryProvisionVoucher"} 4');
    expect(text).not.toMatch(/a1|b2|c3|d4|nothing-here/);
  });

  it('serves the registry at GET /metrics in the Prometheus text format', async () => {
    const metrics = createMetrics();
    const response = await channelApp(metrics).request('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(metrics.registry.contentType);
    expect(await response.text()).toContain('switch_process_cpu_user_seconds_total');
  });

  it('asks for credentials when told to', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const app = new OpenAPIHono();
    registerMetricsRoutes(app, metrics, { authorize: async (header) => header === 'Basic b3A6b3A=' });
    expect((await app.request('/metrics')).status).toBe(401);
    expect((await app.request('/metrics', { headers: { Authorization: 'Basic b3A6b3A=' } })).status).toBe(200);
  });
});

describe('instrumentProviders', () => {
  const exchange = (durationMs: number, failure?: 'timeout' | 'declined'): ProviderExchange<never> => {
    const trace = { method: 'POST', url: 'http://sim', startedAt: new Date().toISOString(), durationMs };
    if (failure === 'timeout') return { ok: false, failure: { kind: 'timeout', message: 'late' }, trace };
    if (failure === 'declined') return { ok: false, failure: { kind: 'declined', code: 'X', message: 'no' }, trace };
    return { ok: true, value: undefined as never, trace };
  };
  const answers = [exchange(120), exchange(2000, 'timeout'), exchange(40, 'declined')];
  const fake = {
    profile: providerProfiles.flash,
    provision: async () => answers.shift(),
    advise: async () => answers.shift(),
  } as unknown as VoucherProvider;

  it("records each call's duration and its failures, timeouts apart", async () => {
    const metrics = createMetrics({ processMetrics: false });
    const providers = instrumentProviders({ flash: fake } as ProviderRegistry, metrics);
    const options = { deadlineMs: 2000 };
    const order = { reference: 'r', channelMessageId: 'm' };
    const advice = { id: 'a', requestId: 'r', channelMessageId: 'm' };
    expect((await providers.flash.provision(order, options)).ok).toBe(true);
    expect((await providers.flash.provision(order, options)).ok).toBe(false);
    await providers.flash.advise('confirm', advice, options);

    const text = await scrapeText(metrics);
    const duration = 'switch_provider_request_duration_seconds';
    expect(text).toContain(`${duration}_count{provider="flash",operation="provision"} 2`);
    expect(text).toContain(`${duration}_sum{provider="flash",operation="provision"} 2.12`);
    expect(text).toContain(`${duration}_bucket{le="0.25",provider="flash",operation="provision"} 1`);
    expect(text).toContain('switch_provider_timeouts_total{provider="flash",operation="provision"} 1');
    expect(text).toContain('switch_provider_failures_total{provider="flash",operation="provision",kind="timeout"} 1');
    expect(text).toContain('switch_provider_failures_total{provider="flash",operation="confirm",kind="declined"} 1');
    expect(text).not.toContain('switch_provider_timeouts_total{provider="flash",operation="confirm"}');
  });
});

describe('SAF backlog gauges', () => {
  it('reflect the backlog read at each scrape, one read per scrape', async () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    let rows: SafBacklog[] = [
      { provider: 'flash', pending: 3, oldestPendingAt: '2026-01-01T11:58:30Z', refused: 2 },
      { provider: null, pending: 5, oldestPendingAt: '2026-01-01T10:00:00Z', refused: 0 },
    ];
    let reads = 0;
    const backlog = async () => {
      reads += 1;
      return rows;
    };
    const openTransactions = async () => [{ type: 'provision', state: 'APPROVED', count: 7 }];
    const metrics = createMetrics({ reporting: { backlog, openTransactions }, now: () => now, processMetrics: false });

    let text = await scrapeText(metrics);
    expect(reads).toBe(1);
    expect(text).toContain('switch_saf_backlog{provider="flash"} 3');
    expect(text).toContain('switch_saf_oldest_pending_seconds{provider="flash"} 90');
    expect(text).toContain('switch_saf_backlog{provider="ott"} 0');
    expect(text).toContain('switch_saf_refused{provider="flash"} 2');
    expect(text).not.toContain('} 5');
    expect(text).toContain('switch_open_transactions{type="provision",state="APPROVED"} 7');
    expect(text).toContain('switch_open_transactions{type="refund",state="IN_FLIGHT"} 0');

    rows = [{ provider: 'ott', pending: 1, oldestPendingAt: '2026-01-01T11:59:59Z', refused: 0 }];
    text = await scrapeText(metrics);
    expect(reads).toBe(2);
    expect(text).toContain('switch_saf_backlog{provider="flash"} 0');
    expect(text).toContain('switch_saf_oldest_pending_seconds{provider="ott"} 1');
  });

  it('leave the series out, and the scrape whole, when the store cannot be read', async () => {
    const down = () => Promise.reject(new Error('down'));
    const metrics = createMetrics({ reporting: { backlog: down, openTransactions: down }, processMetrics: false });
    const text = await scrapeText(metrics);
    expect(text).not.toMatch(/switch_saf_backlog\{/);
    expect(text).not.toMatch(/switch_open_transactions\{/);
    expect(text).toContain('# TYPE switch_channel_requests_total counter');
  });
});
