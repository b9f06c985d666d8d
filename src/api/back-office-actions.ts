import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { ReportingDb } from '../db/client';
import {
  type AuditEvent,
  appendAudit,
  appendAuditOnce,
  auditTrail,
  findAdvice,
  reopenRefusedAdvice,
  restoreRefusedAdvice,
  settleAdviceByHand,
} from '../db/queries/audit';
import { transactions } from '../db/schema';
import type { BackOfficeAction } from '../domain/back-office';
import type { TransactionType } from '../domain/lifecycle';
import { type ProviderId, providerProfiles } from '../domain/providers';
import type { AppDeps } from './deps';

/*
 * Back-office actions as operators ask them: checked, recorded in the audit trail, run (at once,
 * or once a second operator approves), and their outcome recorded.
 */

/** An operator's action on a transaction, as asked. */
export interface ActionRequest {
  action: BackOfficeAction;
  transactionId: string;
  adviceId?: string;
  reason: string;
}

/** How an action ended: recorded as its outcome, or still running (a redelivery the provider has not answered). */
export type ActionEnd =
  | { step: 'done' | 'refused' | 'failed'; outcome: string; errorType?: string }
  | { step: 'running'; outcome: string };

type TransactionRow = typeof transactions.$inferSelect;

/** Why an action cannot be asked of this transaction; undefined when it can. */
export async function actionUnfit(
  db: ReportingDb,
  request: ActionRequest,
): Promise<{ status: 404 | 409; message: string } | undefined> {
  const row = await transactionRow(db, request.transactionId);
  if (!row) return { status: 404, message: 'No such transaction.' };
  if (request.action === 'redeliver-advice' || request.action === 'settle-advice-by-hand') {
    const advice = request.adviceId === undefined ? undefined : await findAdvice(db, row.id, request.adviceId);
    if (!advice) return { status: 404, message: 'The transaction has no such advice.' };
    if (advice.saf !== 'refused') {
      return { status: 409, message: `Only an advice the provider refused can be; this one is ${advice.saf}.` };
    }
  }
  if ((request.action === 'block-voucher' || request.action === 'unblock-voucher') && !row.voucherKey) {
    return { status: 409, message: 'The transaction issued no voucher.' };
  }
  return undefined;
}

async function transactionRow(db: ReportingDb, id: string): Promise<TransactionRow | undefined> {
  const [row] = await db.select().from(transactions).where(eq(transactions.id, id));
  return row;
}

const refused = (outcome: string, errorType?: string): ActionEnd => ({ step: 'refused', outcome, errorType });

/**
 * Runs an action asked by `operator` (approved by a second one when that was needed) and records
 * its outcome; a redelivery still running records its own when the provider answers.
 */
export async function runAction(
  deps: AppDeps,
  operator: string,
  actionId: string,
  request: ActionRequest,
): Promise<ActionEnd> {
  let end: ActionEnd;
  try {
    end = await perform(deps, operator, actionId, request);
  } catch (error) {
    deps.logger.warn({ err: error, actionId, action: request.action }, 'operator action failed');
    end = {
      step: 'failed',
      outcome: `It could not run: ${(error as Error).message}. Nothing is known to have changed.`,
    };
  }
  if (end.step !== 'running') {
    await appendAuditOnce(deps.reportingDb, {
      operator,
      action: request.action,
      step: end.step,
      actionId,
      transactionId: request.transactionId,
      target: request.adviceId,
      outcome: end.outcome,
    });
  }
  return end;
}

async function perform(deps: AppDeps, operator: string, actionId: string, request: ActionRequest): Promise<ActionEnd> {
  const row = await transactionRow(deps.reportingDb, request.transactionId);
  if (!row) return refused('No such transaction.');
  switch (request.action) {
    case 'confirm':
    case 'reverse':
      return settleTransaction(deps, row, request.action);
    case 'settle-advice-by-hand': {
      const settled = await settleAdviceByHand(deps.reportingDb, row.id, request.adviceId ?? '', deps.clock());
      return settled
        ? { step: 'done', outcome: 'The advice is marked settled with the provider by hand.' }
        : refused('The advice is not one the provider refused: nothing changed.');
    }
    case 'redeliver-advice':
      return redeliver(deps, row, operator, actionId, request.adviceId ?? '');
    case 'block-voucher':
    case 'unblock-voucher': {
      const blocked = request.action === 'block-voucher';
      const record = await deps.backOffice.setVoucherBlocking(row.voucherKey ?? '', {
        blocked,
        reason: request.reason,
        by: operator,
        at: deps.clock().toISOString(),
      });
      if (!record) return refused('No workflow holds the voucher any more (expired, reversed or never confirmed).');
      return { step: 'done', outcome: blocked ? 'The voucher is blocked.' : 'The voucher is unblocked.' };
    }
  }
}

/** The channel's own confirmation or reversal, sent by the operator: the workflow applies the same state rules. */
async function settleTransaction(deps: AppDeps, row: TransactionRow, kind: 'confirm' | 'reverse'): Promise<ActionEnd> {
  const gateways = { provision: deps.provisions, redemption: deps.redemptions, refund: deps.refunds };
  const gateway = gateways[row.type as TransactionType];
  const advice = { id: randomUUID(), requestId: row.messageId };
  const answer =
    kind === 'confirm' ? await gateway.confirm(row.id, advice) : await gateway.reverse(row.id, advice, row.channelId);
  if (!answer) return refused('The switch never saw the transaction.', 'UNABLE_TO_LOCATE_RECORD');
  if (answer.status === 202) {
    return {
      step: 'done',
      outcome: `The workflow accepted the ${kind === 'confirm' ? 'confirmation' : 'reversal'} ${advice.id}.`,
    };
  }
  const body = answer.body as { errorType?: string; errorMessage?: string };
  return refused(`${body.errorType}: ${body.errorMessage}`, body.errorType);
}

async function redeliver(
  deps: AppDeps,
  row: TransactionRow,
  operator: string,
  actionId: string,
  adviceId: string,
): Promise<ActionEnd> {
  const advice = await findAdvice(deps.reportingDb, row.id, adviceId);
  if (!advice || !row.provider || !row.switchReference)
    return refused('The advice cannot be sent: its transaction has no provider.');
  if (!(await reopenRefusedAdvice(deps.reportingDb, row.id, adviceId))) {
    return refused('The advice is not one the provider refused: nothing changed.');
  }
  const provider = row.provider as ProviderId;
  try {
    const delivered = await deps.backOffice.redeliverAdvice({
      actionId,
      operator,
      transactionId: row.id,
      target: {
        type: row.type as TransactionType,
        provider,
        supportsAdvices: providerProfiles[provider].supportsAdvices,
        deadlineMs: deps.deadlineMs(provider),
        requestReference: row.switchReference,
        channelMessageId: row.messageId,
      },
      advice: { kind: advice.kind, id: advice.adviceId, origin: advice.origin, reason: advice.reason ?? undefined },
    });
    if (!delivered)
      return {
        step: 'running',
        outcome: 'Being delivered by store-and-forward; the outcome is recorded when the provider answers.',
      };
    // The redelivery's workflow recorded the outcome: the audit trail has it.
    return delivered.saf === 'refused'
      ? refused('The provider refused it again.')
      : { step: 'done', outcome: `The advice is ${delivered.saf}.` };
  } catch (error) {
    await restoreRefusedAdvice(deps.reportingDb, row.id, adviceId);
    throw error;
  }
}

/** Records that an action was asked; awaiting approval, or running now. */
export function recordRequest(
  db: ReportingDb,
  operator: string,
  request: ActionRequest,
  step: 'requested' | 'started',
): Promise<AuditEvent & { at: string }> {
  return appendAudit(db, {
    operator,
    action: request.action,
    step,
    actionId: randomUUID(),
    transactionId: request.transactionId,
    target: request.adviceId,
    reason: request.reason,
  });
}

/** Every step of one action, oldest first. */
export async function actionSteps(db: ReportingDb, actionId: string) {
  return (await auditTrail(db, { actionId, limit: 20 })).reverse();
}

/** Records an operator action that runs at once outside the back office's (a report produced, a provider file). */
export function recordDone(
  db: ReportingDb,
  operator: string,
  entry: { action: string; target?: string; reason?: string; outcome: string },
) {
  return appendAudit(db, { ...entry, operator, step: 'done', actionId: randomUUID() });
}
