import { z } from '@hono/zod-openapi';
import { type Payload, type PayloadCodec, ValueError } from '@temporalio/common';
import type { Context, Env, Hono } from 'hono';
import { errorDetail } from '../../domain/errors';
import { sourceAddress } from '../source-address';

export interface CodecRouteOptions {
  codec: PayloadCodec;
  /** Whether the request's Authorization header belongs to an operator allowed to read payloads. */
  authorize(authorization: string | undefined, address?: string): boolean | Promise<boolean>;
  /** Web UI origins that may call from a browser, e.g. `http://localhost:8233`. */
  allowedOrigins: string[];
}

/**
 * Payloads as proto3 JSON, the codec server protocol's body: every bytes field (data and each
 * metadata value) is base64.
 */
const payloadsBody = z.object({
  payloads: z.array(
    z.object({ metadata: z.record(z.string(), z.string()).nullish(), data: z.string().nullish() }).loose(),
  ),
});
type JsonPayload = z.infer<typeof payloadsBody>['payloads'][number];

const fromJson = ({ metadata, data }: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(data ?? '', 'base64'),
});

const toJson = ({ metadata, data }: Payload) => ({
  metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(data ?? []).toString('base64'),
});

/**
 * The Temporal codec server (`POST /codec/encode`, `POST /codec/decode`) for the Web UI, set
 * with `--ui-codec-endpoint <api>/codec` or in the UI's codec settings, and for the CLI with
 * `--codec-endpoint <api>/codec --codec-auth '<Authorization header>'`. Decoding reveals voucher
 * codes, so every call needs operator credentials; CORS only lets the listed UI origins read answers.
 */
export function registerCodecRoutes<E extends Env>(
  app: Hono<E>,
  { codec, authorize, allowedOrigins }: CodecRouteOptions,
) {
  const origins = new Set(allowedOrigins);
  // Credentialed CORS: the UI's "include cross-origin credentials" needs the exact origin, never `*`.
  const cors = (c: Context<E>) => {
    c.header('Vary', 'Origin');
    const origin = c.req.header('Origin');
    if (!origin || !origins.has(origin)) return false;
    c.header('Access-Control-Allow-Origin', origin);
    c.header('Access-Control-Allow-Credentials', 'true');
    return true;
  };

  for (const [path, convert] of [
    ['/codec/encode', (payloads: Payload[]) => codec.encode(payloads)],
    ['/codec/decode', (payloads: Payload[]) => codec.decode(payloads)],
  ] as const) {
    // Preflights carry no credentials, so they are answered without authorisation.
    app.options(path, (c) => {
      if (cors(c)) {
        c.header('Access-Control-Allow-Methods', 'POST, OPTIONS');
        c.header('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
        c.header('Access-Control-Max-Age', '600');
      }
      return c.body(null, 204);
    });

    app.post(path, async (c) => {
      cors(c);
      c.header('Cache-Control', 'no-store');
      if (!(await authorize(c.req.header('Authorization'), sourceAddress(c)))) {
        return c.json(errorDetail('unauthenticated', 'Operator credentials are missing or invalid.'), 401);
      }
      const body = payloadsBody.safeParse(await c.req.json().catch(() => undefined));
      if (!body.success) {
        return c.json(
          errorDetail('formatError', 'The body must be {"payloads": [{"metadata": {…}, "data": "…"}]}.'),
          400,
        );
      }
      try {
        const payloads = await convert(body.data.payloads.map(fromJson));
        return c.json({ payloads: payloads.map(toJson) });
      } catch (error) {
        // The codec's own refusals (unknown key id, failed authentication) are the caller's to see.
        if (error instanceof ValueError) return c.json(errorDetail('formatError', error.message), 400);
        throw error;
      }
    });
  }
}
