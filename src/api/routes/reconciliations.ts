import { randomUUID } from 'node:crypto';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import {
  findReconciliation,
  listReconciliations,
  resolveException,
  storeReconciliation,
  switchRecordsFor,
} from '../../db/queries/reconciliations';
import { errorDetail } from '../../domain/errors';
import { ProviderFileError, providerFileParsers } from '../../domain/provider-files';
import { providerProfiles } from '../../domain/providers';
import { countOutcomes, reconcile } from '../../domain/reconciliation';
import { businessDayWindow } from '../../domain/settlement';
import { recordDone } from '../back-office-actions';
import type { AppEnv } from '../deps';
import {
  exceptionParams,
  reconciliationDetail,
  reconciliationList,
  reconciliationParams,
  reconciliationUpload,
  resolutionBody,
} from '../schemas/reconciliations';
import { operatorName } from './ops';
import { errorResponse, json, jsonBody } from './parts';

const security = [{ operatorAuth: [] }];
const unauthorized = errorResponse('AUTHENTICATION_ERROR: no operator credentials');
const notFound = errorResponse('UNABLE_TO_LOCATE_RECORD: no such reconciliation');

/** The largest provider file taken, where every other body is held to 64 KiB. */
export const maxProviderFileBytes = 16 * 1024 * 1024;
export const providerFilePath = '/ops/reconciliations';

const uploadRoute = createRoute({
  method: 'post',
  path: providerFilePath,
  operationId: 'reconcileProviderFile',
  tags: ['Settlement'],
  summary: "Matches a provider's transaction file for a business day against the switch's records",
  security,
  request: {
    query: reconciliationUpload,
    body: { required: true, content: { 'text/csv': { schema: { type: 'string' } } } },
  },
  responses: {
    201: {
      description: 'Every line filed; the exceptions listed',
      headers: { Location: { schema: { type: 'string' as const } } },
      ...json(reconciliationDetail),
    },
    400: errorResponse('FORMAT_ERROR: the provider, the day, the format or a line of the file is not valid'),
    401: unauthorized,
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/ops/reconciliations',
  operationId: 'listReconciliations',
  tags: ['Settlement'],
  summary: 'The reconciliations, newest first',
  security,
  responses: { 200: { description: 'The reconciliations', ...json(reconciliationList) }, 401: unauthorized },
});

const getRoute = createRoute({
  method: 'get',
  path: '/ops/reconciliations/{id}',
  operationId: 'getReconciliation',
  tags: ['Settlement'],
  summary: 'A reconciliation with its exceptions, resolved or not',
  security,
  request: { params: reconciliationParams },
  responses: {
    200: { description: 'The reconciliation', ...json(reconciliationDetail) },
    401: unauthorized,
    404: notFound,
  },
});

const resolveRoute = createRoute({
  method: 'post',
  path: '/ops/reconciliations/{id}/exceptions/{position}/resolution',
  operationId: 'resolveReconciliationException',
  tags: ['Settlement'],
  summary: 'Marks an exception resolved, with the reason; once',
  security,
  request: { params: exceptionParams, ...jsonBody(resolutionBody) },
  responses: {
    200: { description: 'The reconciliation, the exception resolved', ...json(reconciliationDetail) },
    400: errorResponse('FORMAT_ERROR: no reason'),
    401: unauthorized,
    404: errorResponse('UNABLE_TO_LOCATE_RECORD: no such exception, or it is resolved already'),
  },
});

const unknownReconciliation = () => errorDetail('unknownRecord', 'No such reconciliation.');

/** Reconciliation with the providers' files: upload, look, resolve. */
export function registerReconciliationRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(uploadRoute, async (c) => {
    const { provider, day, format } = c.req.valid('query');
    const deps = c.get('deps');
    let lines: ReturnType<(typeof providerFileParsers)[typeof format]>;
    try {
      lines = providerFileParsers[format](await c.req.text());
    } catch (error) {
      if (!(error instanceof ProviderFileError)) throw error;
      const formatErrors = error.problems.map(({ line, problem }) => ({ field: `line ${line}`, msg: problem }));
      return c.json(errorDetail('formatError', error.message, { detailMessage: { formatErrors } }), 400);
    }
    const window = businessDayWindow(day, deps.settlement.settings);
    const records = await switchRecordsFor(
      deps.reportingDb,
      provider,
      window,
      lines.map((line) => line.switchReference),
    );
    const items = reconcile(lines, records, { statesKnown: providerProfiles[provider].supportsAdvices });
    const id = randomUUID();
    await storeReconciliation(deps.reportingDb, {
      id,
      provider,
      businessDay: day,
      format,
      uploadedBy: operatorName(c),
      lineCount: lines.length,
      counts: countOutcomes(items),
      items,
    });
    const counts = countOutcomes(items);
    await recordDone(deps.reportingDb, operatorName(c), {
      action: 'reconcile-provider-file',
      target: id,
      outcome: `${provider} ${day}: ${lines.length} line(s); ${Object.entries(counts)
        .map(([outcome, count]) => `${outcome} ${count}`)
        .join(', ')}.`,
    });
    c.header('Location', `${providerFilePath}/${id}`);
    return c.json(await findReconciliation(deps.reportingDb, id), 201);
  });

  app.openapi(listRoute, async (c) =>
    c.json({ reconciliations: await listReconciliations(c.get('deps').reportingDb) }, 200),
  );

  app.openapi(getRoute, async (c) => {
    const found = await findReconciliation(c.get('deps').reportingDb, c.req.valid('param').id);
    return found ? c.json(found, 200) : c.json(unknownReconciliation(), 404);
  });

  app.openapi(resolveRoute, async (c) => {
    const { id, position } = c.req.valid('param');
    const { reason } = c.req.valid('json');
    const deps = c.get('deps');
    const resolved = await resolveException(deps.reportingDb, id, position, {
      by: operatorName(c),
      reason,
      at: deps.clock(),
    });
    if (!resolved) return c.json(errorDetail('unknownRecord', 'No such unresolved exception.'), 404);
    await recordDone(deps.reportingDb, operatorName(c), {
      action: 'resolve-reconciliation-exception',
      target: `${id}#${position}`,
      reason,
      outcome: 'Resolved.',
    });
    return c.json(await findReconciliation(deps.reportingDb, id), 200);
  });
}
