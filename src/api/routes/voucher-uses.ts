import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { basicAdvice, basicReversal } from '../../contract/advice';
import {
  redemptionRequest,
  redemptionResponse,
  refundRequest,
  refundResponse,
  type VoucherUseRequest,
} from '../../contract/voucher-use';
import { workflowIdFor } from '../../domain/provision';
import type { UseInput } from '../../domain/use';
import type { VoucherUse } from '../../domain/voucher';
import { authorizeChannel } from '../auth';
import type { AppEnv } from '../deps';
import {
  adviceResponses,
  adviceTarget,
  errorResponse,
  json,
  jsonBody,
  logTransaction,
  respond,
  unknownRequest,
} from './parts';

/** What differs between the redemption and the refund endpoints (contract §1.1 and §1.5). */
const uses = {
  redemption: {
    path: '/suv/v1/redemptions',
    operations: { request: 'redeemVoucher', confirm: 'confirmRedeem', reverse: 'reverseRedeem' },
    request: redemptionRequest,
    response: redemptionResponse,
    refusals:
      'VOUCHER_NOT_REDEEMABLE, REDEMPTION_ALREADY_REVERSED, VOUCHER_ALREADY_REDEEMED, FUNCTION_NOT_SUPPORTED, DUPLICATE_RECORD',
    confirmRefusals: 'VOUCHER_NOT_REDEEMED',
    reverseRefusals: 'REDEMPTION_ALREADY_CONFIRMED',
  },
  refund: {
    path: '/suv/v1/refunds',
    operations: { request: 'refundVoucher', confirm: 'confirmRefund', reverse: 'reverseRefund' },
    request: refundRequest,
    response: refundResponse,
    refusals:
      'REFUND_ALREADY_REVERSED, VOUCHER_NOT_REDEEMED, REDEMPTION_NOT_CONFIRMED, VOUCHER_ALREADY_REFUNDED, FUNCTION_NOT_SUPPORTED, DUPLICATE_RECORD',
    confirmRefusals: 'VOUCHER_NOT_REFUNDED',
    reverseRefusals: 'REFUND_ALREADY_CONFIRMED',
  },
} as const;

/** Authorises a redemption or refund request, and fixes what its workflow needs. */
function useInput(c: Context<AppEnv>, use: VoucherUse, request: VoucherUseRequest): UseInput {
  const deps = c.get('deps');
  const channel = authorizeChannel(c.get('channel'), {
    id: request.id,
    clientId: request.client.id,
  });
  const transactionId = workflowIdFor(channel.clientId, request.id, use);
  logTransaction(c, transactionId, request.id);
  return {
    type: use,
    transactionId,
    switchReference: deps.referenceFor(transactionId),
    channelId: channel.clientId,
    messaging: channel.messaging,
    voucherKey: deps.voucherKey(request.voucher.code),
    deadlinesMs: deps.deadlinesMs,
    settleAfterMs: deps.settleAfterMs(channel.messaging),
    switchInstitution: deps.switchInstitution,
    request,
    receivedAt: deps.clock().toISOString(),
  };
}

function registerUseRoutes(app: OpenAPIHono<AppEnv>, use: VoucherUse) {
  const spec = uses[use];
  const gateway = (c: Context<AppEnv>) => c.get('deps')[use === 'redemption' ? 'redemptions' : 'refunds'];

  const requestRoute = createRoute({
    method: 'post',
    path: spec.path,
    operationId: spec.operations.request,
    summary: use === 'redemption' ? 'Redeem a voucher' : "Refund a voucher's confirmed redemption",
    security: [{ basicAuth: [] }],
    request: jsonBody(spec.request),
    responses: {
      201: { description: `The ${use}, with the switch and provider identifiers appended`, ...json(spec.response) },
      400: errorResponse(`FORMAT_ERROR, ${spec.refusals}, or credentials of another client`),
      401: errorResponse('AUTHENTICATION_ERROR: no or bad credentials'),
      404: errorResponse('The provider declined (its reason as errorType)'),
      500: errorResponse('GENERAL_ERROR: the provider or the switch failed; the switch reverses'),
      503: errorResponse('UPSTREAM_UNAVAILABLE: the provider could not be reached'),
      504: errorResponse('GENERAL_ERROR: the provider did not answer in time; the switch reverses'),
    },
  });
  const adviceRoute = (kind: 'confirm' | 'reverse') =>
    createRoute({
      method: 'post',
      path: `${spec.path}/${kind === 'confirm' ? 'confirmations' : 'reversals'}`,
      operationId: spec.operations[kind],
      summary: `${kind === 'confirm' ? 'Confirm' : 'Reverse'} a ${use}`,
      security: [{ basicAuth: [] }],
      request: jsonBody(kind === 'confirm' ? basicAdvice : basicReversal),
      responses: adviceResponses(
        kind === 'confirm' ? basicAdvice : basicReversal,
        kind === 'confirm' ? spec.confirmRefusals : spec.reverseRefusals,
      ),
    });

  app.openapi(requestRoute, async (c) => {
    const request = c.req.valid('json');
    const answer = await gateway(c).submit(useInput(c, use, request), 'request');
    return respond(c, answer, `${spec.path}/${request.id}`);
  });

  app.openapi(adviceRoute('confirm'), async (c) => {
    const advice = c.req.valid('json');
    const { workflowId } = adviceTarget(c, advice, use);
    const answer = await gateway(c).confirm(workflowId, advice);
    return answer ? respond(c, answer) : unknownRequest(advice);
  });

  app.openapi(adviceRoute('reverse'), async (c) => {
    const advice = c.req.valid('json');
    const { channel, workflowId } = adviceTarget(c, advice, use);
    return respond(c, await gateway(c).reverse(workflowId, advice, channel.clientId));
  });
}

export function registerVoucherUseRoutes(app: OpenAPIHono<AppEnv>) {
  registerUseRoutes(app, 'redemption');
  registerUseRoutes(app, 'refund');
}
