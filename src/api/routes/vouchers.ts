import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ChannelConfig } from '../../config';
import { SwitchError } from '../../domain/errors';
import { providerProfiles } from '../../domain/providers';
import { workflowIdFor } from '../../domain/provision';
import { route } from '../../domain/routing';
import { authorizeChannel } from '../auth';
import type { AppDeps, AppEnv } from '../deps';
import { errorDetail } from '../schemas/error-detail';
import { type ProvisionRequest, provisionRequest, provisionResponse } from '../schemas/provision';

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorDetail } },
});

const provisionVoucherRoute = createRoute({
  method: 'post',
  path: '/suv/v1/vouchers',
  operationId: 'provisionVoucher',
  summary: 'Provision a voucher',
  security: [{ basicAuth: [] }],
  request: { body: { required: true, content: { 'application/json': { schema: provisionRequest } } } },
  responses: {
    201: {
      description: 'The voucher, with the switch and provider identifiers appended',
      headers: { Location: { schema: { type: 'string' } } },
      content: { 'application/json': { schema: provisionResponse } },
    },
    400: errorResponse('FORMAT_ERROR, DUPLICATE_RECORD, or credentials of another client'),
    401: errorResponse('AUTHENTICATION_ERROR: no or bad credentials'),
    404: errorResponse('The provider declined (its reason as errorType), or no provider is routed'),
    500: errorResponse('GENERAL_ERROR: the provider or the switch failed'),
    503: errorResponse('UPSTREAM_UNAVAILABLE: the provider could not be reached'),
    504: errorResponse('GENERAL_ERROR: the provider did not answer in time'),
  },
});

async function routeProvision(deps: AppDeps, request: ProvisionRequest, channel: ChannelConfig) {
  const productId = request.product?.productId;
  const product = productId === undefined ? undefined : await deps.catalogue.findProduct(productId);
  return route(
    { productId, receiverId: request.receiver?.id },
    {
      findProduct: () => product && { provider: product.provider, voucherProvider: product.voucherProvider },
      receivers: deps.receiverRoutes,
      channelDefault: channel.defaultProvider,
    },
  );
}

export function registerVoucherRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(provisionVoucherRoute, async (c) => {
    const deps = c.get('deps');
    const request = c.req.valid('json');
    const channel = authorizeChannel(deps.channels, c.req.header('authorization'), {
      id: request.id,
      clientId: request.client.id,
    });
    const routed = await routeProvision(deps, request, channel);
    if (!routed.ok) {
      throw new SwitchError('routingFailed', `Unable to route the request: ${routed.reason}.`, { id: request.id });
    }
    const answer = await deps.provisions.submit({
      transactionId: workflowIdFor(channel.clientId, request.id),
      switchReference: deps.newId(),
      channelId: channel.clientId,
      messaging: channel.messaging,
      provider: routed.provider,
      voucherProvider: routed.voucherProvider,
      deadlineMs: deps.deadlineMs(routed.provider),
      switchInstitution: deps.switchInstitution,
      providerInstitution: providerProfiles[routed.provider].institution,
      request,
      receivedAt: deps.clock().toISOString(),
    });
    if (answer.status === 201) c.header('Location', `/suv/v1/vouchers/${request.id}`);
    // The workflow's answer is already in the contract's shape; it is relayed as it is.
    return c.json(answer.body as never, answer.status as 201);
  });
}
