import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { basicReversal, tenderAdvice } from '../../contract/advice';
import { messageId } from '../../contract/common';
import { type ProvisionRequest, provisionRequest, provisionResponse } from '../../contract/provision';
import { errorAnswer, SwitchError } from '../../domain/errors';
import { answerRepeatedSubmission, type Lifecycle, retryNotSupported } from '../../domain/lifecycle';
import { capabilitiesOf, type ProviderId, providerProfiles } from '../../domain/providers';
import { type ProvisionInput, workflowIdFor } from '../../domain/provision';
import { route } from '../../domain/routing';
import type { ChannelConfig } from '../auth';
import { authorizeChannel } from '../auth';
import type { AppDeps, AppEnv } from '../deps';
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
  504: errorResponse(
    'GENERAL_ERROR: the provider did not answer in time (the switch reverses), or Temporal did not (nothing was changed)',
  ),
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

/**
 * Routes a provision request (contract §1.6). A request the switch already knows (a duplicate, a
 * retry) is never declined for its routing: when routing fails, the transaction is looked up,
 * and answered from what is known of it. A product that may be on a catalogue that could not be
 * read is a temporary failure (503), not a hard decline.
 */
async function routeProvision(
  deps: AppDeps,
  request: ProvisionRequest,
  channel: ChannelConfig,
  transactionId: string,
): Promise<{ provider: ProviderId; voucherProvider?: string } | { known: Lifecycle }> {
  const productId = request.product?.productId;
  const product = productId === undefined ? undefined : await deps.catalogue.findProduct(productId);
  const routed = route(
    { productId, receiverId: request.receiver?.id },
    {
      findProduct: () =>
        product === 'unavailable'
          ? product
          : product && { provider: product.provider, voucherProvider: product.voucherProvider },
      receivers: deps.receiverRoutes,
      channelDefault: channel.defaultProvider,
    },
  );
  if (routed.ok) return routed;
  const known = await deps.provisions.snapshot(transactionId);
  if (known?.provider) return { provider: known.provider };
  if (known && (known.answer !== undefined || known.earlyReversalId !== undefined)) return { known };
  const message = `Unable to route the request: ${routed.reason}.`;
  throw new SwitchError(routed.temporary ? 'catalogueUnavailable' : 'routingFailed', message, { id: request.id });
}

/**
 * Authorises and routes a provision request, and fixes what its workflow needs; or, for a known
 * transaction that could not be routed, what is known of it.
 */
async function provisionInput(
  c: Context<AppEnv>,
  request: ProvisionRequest,
): Promise<{ input: ProvisionInput } | { known: Lifecycle }> {
  const deps = c.get('deps');
  const channel = authorizeChannel(c.get('channel'), {
    id: request.id,
    clientId: request.client.id,
  });
  const transactionId = workflowIdFor(channel.clientId, request.id);
  logTransaction(c, transactionId, request.id);
  const routed = await routeProvision(deps, request, channel, transactionId);
  if ('known' in routed) return routed;
  const profile = providerProfiles[routed.provider];
  return {
    input: {
      transactionId,
      switchReference: deps.referenceFor(transactionId),
      channelId: channel.clientId,
      messaging: channel.messaging,
      provider: routed.provider,
      voucherProvider: routed.voucherProvider,
      capabilities: capabilitiesOf(profile),
      deadlineMs: deps.deadlineMs(routed.provider),
      settleAfterMs: deps.settleAfterMs(channel.messaging),
      switchInstitution: deps.switchInstitution,
      providerInstitution: profile.institution,
      request,
      receivedAt: deps.clock().toISOString(),
    },
  };
}

const provisionLocation = (id: string) => `/suv/v1/vouchers/${id}`;

export function registerVoucherRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(provisionVoucherRoute, async (c) => {
    const request = c.req.valid('json');
    const routed = await provisionInput(c, request);
    const answer =
      'known' in routed
        ? answerRepeatedSubmission('provision', routed.known, request.id, 'request')
        : await c.get('deps').provisions.submit(routed.input, 'request');
    return respond(c, answer, provisionLocation(request.id));
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
    const routed = await provisionInput(c, request);
    if ('known' in routed) {
      return respond(c, answerRepeatedSubmission('provision', routed.known, request.id, 'retry'));
    }
    const { input } = routed;
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
