import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Env, Hono, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { errorDetail, errorKinds } from '../../domain/errors';
import { type Metrics, scrape } from '../../metrics';
import { sourceAddress } from '../source-address';

const contractErrorTypes = new Set<string>(Object.values(errorKinds).map((kind) => kind.errorType));

/** Kubernetes' probes, people's health checks and Prometheus's scrapes. */
const notChannelTraffic = new Set(['/live', '/ready', '/health', '/metrics']);

/** `METHOD /hono/:path` → the contract's operationId, for every route the OpenAPI document lists. */
function operationTable(app: Pick<OpenAPIHono, 'openAPIRegistry'>): Map<string, string> {
  const table = new Map<string, string>();
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== 'route' || !definition.route.operationId) continue;
    const { method, path, operationId } = definition.route;
    table.set(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`, operationId);
  }
  return table;
}

/** `ok`, or the answer's ErrorDetail `errorType`, kept to the contract's own (a bounded label set). */
async function outcomeOf(response: Response): Promise<string> {
  if (response.status < 400) return 'ok';
  const body = (await response
    .clone()
    .json()
    .catch(() => undefined)) as { errorType?: unknown } | undefined;
  if (typeof body?.errorType !== 'string') return 'error';
  // A provider's decline carries the provider's own reason, which may be any string.
  return contractErrorTypes.has(body.errorType) ? body.errorType : 'PROVIDER_DECLINED';
}

/**
 * Counts and times every request by the operation of the route it matched, never by its raw path
 * (ids in paths would make the series unbounded); a request that matched no operation is `other`.
 * Register it before the routes, and give it the app whose OpenAPI registry names them.
 */
export function channelMetrics(
  metrics: Pick<Metrics, 'channelRequests' | 'channelDuration'>,
  app: Pick<OpenAPIHono, 'openAPIRegistry'>,
): MiddlewareHandler {
  let operations: Map<string, string> | undefined;
  return async (c, next) => {
    // Probes and scrapes are no channel's traffic: counted, they would dilute the error ratios.
    if (notChannelTraffic.has(c.req.path)) return next();
    const started = performance.now();
    await next();
    // Read on first use, when every route is registered.
    operations ??= operationTable(app);
    // The last route matched is the endpoint, even when a middleware (auth, rate limit) answered first.
    const route = matchedRoutes(c).at(-1);
    const operation = (route && operations.get(`${route.method} ${route.path}`)) ?? 'other';
    metrics.channelDuration.observe({ operation }, (performance.now() - started) / 1000);
    metrics.channelRequests.inc({ operation, status: String(c.res.status), outcome: await outcomeOf(c.res) });
  };
}

export interface MetricsRouteOptions {
  /** Given, a scrape needs credentials it accepts (operators' Basic auth); the metrics carry no secrets. */
  authorize?: (authorization: string | undefined, address?: string) => Promise<boolean>;
}

/** `GET /metrics`: the registry in Prometheus text format. */
export function registerMetricsRoutes<E extends Env>(
  app: Hono<E>,
  metrics: Pick<Metrics, 'registry'>,
  { authorize }: MetricsRouteOptions = {},
) {
  app.get('/metrics', async (c) => {
    if (authorize && !(await authorize(c.req.header('Authorization'), sourceAddress(c)))) {
      c.header('WWW-Authenticate', 'Basic realm="metrics"');
      return c.json(errorDetail('unauthenticated', 'Operator credentials are missing or invalid.'), 401);
    }
    return scrape(metrics.registry);
  });
}
