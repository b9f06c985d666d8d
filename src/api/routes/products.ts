import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { institution, ledgerAmount } from '../../contract/common';
import { errorDetail } from '../../contract/error-detail';
import { SwitchError } from '../../domain/errors';
import { providerIds, providerProfiles } from '../../domain/providers';
import type { AppEnv } from '../deps';

const product = z
  .object({
    productId: z.string(),
    barcode: z.string().optional(),
    name: z.string(),
    description: z.string().optional(),
    isFixedValue: z.boolean(),
    amount: ledgerAmount.optional(),
    minAmount: ledgerAmount.optional(),
    maxAmount: ledgerAmount.optional(),
    receiver: institution,
    provider: z.enum(providerIds),
    voucherProvider: z.string(),
  })
  .openapi('Product');

const lookupProductsRoute = createRoute({
  method: 'get',
  path: '/suv/v1/products',
  operationId: 'lookupProducts',
  summary: 'Look up products',
  security: [{ basicAuth: [] }],
  request: {
    query: z.object({ provider: z.enum(providerIds).optional(), productId: z.string().optional() }),
  },
  responses: {
    200: {
      description: 'The products on offer (the last good list of a provider that cannot be reached)',
      content: { 'application/json': { schema: z.object({ products: z.array(product) }) } },
    },
    400: { description: 'FORMAT_ERROR', content: { 'application/json': { schema: errorDetail } } },
    401: { description: 'AUTHENTICATION_ERROR', content: { 'application/json': { schema: errorDetail } } },
  },
});

export function registerProductRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(lookupProductsRoute, async (c) => {
    const deps = c.get('deps');
    if (!c.get('channel')) {
      throw new SwitchError('unauthenticated', 'Missing or invalid credentials.');
    }
    const { provider, productId } = c.req.valid('query');
    const products = (await deps.catalogue.products())
      .filter(
        (p) =>
          (provider === undefined || p.provider === provider) && (productId === undefined || p.productId === productId),
      )
      .map((p) => ({ ...p, receiver: providerProfiles[p.provider].institution }));
    return c.json({ products }, 200);
  });
}
