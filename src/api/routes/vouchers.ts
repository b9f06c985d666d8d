import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { errorAnswer, SwitchError } from '../../domain/errors';
import { retryNotSupported } from '../../domain/lifecycle';
import { providerProfiles } from '../../domain/providers';
import { type ProvisionInput, workflowIdFor } from '../../domain/provision';
import { route } from '../../domain/routing';
import type { ChannelConfig } from '../auth';
import { authorizeChannel } from '../auth';
import type { AppDeps, AppEnv } from '../deps';
import { basicReversal, tenderAdvice } from '../schemas/advice';
import { messageId } from '../schemas/common';
import { type ProvisionRequest, provisionRequest, provisionResponse } from '../schemas/provision';
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

const provisionResponses = {
  201: {
    description: 'The voucher, with the switch and provider identifiers appended',
    headers: { Location: { schema: { type: 'string' as const } } },
    ...json(provisionResponse),
  },
  400: errorResponse('FORMAT_ERROR, DUPLICATE_RECORD, VOUCHER_ALREADY_REVERSED, or credentials of another client'),
  401: errorResponse('AUTHENTICATION_ERROR: no or bad credentials'),
  404: errorResponse(
    'The provider declined (its reason as errorType), no provider is routed, or FUNCTION_NOT_SUPPORTED',
  ),
  500: errorResponse('GENERAL_ERROR: the provider or the switch failed; the switch reverses'),
  503: errorResponse('UPSTREAM_UNAVAILABLE: the provider could not be reached; the switch reverses'),
  504: errorResponse('GENERAL_ERROR: the provider did not answer in time; the switch reverses'),
};

const provisionVoucherRoute = createRoute({
  method: 'post',
  path: '/suv/v1/vouchers',
  operationId: 'provisionVoucher',
  summary: 'Provision a voucher',
  security: [{ basicAuth: [] }],
  request: jsonBody(provisionRequest),
  responses: provisionResponses,
});

const retryProvisionRoute = createRoute({
  method: 'post',
  path: '/suv/v1/vouchers/{provisionId}/retry',
  operationId: 'retryProvisionVoucher',
  summary: 'Retry a provision whose answer was lost: the original outcome, or a provision now',
  security: [{ basicAuth: [] }],
  request: { params: z.object({ provisionId: messageId }), ...jsonBody(provisionRequest) },
  responses: provisionResponses,
});

const confirmVoucherRoute = createRoute({
  method: 'post',
  path: '/suv/v1/vouchers/confirmations',
  operationId: 'confirmVoucher',
  summary: 'Confirm a provision',
  security: [{ basicAuth: [] }],
  request: jsonBody(tenderAdvice),
  responses: adviceResponses(tenderAdvice, 'VOUCHER_ALREADY_REVERSED'),
});

const reverseVoucherRoute = createRoute({
  method: 'post',
  path: '/suv/v1/vouchers/reversals',
  operationId: 'reverseVoucher',
  summary: 'Reverse a provision',
  security: [{ basicAuth: [] }],
  request: jsonBody(basicReversal),
  responses: adviceResponses(basicReversal, 'VOUCHER_ALREADY_CONFIRMED'),
});

async function routeProvision(deps: AppDeps, request: ProvisionRequest, channel: ChannelConfig) {
  const productId = request.product?.productId;
  const product = productId === undefined ? undefined : await deps.catalogue.findProduct(productId);
  const routed = route(
    { productId, receiverId: request.receiver?.id },
    {
      findProduct: () => product && { provider: product.provider, voucherProvider: product.voucherProvider },
      receivers: deps.receiverRoutes,
      channelDefault: channel.defaultProvider,
    },
  );
  if (!routed.ok) {
    throw new SwitchError('routingFailed', `Unable to route the request: ${routed.reason}.`, { id: request.id });
  }
  return routed;
}

/** Authorises and routes a provision request, and fixes what its workflow needs. */
async function provisionInput(c: Context<AppEnv>, request: ProvisionRequest): Promise<ProvisionInput> {
  const deps = c.get('deps');
  const channel = authorizeChannel(c.get('channel'), {
    id: request.id,
    clientId: request.client.id,
  });
  const transactionId = workflowIdFor(channel.clientId, request.id);
  logTransaction(c, transactionId, request.id);
  const routed = await routeProvision(deps, request, channel);
  return {
    transactionId,
    switchReference: deps.referenceFor(transactionId),
    channelId: channel.clientId,
    messaging: channel.messaging,
    provider: routed.provider,
    voucherProvider: routed.voucherProvider,
    deadlineMs: deps.deadlineMs(routed.provider),
    settleAfterMs: deps.settleAfterMs(channel.messaging),
    switchInstitution: deps.switchInstitution,
    providerInstitution: providerProfiles[routed.provider].institution,
    request,
    receivedAt: deps.clock().toISOString(),
  };
}

const provisionLocation = (id: string) => `/suv/v1/vouchers/${id}`;

export function registerVoucherRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(provisionVoucherRoute, async (c) => {
    const request = c.req.valid('json');
    const input = await provisionInput(c, request);
    return respond(c, await c.get('deps').provisions.submit(input, 'request'), provisionLocation(request.id));
  });

  app.openapi(retryProvisionRoute, async (c) => {
    const request = c.req.valid('json');
    const { provisionId } = c.req.valid('param');
    if (provisionId.toLowerCase() !== request.id.toLowerCase()) {
      const entry = { field: 'provisionId', msg: 'provisionId must equal the request id', value: provisionId };
      return respond(
        c,
        errorAnswer('formatError', 'The message is not valid.', {
          id: request.id,
          detailMessage: { formatErrors: [entry] },
        }),
      );
    }
    const input = await provisionInput(c, request);
    const { provisions } = c.get('deps');
    const profile = providerProfiles[input.provider];
    // A provider without retries may only be answered from what the switch already knows.
    const answer = profile.supportsRetries
      ? await provisions.submit(input, 'retry')
      : ((await provisions.retryExisting(input)) ?? retryNotSupported(request.id, profile));
    return respond(c, answer, provisionLocation(request.id));
  });

  app.openapi(confirmVoucherRoute, async (c) => {
    const advice = c.req.valid('json');
    const { workflowId } = adviceTarget(c, advice, 'provision');
    const answer = await c.get('deps').provisions.confirm(workflowId, advice);
    return answer ? respond(c, answer) : unknownRequest(advice);
  });

  app.openapi(reverseVoucherRoute, async (c) => {
    const advice = c.req.valid('json');
    const { channel, workflowId } = adviceTarget(c, advice, 'provision');
    return respond(c, await c.get('deps').provisions.reverse(workflowId, advice, channel.clientId));
  });
}
