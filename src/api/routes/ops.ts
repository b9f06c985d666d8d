import { createRoute, type OpenAPIHono, type z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { withoutNulls } from '../../contract/common';
import { findOperatorTransaction, listTransactions, safBacklog } from '../../db/queries/operations';
import { errorDetail } from '../../domain/errors';
import { maskSensitive } from '../../domain/masking';
import type { AppEnv } from '../deps';
import {
  safBacklog as safBacklogBody,
  transactionDetail,
  transactionPage,
  transactionParams,
  transactionQuery,
} from '../schemas/ops';
import { sourceAddress } from '../source-address';
import { errorResponse, json } from './parts';

/** The browser shows its login prompt for this realm; the console and /ops share it, so one login serves both. */
const realm = 'Basic realm="Voucher switch operators", charset="UTF-8"';

/**
 * Operator credentials (contract §3), never a channel's. The answers hold transaction data, so no
 * cache may keep them. A viewer may read; anything else is a back-office operator's.
 */
export const operatorsOnly = createMiddleware<AppEnv>(async (c, next) => {
  c.header('Cache-Control', 'no-store');
  const operator = await c.get('deps').operators.identify(c.req.header('Authorization'), sourceAddress(c));
  if (!operator) {
    c.header('WWW-Authenticate', realm);
    return c.json(errorDetail('unauthenticated', 'Operator credentials are missing or invalid.'), 401);
  }
  if (!isRead(c.req.method) && operator.role !== 'backoffice') {
    return c.json(
      errorDetail('operatorNotAllowed', 'A viewer may look up, not act: this needs a back-office operator.'),
      403,
    );
  }
  c.set('operator', operator);
  await next();
});

const isRead = (method: string) => method === 'GET' || method === 'HEAD';

/** The operator `operatorsOnly` proved, by name. */
export const operatorName = (c: Context<AppEnv>) => c.get('operator')?.name ?? 'unknown';

/**
 * An operator action (anything but a read) from another site's page is refused before its
 * credentials are checked: the browser sends a logged-in operator's Basic credentials with any
 * request to this host, a form posted from elsewhere included. Tools send no Origin.
 */
export const sameSiteOnly = createMiddleware<AppEnv>(async (c, next) => {
  const origin = c.req.header('Origin');
  if (isRead(c.req.method) || origin === undefined) return next();
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  if (host === undefined || host !== c.req.header('Host')) {
    return c.json(errorDetail('crossSiteRequest', "A request from another site's page is refused."), 403);
  }
  await next();
});

const security = [{ operatorAuth: [] }];
const unauthorized = errorResponse('AUTHENTICATION_ERROR: no operator credentials');

const listRoute = createRoute({
  method: 'get',
  path: '/ops/transactions',
  operationId: 'listTransactions',
  tags: ['Operators'],
  summary: 'Transactions newest first, filtered, one page at a time',
  security,
  request: { query: transactionQuery },
  responses: {
    200: { description: 'A page of transactions', ...json(transactionPage) },
    400: errorResponse('FORMAT_ERROR: a filter is not valid'),
    401: unauthorized,
  },
});

const detailRoute = createRoute({
  method: 'get',
  path: '/ops/transactions/{id}',
  operationId: 'getTransaction',
  tags: ['Operators'],
  summary: 'One transaction with the messages of both legs and its advices',
  security,
  request: { params: transactionParams },
  responses: {
    200: { description: 'The transaction, its message traces and its advices', ...json(transactionDetail) },
    401: unauthorized,
    404: errorResponse('UNABLE_TO_LOCATE_RECORD: no such transaction'),
  },
});

const backlogRoute = createRoute({
  method: 'get',
  path: '/ops/backlog',
  operationId: 'safBacklog',
  tags: ['Operators'],
  summary: 'The store-and-forward backlog per provider',
  security,
  responses: {
    200: { description: 'Pending and refused advices per provider', ...json(safBacklogBody) },
    401: unauthorized,
  },
});

/** Nulls are omitted from answers, as on the channel API (contract §1.2). */
const present = <T extends z.ZodType>(_schema: T, value: unknown) => withoutNulls(value) as z.infer<T>;

/** The operator API over the reporting copy (contract §3): read-only. */
export function registerOpsRoutes(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerComponent('securitySchemes', 'operatorAuth', {
    type: 'http',
    scheme: 'basic',
    description: 'Operator credentials; channel credentials are refused',
  });
  app.use('/ops/*', sameSiteOnly, operatorsOnly);

  app.openapi(listRoute, async (c) => {
    const { limit, cursor, reference, ...filters } = c.req.valid('query');
    const deps = c.get('deps');
    // The reference may be a voucher code: the copy finds it by its keyed hash only.
    const voucherKey = reference === undefined ? undefined : deps.voucherKey(reference);
    const page = await listTransactions(deps.reportingDb, { ...filters, reference, voucherKey }, { limit, cursor });
    return c.json(present(transactionPage, page), 200);
  });

  app.openapi(detailRoute, async (c) => {
    const found = await findOperatorTransaction(c.get('deps').reportingDb, c.req.valid('param').id);
    if (!found) return c.json(errorDetail('unknownRecord', 'No such transaction.'), 404);
    // Written masked already; masking again on the way out costs little and keeps codes out if a writer forgets.
    const traces = found.traces.map((trace) => ({
      ...trace,
      request: maskSensitive(trace.request),
      response: maskSensitive(trace.response),
    }));
    return c.json(present(transactionDetail, { ...found, traces }), 200);
  });

  app.openapi(backlogRoute, async (c) => {
    const deps = c.get('deps');
    const providers = await safBacklog(deps.reportingDb, deps.clock());
    return c.json(present(safBacklogBody, { providers }), 200);
  });
}
