import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../deps';

const status = z.enum(['UP', 'DOWN']);
const healthBody = z
  .object({
    status: z.enum(['UP', 'DEGRADED', 'DOWN']).openapi({
      description:
        'UP: both reachable. DEGRADED: transactions go on, but the reporting copy (operator lookups, reports) is behind. DOWN: Temporal unreachable, no transaction can be taken.',
    }),
    temporal: status,
    reportingStore: status,
  })
  .openapi('Health');
const probeBody = (name: string, states: [string, ...string[]]) => z.object({ status: z.enum(states) }).openapi(name);
const liveBody = probeBody('Liveness', ['LIVE']);
const readyBody = probeBody('Readiness', ['READY', 'NOT_READY']);
const json = <T extends z.ZodType>(description: string, schema: T) => ({
  description,
  content: { 'application/json': { schema } },
});

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  operationId: 'health',
  summary: 'What the switch can reach: Temporal and its reporting store, for people and dashboards',
  responses: {
    200: json('Temporal reachable; the reporting store may not be (DEGRADED)', healthBody),
    503: json('Temporal unreachable', healthBody),
  },
});

const liveRoute = createRoute({
  method: 'get',
  path: '/live',
  operationId: 'live',
  summary: 'Liveness probe: the process answers. Never depends on another service, so it never restarts for one.',
  responses: { 200: json('The process is not stuck', liveBody) },
});

const readyRoute = createRoute({
  method: 'get',
  path: '/ready',
  operationId: 'ready',
  summary:
    'Readiness probe: the switch can take transactions now, that is, Temporal answers. The reporting store does not count: transactions go on without it.',
  responses: {
    200: json('Ready for transactions', readyBody),
    503: json('Temporal unreachable: send transactions elsewhere', readyBody),
  },
});

const check = (probe: () => Promise<void>) =>
  probe().then(
    () => 'UP' as const,
    () => 'DOWN' as const,
  );

export function registerHealthRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(healthRoute, async (c) => {
    const { health } = c.get('deps');
    const [temporal, reportingStore] = await Promise.all([check(health.temporal), check(health.reportingStore)]);
    if (temporal === 'DOWN') return c.json({ status: 'DOWN' as const, temporal, reportingStore }, 503);
    return c.json(
      { status: reportingStore === 'UP' ? ('UP' as const) : ('DEGRADED' as const), temporal, reportingStore },
      200,
    );
  });
  app.openapi(liveRoute, (c) => c.json({ status: 'LIVE' as const }, 200));
  app.openapi(readyRoute, async (c) =>
    (await check(c.get('deps').health.temporal)) === 'UP'
      ? c.json({ status: 'READY' as const }, 200)
      : c.json({ status: 'NOT_READY' as const }, 503),
  );
}
