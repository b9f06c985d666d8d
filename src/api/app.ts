import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { type ErrorKind, errorDetail, errorKinds, SwitchError } from '../domain/errors';
import type { AppDeps, AppEnv } from './deps';
import { formatErrors } from './format-errors';
import { registerHealthRoutes } from './routes/health';
import { registerProductRoutes } from './routes/products';
import { registerVoucherLookupRoutes } from './routes/voucher-lookup';
import { registerVoucherUseRoutes } from './routes/voucher-uses';
import { registerVoucherRoutes } from './routes/vouchers';

const maxBodyBytes = 64 * 1024;

function messageIdOf(body: unknown): string | undefined {
  const id = (body as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

/** The channel API (contract §1 and §4). Only `server.ts` serves it; tests call `app.request`. */
export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({
    // Every validation failure becomes the contract's FORMAT_ERROR (contract §1.3).
    defaultHook: async (result, c) => {
      if (result.success) return;
      const body =
        result.target === 'json'
          ? await c.req.json().catch(() => undefined)
          : result.target === 'param'
            ? c.req.param()
            : c.req.query();
      const entries = formatErrors(result.error, body);
      return c.json(
        errorDetail('formatError', 'The message is not valid.', {
          id: messageIdOf(body),
          detailMessage: { formatErrors: entries },
        }),
        400,
      );
    },
  });

  app.use('*', async (c, next) => {
    c.set('deps', deps);
    const started = performance.now();
    await next();
    deps.logger.info(
      { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) },
      'request',
    );
  });
  app.use(
    '*',
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: (c) => c.json(errorDetail('bodyTooLarge', `The body exceeds ${maxBodyBytes} bytes.`), 413),
    }),
  );

  registerVoucherRoutes(app);
  registerVoucherLookupRoutes(app);
  registerVoucherUseRoutes(app);
  registerProductRoutes(app);
  registerHealthRoutes(app);

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Voucher switch channel API', version: '1.0.0' },
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'basicAuth', { type: 'http', scheme: 'basic' });

  app.notFound((c) => c.json(errorDetail('unknownEndpoint', `No endpoint ${c.req.method} ${c.req.path}.`), 404));
  app.onError((error, c) => {
    if (error instanceof SwitchError) {
      return c.json(error.toErrorDetail(), error.status as 400);
    }
    if (error instanceof HTTPException && error.status === 400) {
      // Hono's own JSON parsing failure: a body that is not JSON.
      return c.json(errorDetail('formatError', 'The body is not valid JSON.'), 400);
    }
    deps.logger.error({ err: error, path: c.req.path }, 'unexpected error');
    const kind: ErrorKind = 'switchFault';
    return c.json(errorDetail(kind, 'The switch could not process the request.'), errorKinds[kind].status);
  });
  return app;
}

export type App = ReturnType<typeof createApp>;
