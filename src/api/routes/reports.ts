import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { findSettlementReport, listSettlementReports, settlementFiguresFor } from '../../db/queries/settlement';
import { errorDetail } from '../../domain/errors';
import { type BusinessDay, lastClosedDay, settlementCsv } from '../../domain/settlement';
import { recordDone } from '../back-office-actions';
import type { AppEnv } from '../deps';
import { reportParams, reportQuery, settlementReport, settlementReportList } from '../schemas/reports';
import { operatorName } from './ops';
import { errorResponse, json } from './parts';

const security = [{ operatorAuth: [] }];
const unauthorized = errorResponse('AUTHENTICATION_ERROR: no operator credentials');
const csv = { 'text/csv': { schema: { type: 'string' as const } } };

const listRoute = createRoute({
  method: 'get',
  path: '/ops/reports',
  operationId: 'listSettlementReports',
  tags: ['Settlement'],
  summary: 'The stored settlement reports, newest business day first',
  security,
  responses: {
    200: { description: 'The stored reports and the last closed business day', ...json(settlementReportList) },
    401: unauthorized,
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/ops/reports/{day}',
  operationId: 'getSettlementReport',
  tags: ['Settlement'],
  summary: "A business day's settlement report: stored once the day is closed, as it stands while it is open",
  security,
  request: { params: reportParams, query: reportQuery },
  responses: {
    200: {
      description: 'The report, as JSON or (format=csv) CSV',
      content: { ...json(settlementReport).content, ...csv },
    },
    400: errorResponse('FORMAT_ERROR: the day or the format is not valid'),
    401: unauthorized,
    404: errorResponse('UNABLE_TO_LOCATE_RECORD: a closed day whose report was not produced yet (POST produces it)'),
  },
});

const produceRoute = createRoute({
  method: 'post',
  path: '/ops/reports/{day}',
  operationId: 'produceSettlementReport',
  tags: ['Settlement'],
  summary: "Produces a closed business day's report now, unless it is stored already (then answers with it)",
  security,
  request: { params: reportParams },
  responses: {
    200: { description: 'The stored report', ...json(settlementReport) },
    400: errorResponse('FORMAT_ERROR: the day is not valid'),
    401: unauthorized,
    409: errorResponse('GENERAL_ERROR: the business day has not closed yet'),
    504: errorResponse(
      'GENERAL_ERROR: the report is still being produced (the reporting copy is slow or down); ask again',
    ),
  },
});

/** A report as JSON, or as CSV for format=csv. */
function answerReport(
  c: Context<AppEnv>,
  format: 'json' | 'csv',
  report: Omit<typeof settlementReport._output, 'lines' | 'positions'> & {
    figures: Pick<typeof settlementReport._output, 'lines' | 'positions'>;
  },
) {
  const { figures, ...rest } = report;
  if (format === 'csv') {
    c.header('Content-Disposition', `attachment; filename="settlement-${report.businessDay}.csv"`);
    return c.body(settlementCsv(report.businessDay, figures.lines), 200, { 'Content-Type': 'text/csv; charset=utf-8' });
  }
  return c.json({ ...rest, ...figures }, 200);
}

/** Settlement reports over the reporting copy; produced through Temporal so that one run stores each day's. */
export function registerReportRoutes(app: OpenAPIHono<AppEnv>) {
  const closedDay = (c: Context<AppEnv>) => {
    const deps = c.get('deps');
    return lastClosedDay(deps.clock(), deps.settlement.settings);
  };

  app.openapi(listRoute, async (c) => {
    const reports = await listSettlementReports(c.get('deps').reportingDb);
    return c.json({ lastClosedDay: closedDay(c), reports }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { day } = c.req.valid('param');
    const { format } = c.req.valid('query');
    const deps = c.get('deps');
    if (day > closedDay(c)) {
      const now = await settlementFiguresFor(deps.reportingDb, day, deps.settlement.settings);
      return answerReport(c, format, { ...now, final: false });
    }
    const stored = await findSettlementReport(deps.reportingDb, day);
    if (!stored) return c.json(notProduced(day), 404);
    return answerReport(c, format, { ...stored, final: true });
  });

  app.openapi(produceRoute, async (c) => {
    const { day } = c.req.valid('param');
    const deps = c.get('deps');
    if (day > closedDay(c)) {
      return c.json(errorDetail('businessDayOpen', `Business day ${day} has not closed yet.`), 409);
    }
    if ((await deps.settlement.produce(day)) === 'producing') {
      return c.json(errorDetail('switchTimeout', `The report of ${day} is still being produced; ask again.`), 504);
    }
    const stored = (await findSettlementReport(deps.reportingDb, day)) as NonNullable<
      Awaited<ReturnType<typeof findSettlementReport>>
    >;
    await recordDone(deps.reportingDb, operatorName(c), {
      action: 'produce-settlement-report',
      target: day,
      outcome: `Stored with ${stored.transactionCount} transaction(s).`,
    });
    const { figures, ...rest } = stored;
    return c.json({ ...rest, ...figures, final: true }, 200);
  });
}

const notProduced = (day: BusinessDay) =>
  errorDetail('unknownRecord', `No report is stored for ${day} yet: POST /ops/reports/${day} produces it.`);
