import { OpenAPIHono } from '@hono/zod-openapi';
import { decodeJwt, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { authenticateChannel, type ChannelConfig, type ChannelVariables, channelDirectory } from '../../src/api/auth';
import { hashSecret } from '../../src/api/credentials';
import { createOAuth, type OAuthOptions } from '../../src/api/oauth';

const options = { secret: 'a-test-signing-key-of-32-bytes-at-least', issuer: 'https://switch.test', audience: 'suv' };
let now = new Date('2030-01-01T00:00:00Z');
const clock = () => now;
const oauth = createOAuth({ ...options, tokenTtlSeconds: 300, clock });
let channels: ChannelConfig[];

beforeAll(() => {
  channels = [
    { clientId: '22222222', secretHash: hashSecret('password'), messaging: 'dual' },
    { clientId: '55555555', secretHash: hashSecret('p@ss+w%rd'), messaging: 'single' },
  ];
});

/** The token endpoint, and a channel route that names the channel the request proved. */
function makeApp(configured = channels) {
  const directory = channelDirectory(configured, { verifyBearer: oauth.verifyBearer });
  const app = new OpenAPIHono<{ Variables: ChannelVariables }>();
  oauth.registerRoutes(app, directory);
  app.use('/suv/*', authenticateChannel(directory));
  app.get('/suv/whoami', (c) => c.json({ clientId: c.get('channel')?.clientId ?? null }));
  return app;
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function requestToken(form: Record<string, string>, authorization?: string) {
  return makeApp().request('/oauth/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization && { authorization }) },
    body: new URLSearchParams(form).toString(),
  });
}

async function tokenFor(clientId = '22222222', tokens = oauth) {
  return (await tokens.issueToken(clientId)).access_token;
}

async function whoami(authorization: string, app = makeApp()) {
  const response = await app.request('/suv/whoami', { headers: { authorization } });
  return ((await response.json()) as { clientId: string | null }).clientId;
}

describe('POST /oauth/token', () => {
  it('issues a bearer token for client credentials sent with HTTP Basic', async () => {
    const response = await requestToken({ grant_type: 'client_credentials' }, basic('22222222', 'password'));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { access_token: string };
    expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 300 });
    expect(decodeJwt(body.access_token)).toMatchObject({
      iss: options.issuer,
      aud: options.audience,
      sub: '22222222',
      client_id: '22222222',
      iat: now.getTime() / 1000,
      exp: now.getTime() / 1000 + 300,
    });
  });

  it('issues a token for client credentials sent as form fields', async () => {
    const response = await requestToken({
      grant_type: 'client_credentials',
      client_id: '55555555',
      client_secret: 'p@ss+w%rd',
    });
    expect(response.status).toBe(200);
    expect(decodeJwt(((await response.json()) as { access_token: string }).access_token).sub).toBe('55555555');
  });

  it('takes a Basic secret form-encoded (RFC 6749 §2.3.1) or as it is', async () => {
    for (const secret of [encodeURIComponent('p@ss+w%rd'), 'p@ss+w%rd']) {
      const response = await requestToken({ grant_type: 'client_credentials' }, basic('55555555', secret));
      expect(response.status, secret).toBe(200);
    }
  });

  it('refuses a wrong secret, an unknown client or no credentials with invalid_client', async () => {
    const attempts = [
      requestToken({ grant_type: 'client_credentials' }, basic('22222222', 'wrong')),
      requestToken({ grant_type: 'client_credentials' }, basic('99999999', 'password')),
      requestToken({ grant_type: 'client_credentials', client_id: '22222222', client_secret: 'wrong' }),
      requestToken({ grant_type: 'client_credentials', client_id: '22222222' }),
      requestToken({ grant_type: 'client_credentials' }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Basic realm="oauth"');
      expect(await response.json()).toMatchObject({ error: 'invalid_client' });
    }
  });

  it('refuses other grants with unsupported_grant_type', async () => {
    const response = await requestToken({ grant_type: 'password' }, basic('22222222', 'password'));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('refuses a malformed request with invalid_request', async () => {
    const both = await requestToken(
      { grant_type: 'client_credentials', client_id: '22222222', client_secret: 'password' },
      basic('22222222', 'password'),
    );
    const noGrant = await requestToken({}, basic('22222222', 'password'));
    const repeated = await makeApp().request('/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('22222222', 'password') },
      body: 'grant_type=client_credentials&grant_type=client_credentials',
    });
    const json = await makeApp().request('/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic('22222222', 'password') },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    for (const response of [both, noGrant, repeated, json]) {
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    }
  });

  it('is in the OpenAPI document', () => {
    const doc = makeApp().getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } });
    expect(doc.paths?.['/oauth/token']?.post?.operationId).toBe('issueToken');
    expect(doc.components?.securitySchemes?.oauth2).toMatchObject({ type: 'oauth2' });
  });
});

describe('channel authentication', () => {
  it('proves the channel of a bearer token', async () => {
    const response = await requestToken({ grant_type: 'client_credentials' }, basic('22222222', 'password'));
    const { access_token } = (await response.json()) as { access_token: string };
    expect(await whoami(`Bearer ${access_token}`)).toBe('22222222');
  });

  it('still proves a channel by HTTP Basic, and nothing by a wrong secret', async () => {
    expect(await whoami(basic('55555555', 'p@ss+w%rd'))).toBe('55555555');
    expect(await whoami(basic('55555555', 'password'))).toBeNull();
  });

  it('refuses an expired token', async () => {
    const token = await tokenFor();
    const issued = now;
    try {
      now = new Date(issued.getTime() + 299_000);
      expect(await whoami(`Bearer ${token}`)).toBe('22222222');
      now = new Date(issued.getTime() + 300_000);
      expect(await whoami(`Bearer ${token}`)).toBeNull();
    } finally {
      now = issued;
    }
  });

  it('refuses a tampered token', async () => {
    const [header, payload, signature] = (await tokenFor()).split('.') as [string, string, string];
    const claims = { ...decodeJwt(`${header}.${payload}.${signature}`), sub: '55555555' };
    const forged = Buffer.from(JSON.stringify(claims)).toString('base64url');
    expect(await whoami(`Bearer ${header}.${forged}.${signature}`)).toBeNull();
    const flipped = signature.startsWith('A') ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
    expect(await whoami(`Bearer ${header}.${payload}.${flipped}`)).toBeNull();
  });

  it('refuses a token for another audience or from another issuer, or signed with another key', async () => {
    const others: OAuthOptions[] = [
      { ...options, audience: 'ops', tokenTtlSeconds: 300, clock },
      { ...options, issuer: 'https://elsewhere.test', tokenTtlSeconds: 300, clock },
      { ...options, secret: 'another-signing-key-of-32-bytes-at-least', tokenTtlSeconds: 300, clock },
    ];
    for (const other of others) {
      expect(await whoami(`Bearer ${await tokenFor('22222222', createOAuth(other))}`)).toBeNull();
    }
  });

  it('refuses a JWT that is not an access token, and an unsigned one', async () => {
    const key = new TextEncoder().encode(options.secret);
    const seconds = now.getTime() / 1000;
    const idToken = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(options.issuer)
      .setAudience(options.audience)
      .setSubject('22222222')
      .setExpirationTime(seconds + 60)
      .sign(key);
    expect(await whoami(`Bearer ${idToken}`)).toBeNull();
    const payload = idToken.split('.')[1];
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url');
    expect(await whoami(`Bearer ${none}.${payload}.`)).toBeNull();
  });

  it('refuses the token of a channel no longer configured', async () => {
    const token = await tokenFor('22222222');
    const app = makeApp(channels.filter((channel) => channel.clientId !== '22222222'));
    expect(await whoami(`Bearer ${token}`, app)).toBeNull();
  });
});
