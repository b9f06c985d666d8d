import { randomUUID } from 'node:crypto';
import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context, Env, Hono } from 'hono';
import { errors, jwtVerify, SignJWT } from 'jose';
import { basicCredentials, type ChannelDirectory } from './auth';
import { sourceAddress } from './source-address';

/**
 * OAuth2 client credentials (RFC 6749 §4.4) beside HTTP Basic: a channel trades its id and secret
 * for a short-lived JWT and sends that as `Authorization: Bearer`, so its secret crosses the wire
 * (and costs an scrypt) once per token instead of once per request.
 */
export interface OAuthOptions {
  /** The HS256 key, at least 32 bytes (RFC 7518 §3.2). */
  secret: string;
  issuer: string;
  audience: string;
  tokenTtlSeconds: number;
  clock?: () => Date;
}

export const tokenPath = '/oauth/token';

// Parameters sent empty count as omitted (RFC 6749 §3.2); unknown ones are ignored (§3.2).
const tokenRequest = z.object({
  grant_type: z.string(),
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
  scope: z.string().optional(),
});
const tokenResponse = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
});
const oauthError = z.object({
  error: z.enum(['invalid_request', 'invalid_client', 'unsupported_grant_type']),
  error_description: z.string().optional(),
});
type OAuthError = z.infer<typeof oauthError>['error'];

// RFC 9068's type keeps an access token from passing for any other JWT signed with the same key.
const typ = 'at+jwt';

/** RFC 6749 §2.3.1 form-encodes Basic credentials at the token endpoint; `curl -u` does not. */
function formDecoded(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    return value;
  }
}

export type OAuth = ReturnType<typeof createOAuth>;

export function createOAuth({ secret, issuer, audience, tokenTtlSeconds, clock = () => new Date() }: OAuthOptions) {
  const key = new TextEncoder().encode(secret);
  if (key.length < 32) throw new Error('The OAuth token secret needs at least 32 bytes.');

  async function issueToken(clientId: string): Promise<z.infer<typeof tokenResponse>> {
    const now = Math.floor(clock().getTime() / 1000);
    const token = await new SignJWT({ client_id: clientId })
      .setProtectedHeader({ alg: 'HS256', typ })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + tokenTtlSeconds)
      .setJti(randomUUID())
      .sign(key);
    return { access_token: token, token_type: 'Bearer', expires_in: tokenTtlSeconds };
  }

  /** The client id of a valid token: signed with our key, ours (`iss`), for us (`aud`), not expired. */
  async function verifyBearer(token: string): Promise<string | undefined> {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        issuer,
        audience,
        typ,
        currentDate: clock(),
        requiredClaims: ['exp', 'sub'],
      });
      return payload.sub;
    } catch (error) {
      if (error instanceof errors.JOSEError) return undefined;
      throw error;
    }
  }

  /** The client and its secret, by Basic or by form fields, or why the request is malformed. */
  function clientOf(c: Context, form: z.infer<typeof tokenRequest>) {
    const basic = basicCredentials(c.req.header('authorization'));
    if (basic && (form.client_id || form.client_secret)) return 'Use one client authentication method.';
    if (basic) {
      const secrets = new Set([formDecoded(basic.password), basic.password]);
      return { id: formDecoded(basic.user), secrets: [...secrets] };
    }
    return { id: form.client_id ?? '', secrets: form.client_secret ? [form.client_secret] : [] };
  }

  /** Mounts `POST /oauth/token`; on an OpenAPIHono app it is documented too. */
  function registerRoutes<E extends Env>(app: Hono<E>, directory: ChannelDirectory) {
    app.post(tokenPath, async (c) => {
      // RFC 6749 §5.1: token responses are never cached.
      c.header('Cache-Control', 'no-store');
      c.header('Pragma', 'no-cache');
      const refuse = (error: OAuthError, description: string, status: 400 | 401 = 400) =>
        c.json({ error, error_description: description }, status);

      if (!/^application\/x-www-form-urlencoded\b/i.test(c.req.header('content-type') ?? '')) {
        return refuse('invalid_request', 'The body must be application/x-www-form-urlencoded.');
      }
      const params = [...new URLSearchParams(await c.req.text())].filter(([, value]) => value !== '');
      if (new Set(params.map(([name]) => name)).size < params.length) {
        return refuse('invalid_request', 'A parameter is repeated.');
      }
      const form = tokenRequest.safeParse(Object.fromEntries(params));
      if (!form.success) return refuse('invalid_request', 'grant_type is missing.');
      if (form.data.grant_type !== 'client_credentials') {
        return refuse('unsupported_grant_type', 'Only client_credentials is supported.');
      }
      const client = clientOf(c, form.data);
      if (typeof client === 'string') return refuse('invalid_request', client);
      for (const secret of client.secrets) {
        const channel = await directory.verifyClient(client.id, secret, sourceAddress(c));
        if (channel) return c.json(await issueToken(channel.clientId), 200);
      }
      c.header('WWW-Authenticate', 'Basic realm="oauth"');
      return refuse('invalid_client', 'Unknown client or wrong secret.', 401);
    });

    if (app instanceof OpenAPIHono) document(app);
  }

  return { issueToken, verifyBearer, registerRoutes };
}

function document(app: OpenAPIHono) {
  const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });
  app.openAPIRegistry.registerComponent('securitySchemes', 'oauth2', {
    type: 'oauth2',
    flows: { clientCredentials: { tokenUrl: tokenPath, scopes: {} } },
  });
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: tokenPath,
    operationId: 'issueToken',
    summary: 'Trade client credentials (HTTP Basic, or client_id and client_secret) for a bearer token',
    security: [{ basicAuth: [] }, {}],
    request: { body: { required: true, content: { 'application/x-www-form-urlencoded': { schema: tokenRequest } } } },
    responses: {
      200: { description: 'The access token', ...json(tokenResponse) },
      400: { description: 'invalid_request or unsupported_grant_type (RFC 6749 §5.2)', ...json(oauthError) },
      401: { description: 'invalid_client', ...json(oauthError) },
    },
  });
}
