import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { type ErrorKind, errorDetail, errorKinds, SwitchError } from '../domain/errors';
import { maxJsonDepth } from '../domain/json-text';
import { inSpan, linkToIncomingTrace, SpanKind } from '../telemetry/spans';
import { SwitchBusy } from './admission';
import { authenticateChannel } from './auth';
import { bodyLimit } from './body-limit';
import { registerConsoleRoutes } from './console';
import type { AppDeps, AppEnv } from './deps';
import { errorIds, invalidMessage } from './format-errors';
import { inputGuard } from './input-guard';
import { LoginThrottled } from './login-guard';
import { rateLimit } from './rate-limit';
import { describeRequestSpan } from './request-span';
import { registerBackOfficeRoutes } from './routes/back-office';
import { registerCodecRoutes } from './routes/codec';
import { type JsonSchema, type OpenApiDocument, registerDocsRoutes } from './routes/docs';
import { registerHealthRoutes } from './routes/health';
import { channelMetrics, registerMetricsRoutes } from './routes/metrics';
import { operatorsOnly, registerOpsRoutes, sameSiteOnly } from './routes/ops';
import { registerProductRoutes } from './routes/products';
import { maxProviderFileBytes, providerFilePath, registerReconciliationRoutes } from './routes/reconciliations';
import { registerReportRoutes } from './routes/reports';
import { lookupVoucherQuery, registerVoucherLookupRoutes } from './routes/voucher-lookup';
import { registerVoucherUseRoutes } from './routes/voucher-uses';
import { registerVoucherRoutes } from './routes/vouchers';
import { noteSourceAddress } from './source-address';
import { TemporalTooSlow } from './transactions';

const maxBodyBytes = 64 * 1024;

/** The body as JSON, or undefined when there is none or it is not JSON. */
const readJson = (c: Context) => c.req.json<unknown>().catch(() => undefined);

/**
 * The responses this file's middleware adds to every operation, so that the document names every
 * status the switch can answer with: the input guard and the body limit refuse before any route runs.
 */
function withGuardResponses(document: OpenApiDocument): OpenApiDocument {
  const errorBody = { content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorDetail' } } } };
  const tooLarge = (path: string) => ({
    description: `FORMAT_ERROR: the body exceeds ${path === providerFilePath ? maxProviderFileBytes : maxBodyBytes} bytes`,
    ...errorBody,
  });
  const unreadable = {
    description: `FORMAT_ERROR: a NUL character or an unpaired surrogate in the message, or a body nested deeper than ${maxJsonDepth} levels`,
    ...errorBody,
  };
  const throttled = {
    description:
      'GENERAL_ERROR: too many requests, or login attempts, or a new transaction while the switch is at capacity; nothing was done, Retry-After says when to try again',
    ...errorBody,
  };
  const notFromHere = {
    description: "AUTHENTICATION_ERROR: the request's address is not among the channel's allowed networks",
    ...errorBody,
  };
  const crossSite = { description: "AUTHENTICATION_ERROR: sent from another site's page (its Origin)", ...errorBody };
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      operation.responses = { 400: unreadable, ...operation.responses };
      if (operation.requestBody) operation.responses = { ...operation.responses, 413: tooLarge(path) };
      if (operation.security?.length) operation.responses = { ...operation.responses, 429: throttled };
      if (path.startsWith('/suv/')) operation.responses = { ...operation.responses, 403: notFromHere };
      if (path.startsWith('/ops/') && method === 'post')
        operation.responses = { ...operation.responses, 403: crossSite };
    }
  }
  return document;
}

/** The input guard's rule on text, as a JSON Schema pattern: no NUL character. */
const noNul = '^[^\\u0000]*$';

/**
 * States the input guard's rules on text in the document, where a schema-driven client looks:
 * every free string gets the `noNul` pattern, and every free-form object (`additionalProperties: {}`)
 * holds `JsonValue`s, whose strings have it too.
 */
function withTextRules(document: OpenApiDocument): OpenApiDocument {
  const jsonValue = { $ref: '#/components/schemas/JsonValue' };
  const visit = (schema: unknown): void => {
    if (Array.isArray(schema)) {
      for (const item of schema) visit(item);
      return;
    }
    if (typeof schema !== 'object' || schema === null) return;
    const node = schema as JsonSchema;
    const free = (type: unknown) => type === 'string' || (Array.isArray(type) && type.includes('string'));
    if (free(node.type) && node.pattern === undefined && node.format === undefined && node.enum === undefined) {
      node.pattern = noNul;
    }
    if (typeof node.additionalProperties === 'object' && Object.keys(node.additionalProperties).length === 0) {
      node.additionalProperties = jsonValue;
      node.propertyNames = { pattern: noNul };
    }
    for (const value of Object.values(node)) visit(value);
  };
  visit(document.paths);
  visit(document.components?.schemas);
  document.components = {
    ...document.components,
    schemas: {
      ...document.components?.schemas,
      JsonValue: {
        description: 'Any JSON value; its strings hold no NUL character',
        anyOf: [
          { type: 'string', pattern: noNul },
          { type: ['number', 'boolean', 'null'] },
          { type: 'array', items: jsonValue },
          { type: 'object', additionalProperties: jsonValue, propertyNames: { pattern: noNul } },
        ],
      },
    },
  };
  return document;
}

/**
 * A query that must name at least one of some parameters: OpenAPI can state that only of one
 * object parameter (form style, exploded, so the query string is the same), so the operation's
 * query parameters become the properties of one, with the rule as `anyOf`.
 */
function withOneOfQuery(
  document: OpenApiDocument,
  { path, method, oneOf }: { path: string; method: string; oneOf: readonly string[] },
): OpenApiDocument {
  const operation = document.paths?.[path]?.[method];
  if (!operation?.parameters) return document;
  const query = operation.parameters.filter((parameter) => parameter.in === 'query');
  operation.parameters = [
    ...operation.parameters.filter((parameter) => parameter.in !== 'query'),
    {
      name: 'query',
      in: 'query',
      required: true,
      style: 'form',
      explode: true,
      schema: {
        type: 'object',
        properties: Object.fromEntries(query.map((parameter) => [parameter.name, parameter.schema ?? {}])),
        // Others are ignored, as JAX-RS does, but are no part of the interface.
        additionalProperties: false,
        anyOf: oneOf.map((name) => ({ required: [name] })),
      },
    },
  ];
  return document;
}

/** The methods routed for a path, so that another method is answered 405 with `Allow`, not 404. */
function allowedMethods(routes: readonly { method: string; path: string }[]) {
  const patterns = routes
    .filter((route) => route.method !== 'ALL')
    .map((route) => {
      const segments = route.path
        .split('/')
        .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      return { method: route.method, pattern: new RegExp(`^${segments.join('/')}$`) };
    });
  return (path: string) => {
    const methods = new Set(patterns.filter(({ pattern }) => pattern.test(path)).map(({ method }) => method));
    if (methods.has('GET')) methods.add('HEAD'); // Hono answers HEAD with the GET route
    return [...methods];
  };
}

/**
 * The channel API, the operator API and its console (contract §1, §3 and §4). Only `server.ts`
 * serves it; tests call `app.request`.
 */
export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({
    // `/suv/v1/vouchers/` is `/suv/v1/vouchers`, for every method: clients built against the SUV
    // interface add the slash, and a redirect would lose a POST's body in many of them.
    strict: false,
    // Every validation failure becomes the contract's FORMAT_ERROR (contract §1.3).
    defaultHook: async (result, c) => {
      if (result.success) return;
      const body = await readJson(c);
      const message = result.target === 'json' ? body : result.target === 'param' ? c.req.param() : c.req.query();
      return c.json(invalidMessage(errorIds(body, c.req.path), message, result.error), 400);
    },
  });

  app.use('*', noteSourceAddress(deps.trustedProxies));
  app.use('*', async (c, next) => {
    c.set('deps', deps);
    const started = performance.now();
    const links = linkToIncomingTrace(c.req.raw.headers);
    await inSpan(c.req.method, { kind: SpanKind.SERVER, root: true, links }, async (span) => {
      await next();
      describeRequestSpan(span, c);
    });
    deps.logger.info(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
        ...c.get('transaction'),
      },
      'request',
    );
  });
  // Before the body limit, authentication and the rate limit, so their refusals are counted too.
  if (deps.metrics) app.use('*', channelMetrics(deps.metrics, app));
  const limitTo = (maxSize: number) =>
    bodyLimit(maxSize, (c) => c.json(errorDetail('bodyTooLarge', `The body exceeds ${maxSize} bytes.`), 413));
  const messageLimit = limitTo(maxBodyBytes);
  // A provider's transaction file may hold a day's thousands of lines: only an operator may send one.
  const providerFileLimit = limitTo(maxProviderFileBytes);
  app.use(providerFilePath, sameSiteOnly, operatorsOnly);
  app.use('*', (c, next) => (c.req.path === providerFilePath ? providerFileLimit : messageLimit)(c, next));

  app.use('*', inputGuard);

  // The channel is known before the rate limit (a bucket per channel) and the routes.
  app.use('/suv/*', authenticateChannel(deps.channels, deps.clientCertificates));
  if (deps.rateLimit) {
    const limit = rateLimit(deps.rateLimit);
    app.use('/suv/*', limit);
    app.use('/oauth/*', limit);
  }
  deps.oauth?.registerRoutes(app, deps.channels);
  registerCodecRoutes(app, deps.codec);

  registerVoucherRoutes(app);
  registerVoucherLookupRoutes(app);
  registerVoucherUseRoutes(app);
  registerProductRoutes(app);
  registerHealthRoutes(app);
  if (deps.metrics) {
    const authorize = deps.metricsRequireOperator ? deps.operators.authorize : undefined;
    registerMetricsRoutes(app, deps.metrics, { authorize });
  }
  // Operators have their own credentials; the channels' auth and rate limit stay on /suv/*.
  registerOpsRoutes(app);
  registerReportRoutes(app);
  registerReconciliationRoutes(app);
  registerBackOfficeRoutes(app);
  registerConsoleRoutes(app);

  app.openAPIRegistry.registerComponent('securitySchemes', 'basicAuth', { type: 'http', scheme: 'basic' });
  let document: OpenApiDocument | undefined;
  // Built on first use, when every route is registered; /docs renders the same document.
  const openApiDocument = () =>
    (document ??= [
      withGuardResponses,
      withTextRules,
      (d: OpenApiDocument) => withOneOfQuery(d, lookupVoucherQuery),
    ].reduce(
      (built, step) => step(built),
      app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: { title: 'Voucher switch channel API', version: '1.0.0' },
      }) as OpenApiDocument,
    ));
  app.get('/openapi.json', (c) => c.json(openApiDocument()));
  registerDocsRoutes(app, openApiDocument);

  let methodsFor: ReturnType<typeof allowedMethods> | undefined;
  app.notFound((c) => {
    // Read on first use, so that routes registered after this point are known too.
    methodsFor ??= allowedMethods(app.routes);
    const allow = methodsFor(c.req.path);
    if (allow.length === 0) {
      return c.json(errorDetail('unknownEndpoint', `No endpoint ${c.req.method} ${c.req.path}.`), 404);
    }
    c.header('Allow', allow.join(', '));
    const message = `${c.req.method} is not supported on ${c.req.path} (allowed: ${allow.join(', ')}).`;
    return c.json(errorDetail('methodNotAllowed', message), errorKinds.methodNotAllowed.status);
  });
  app.onError(async (error, c) => {
    if (error instanceof SwitchError) {
      if (error instanceof SwitchBusy) c.header('Retry-After', String(error.retryAfterSeconds));
      return c.json(error.toErrorDetail(), error.status as 400);
    }
    if (error instanceof LoginThrottled) {
      c.header('Retry-After', String(error.retryAfterSeconds));
      return c.json(errorDetail('rateLimited', error.message, errorIds(await readJson(c), c.req.path)), 429);
    }
    // Hono refuses a body that is not JSON (400) or not sent as JSON (415) before validation runs;
    // contract §1.3 step 1 answers both as a FORMAT_ERROR.
    if (error instanceof HTTPException && (error.status === 400 || error.status === 415)) {
      const message = error.status === 415 ? 'The body must be sent as application/json.' : 'The body is not JSON.';
      return c.json(errorDetail('formatError', message, errorIds(await readJson(c), c.req.path)), 400);
    }
    if (error instanceof TemporalTooSlow) {
      // A read of Temporal bounded by the channel's timeout: nothing was asked of a provider.
      deps.logger.warn({ path: c.req.path, ...c.get('transaction') }, 'Temporal did not answer in time');
      const detail = errorDetail(
        'switchTimeout',
        'The switch did not get an answer in time; nothing was changed.',
        errorIds(await readJson(c), c.req.path),
      );
      return c.json(detail, errorKinds.switchTimeout.status);
    }
    deps.logger.error({ err: error, path: c.req.path, ...c.get('transaction') }, 'unexpected error');
    const kind: ErrorKind = 'switchFault';
    return c.json(errorDetail(kind, 'The switch could not process the request.'), errorKinds[kind].status);
  });
  return app;
}

export type App = ReturnType<typeof createApp>;
