import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { appendAuditOnce, auditTrail, awaitingApproval, requestedAction } from '../../db/queries/audit';
import { type AuditStep, type BackOfficeAction, mayApprove, needsApproval } from '../../domain/back-office';
import { errorDetail } from '../../domain/errors';
import {
  type ActionEnd,
  type ActionRequest,
  actionSteps,
  actionUnfit,
  recordRequest,
  runAction,
} from '../back-office-actions';
import type { AppEnv } from '../deps';
import {
  actionParams,
  actionRequestBody,
  actionTransactionParams,
  auditPage,
  auditQuery,
  decisionBody,
  operatorAction,
  pendingActions,
} from '../schemas/back-office';
import { operatorName } from './ops';
import { errorResponse, json, jsonBody } from './parts';

const security = [{ operatorAuth: [] }];
const tags = ['Back office'];
const unauthorized = errorResponse('AUTHENTICATION_ERROR: no operator credentials');
const forbidden = errorResponse(
  'AUTHENTICATION_ERROR: a viewer, the operator who asked approving, or another site’s page',
);
const ran = {
  200: { description: 'It ran; its audit record', ...json(operatorAction) },
  401: unauthorized,
  403: forbidden,
  409: errorResponse('GENERAL_ERROR or the contract’s refusal: the state rules refused it; nothing changed'),
  503: errorResponse('GENERAL_ERROR: it could not run; nothing is known to have changed'),
};

const actRoute = createRoute({
  method: 'post',
  path: '/ops/transactions/{id}/actions',
  operationId: 'actOnTransaction',
  tags,
  summary: 'A back-office action on a transaction or its voucher, recorded in the audit trail',
  security,
  request: { params: actionTransactionParams, ...jsonBody(actionRequestBody) },
  responses: {
    ...ran,
    202: {
      description: 'Awaiting a second operator’s approval, or still running (a redelivery)',
      ...json(operatorAction),
    },
    400: errorResponse('FORMAT_ERROR: no such action, no reason, or no advice named'),
    404: errorResponse('UNABLE_TO_LOCATE_RECORD: no such transaction or advice'),
  },
});

const pendingRoute = createRoute({
  method: 'get',
  path: '/ops/actions',
  operationId: 'actionsAwaitingApproval',
  tags,
  summary: 'Actions awaiting a second operator’s approval, oldest first',
  security,
  responses: { 200: { description: 'The actions', ...json(pendingActions) }, 401: unauthorized },
});

const decisionRoute = (decision: 'approval' | 'rejection') =>
  createRoute({
    method: 'post',
    path: `/ops/actions/{actionId}/${decision}`,
    operationId: decision === 'approval' ? 'approveAction' : 'rejectAction',
    tags,
    summary:
      decision === 'approval'
        ? 'Approves an action another operator asked for, and runs it'
        : 'Rejects an action another operator asked for: it never runs',
    security,
    request: { params: actionParams, ...jsonBody(decisionBody) },
    responses: {
      ...(decision === 'approval'
        ? ran
        : {
            200: { description: 'Rejected: it never runs; its audit record', ...json(operatorAction) },
            401: unauthorized,
            403: forbidden,
            409: errorResponse('GENERAL_ERROR: approved or rejected already'),
          }),
      400: errorResponse('FORMAT_ERROR'),
      404: errorResponse('UNABLE_TO_LOCATE_RECORD: no action awaits approval under this id'),
    },
  });

const auditRoute = createRoute({
  method: 'get',
  path: '/ops/audit',
  operationId: 'auditTrail',
  tags,
  summary: 'Every operator action and its steps, newest first; no route changes it',
  security,
  request: { query: auditQuery },
  responses: {
    200: { description: 'A page of the audit trail', ...json(auditPage) },
    400: errorResponse('FORMAT_ERROR: a filter is not valid'),
    401: unauthorized,
  },
});

const present = (events: Awaited<ReturnType<typeof auditTrail>>) =>
  events.map((event) => Object.fromEntries(Object.entries(event).filter(([, value]) => value !== null))) as never[];

/** The action's record as answered; its status from how it ended. */
async function answerAction(c: Context<AppEnv>, actionId: string, end: ActionEnd | { step: 'requested' | 'rejected' }) {
  const steps = present(await actionSteps(c.get('deps').reportingDb, actionId));
  if (end.step === 'refused' || end.step === 'failed') {
    const failure = errorDetail(end.step === 'refused' ? 'actionRefused' : 'actionFailed', end.outcome, {
      detailMessage: { actionId, steps },
    });
    const errorType = 'errorType' in end && end.errorType ? end.errorType : failure.errorType;
    // Typed loosely: one answer serves routes whose documented statuses differ.
    return c.json({ ...failure, errorType } as never, (end.step === 'refused' ? 409 : 503) as never);
  }
  const status = end.step === 'done' || end.step === 'rejected' ? 200 : 202;
  const step: AuditStep = end.step === 'running' ? 'started' : end.step;
  return c.json({ actionId, step, steps } as never, status as never);
}

/** Back-office actions, their four-eyes approval, and the audit trail. */
export function registerBackOfficeRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(actRoute, async (c) => {
    const deps = c.get('deps');
    const request: ActionRequest = { ...c.req.valid('json'), transactionId: c.req.valid('param').id };
    const unfit = await actionUnfit(deps.reportingDb, request);
    if (unfit) {
      const kind = unfit.status === 404 ? 'unknownRecord' : 'actionRefused';
      return c.json(errorDetail(kind, unfit.message), unfit.status);
    }
    const operator = operatorName(c);
    if (needsApproval(request.action, deps.backOffice.fourEyesApproval)) {
      const requested = await recordRequest(deps.reportingDb, operator, request, 'requested');
      return answerAction(c, requested.actionId, { step: 'requested' });
    }
    const started = await recordRequest(deps.reportingDb, operator, request, 'started');
    return answerAction(c, started.actionId, await runAction(deps, operator, started.actionId, request));
  });

  app.openapi(pendingRoute, async (c) => {
    return c.json({ actions: present(await awaitingApproval(c.get('deps').reportingDb)) }, 200);
  });

  for (const decision of ['approval', 'rejection'] as const) {
    app.openapi(decisionRoute(decision), async (c) => {
      const deps = c.get('deps');
      const { actionId } = c.req.valid('param');
      const requested = await requestedAction(deps.reportingDb, actionId);
      if (!requested) return c.json(errorDetail('unknownRecord', 'No action awaits approval under this id.'), 404);
      const approver = operatorName(c);
      if (!mayApprove(requested.operator, approver)) {
        return c.json(
          errorDetail('operatorNotAllowed', 'An action needs a second operator: not the one who asked.'),
          403,
        );
      }
      const decided = await appendAuditOnce(deps.reportingDb, {
        operator: approver,
        action: requested.action,
        step: decision === 'approval' ? 'approved' : 'rejected',
        actionId,
        transactionId: requested.transactionId,
        target: requested.target,
        reason: c.req.valid('json').reason,
      });
      if (!decided) return c.json(errorDetail('actionRefused', 'The action was approved or rejected already.'), 409);
      if (decision === 'rejection') return answerAction(c, actionId, { step: 'rejected' });
      const request: ActionRequest = {
        action: requested.action as BackOfficeAction,
        transactionId: requested.transactionId ?? '',
        adviceId: requested.target ?? undefined,
        reason: requested.reason ?? '',
      };
      // Run as the operator who asked for it; the approval names the second.
      return answerAction(c, actionId, await runAction(deps, requested.operator, actionId, request));
    });
  }

  app.openapi(auditRoute, async (c) => {
    const { transactionId, operator, actionId, before, limit } = c.req.valid('query');
    const events = await auditTrail(c.get('deps').reportingDb, { transactionId, operator, actionId, before, limit });
    const nextBefore = events.length === limit ? events.at(-1)?.id : undefined;
    return c.json({ events: present(events), nextBefore }, 200);
  });
}
