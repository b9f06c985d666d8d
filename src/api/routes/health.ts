import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../deps';

const status = z.enum(['UP', 'DOWN']);
const healthBody = z.object({ status, temporal: status, reportingStore: status }).openapi('Health');

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  operationId: 'health',
  summary: 'Whether the switch can reach Temporal and its reporting store',
  responses: {
    200: { description: 'Both reachable', content: { 'application/json': { schema: healthBody } } },
    503: { description: 'One or both unreachable', content: { 'application/json': { schema: healthBody } } },
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
    const up = temporal === 'UP' && reportingStore === 'UP';
    return c.json({ status: up ? ('UP' as const) : ('DOWN' as const), temporal, reportingStore }, up ? 200 : 503);
  });
}
