import { execFile } from 'node:child_process';
import { type ConnectionOptions, connect } from 'node:tls';
import { promisify } from 'node:util';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type RunningServer } from '../../src/http-server';
import { type CertificateChannelVariables, clientChannelsSchema, identifyCertificateChannel } from '../../src/tls';
import {
  createTestPki,
  httpsFetch,
  type Pem,
  type PkiFiles,
  type TestPki,
  writePkiFiles,
} from '../helpers/certificates';
import { basicAuth, demoChannel, makeProvisionRequest } from '../helpers/fixtures';
import { startTestSwitch, type TestSwitch } from '../helpers/switch';

let pki: TestPki;
let files: PkiFiles;
let sw: TestSwitch;

beforeAll(async () => {
  pki = await createTestPki();
  files = writePkiFiles(pki);
  sw = await startTestSwitch(
    { ...files.env, TLS_CLIENT_CHANNELS: `cn:${demoChannel.clientId}=${demoChannel.clientId}` },
    { ca: pki.ca.cert },
  );
});
afterAll(async () => {
  await sw?.stop();
  files?.remove();
});

/** The TLS version a handshake agrees on, or the code of the error that ended it. */
function handshake(url: string, options: ConnectionOptions = {}): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: Number(new URL(url).port), ca: pki.ca.cert, ...options }, () => {
      resolve(socket.getProtocol() ?? '');
      socket.end();
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('the channel API over HTTPS', () => {
  it('provisions a voucher over HTTPS with Basic credentials', async () => {
    expect(sw.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const response = await sw.post('/suv/v1/vouchers', makeProvisionRequest());
    expect(response.status).toBe(201);
  });

  it('negotiates TLS 1.2 or later and refuses a client that offers only TLS 1.1 or 1.0', async () => {
    expect(await handshake(sw.url)).toBe('TLSv1.3');
    expect(await handshake(sw.url, { maxVersion: 'TLSv1.2' })).toBe('TLSv1.2');
    // SECLEVEL=0 lets this client offer the old versions, so the refusal is the server's alert.
    for (const old of ['TLSv1.1', 'TLSv1'] as const) {
      const offer = { minVersion: old, maxVersion: old, ciphers: 'DEFAULT@SECLEVEL=0' };
      expect(await handshake(sw.url, offer)).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
    }
  });

  it('answers nothing in plain HTTP on its port', async () => {
    await expect(fetch(`${sw.url.replace('https:', 'http:')}/health`)).rejects.toThrow();
  });

  it('serves a client whose certificate no CA signed, which then authenticates with credentials', async () => {
    const stranger = await pki.selfSignedCertificate(demoChannel.clientId);
    const response = await httpsFetch(
      `${sw.url}/suv/v1/vouchers`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: basicAuth(demoChannel.clientId, demoChannel.password),
        },
        body: JSON.stringify(makeProvisionRequest()),
      },
      { ca: pki.ca.cert, ...stranger },
    );
    expect(response.status).toBe(201);
  });
});

describe('mutual TLS', () => {
  let server: RunningServer;
  let shop: Pem;

  beforeAll(async () => {
    const { fingerprint256, ...pem } = await pki.clientCertificate('shop.example');
    shop = pem;
    const channels = clientChannelsSchema.parse(`cn:bank.example=22222222, sha256:${fingerprint256}=55555555`);
    // The channel API's own listen and TLS settings, with an app that only says whom the certificate proves.
    const app = new Hono<{ Variables: CertificateChannelVariables }>()
      .use(identifyCertificateChannel(channels))
      .get('/', (c) => c.json({ channel: c.var.certificateChannel ?? null }));
    server = await listen(app, 0, '127.0.0.1', { ...pki.server, ca: pki.ca.cert, minVersion: 'TLSv1.2' });
  });
  afterAll(() => server?.close());

  async function channelFor(certificate?: Pem) {
    const response = await httpsFetch(`${server.url}/`, {}, { ca: pki.ca.cert, ...certificate });
    return ((await response.json()) as { channel: string | null }).channel;
  }

  it('identifies the channel of a client certificate the CA signed, by common name or by fingerprint', async () => {
    expect(await channelFor(await pki.clientCertificate('bank.example'))).toBe('22222222');
    expect(await channelFor(shop)).toBe('55555555');
    // Only the certificate whose fingerprint is mapped: a new one with the same name is unknown.
    expect(await channelFor(await pki.clientCertificate('shop.example'))).toBeNull();
  });

  it('identifies no channel from a self-signed certificate, an unmapped one, or none, and still serves them', async () => {
    expect(await channelFor(await pki.selfSignedCertificate('bank.example'))).toBeNull();
    expect(await channelFor(await pki.clientCertificate('stranger.example'))).toBeNull();
    expect(await channelFor()).toBeNull();
  });
});

describe('TLS_MIN_VERSION=TLSv1.3', () => {
  it('refuses a client that offers at most TLS 1.2', async () => {
    const app = new Hono().get('/', (c) => c.text('ok'));
    const server = await listen(app, 0, '127.0.0.1', { ...pki.server, minVersion: 'TLSv1.3' });
    try {
      expect(await handshake(server.url, { maxVersion: 'TLSv1.2' })).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
      expect(await handshake(server.url)).toBe('TLSv1.3');
    } finally {
      await server.close();
    }
  });
});

describe('npm run start:api', () => {
  it('refuses to start without a certificate unless plain HTTP is explicitly allowed', async () => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('TLS_') && name !== 'ALLOW_PLAIN_HTTP'),
    );
    // Were it to start, the timeout ends it and the test fails on the exit code.
    const api = promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env, timeout: 45_000 });
    await expect(api).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('set TLS_CERT_FILE and TLS_KEY_FILE (PEM files), or ALLOW_PLAIN_HTTP=true'),
    });
  }, 60_000);
});
