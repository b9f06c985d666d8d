import { z } from '@hono/zod-openapi';
import { backOfficeActions } from '../../domain/back-office';

const reason = z.string().trim().min(1).max(500);

export const actionRequestBody = z
  .object({
    action: z.enum(backOfficeActions).openapi({
      description:
        'confirm or reverse: settle the transaction as its channel would (the same state rules); redeliver-advice: send a refused advice again by store-and-forward; settle-advice-by-hand: record a refused advice as settled with the provider outside the switch; block-voucher, unblock-voucher: a lost or stolen voucher, neither redeemed nor refunded while blocked',
    }),
    reason: reason.openapi({ description: 'Why: kept in the audit trail' }),
    adviceId: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: 'The advice, for redeliver-advice and settle-advice-by-hand' }),
  })
  .strict()
  .refine((body) => !body.action.includes('advice') || body.adviceId !== undefined, {
    message: 'adviceId is required for an advice action',
    path: ['adviceId'],
  })
  .openapi('OperatorActionRequest');

export const decisionBody = z
  .object({ reason: reason.optional().openapi({ description: 'Why, if there is more to say' }) })
  .strict();

export const actionTransactionParams = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .openapi({
      param: { name: 'id', in: 'path' },
      description: "The switch's transaction id: an action names its transaction exactly, never by a message id",
    }),
});

export const actionParams = z.object({
  actionId: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'actionId', in: 'path' } }),
});

export const auditEvent = z
  .object({
    id: z.number().int(),
    at: z.string().openapi({ format: 'date-time' }),
    operator: z.string(),
    action: z.string(),
    step: z.enum(['requested', 'approved', 'rejected', 'started', 'done', 'refused', 'failed']),
    actionId: z.string(),
    transactionId: z.string().optional(),
    target: z.string().optional(),
    reason: z.string().optional(),
    outcome: z.string().optional(),
  })
  .openapi('AuditEvent');

export const operatorAction = z
  .object({
    actionId: z.string(),
    /** The last step: requested (awaiting approval), started (still running), or its outcome. */
    step: auditEvent.shape.step,
    steps: z.array(auditEvent),
  })
  .openapi('OperatorAction');

export const auditQuery = z.object({
  transactionId: z.string().min(1).max(200).optional(),
  operator: z.string().min(1).max(200).optional(),
  actionId: z.string().min(1).max(100).optional(),
  before: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional().openapi({
    description: "The previous page's nextBefore: older events",
  }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const auditPage = z
  .object({ events: z.array(auditEvent), nextBefore: z.number().int().optional() })
  .openapi('AuditPage');

export const pendingActions = z.object({ actions: z.array(auditEvent) }).openapi('PendingActions');
