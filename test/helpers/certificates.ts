import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

/** A certificate and its private key, PEM. */
export interface Pem {
  cert: string;
  key: string;
}

/** What a test client presents and trusts. */
export interface ClientTls {
  ca: string;
  cert?: string;
  key?: string;
}

export interface TestPki {
  /** Signs the server's certificate and the channels' client certificates. */
  ca: Pem;
  /** For 127.0.0.1 and localhost. */
  server: Pem;
  /** Signed by the CA for `clientCertificate(cn)`'s common name. */
  clientCertificate(commonName: string): Promise<Pem & { fingerprint256: string }>;
  /** Self-signed, so no CA vouches for it, whatever its common name. */
  selfSignedCertificate(commonName: string): Promise<Pem>;
}

// EC keys: a fraction of the time RSA keys take to generate.
const keys = { keyType: 'ec', algorithm: 'sha256' } as const;

type Extensions = NonNullable<Parameters<typeof generate>[1]>['extensions'];

async function issue(commonName: string, ca: Pem | undefined, extensions: Extensions) {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    ...keys,
    extensions,
    ...(ca && { ca: { key: ca.key, cert: ca.cert } }),
  });
  // selfsigned's own fingerprint is SHA-1; Node reports SHA-256 as `fingerprint256`.
  return { cert: pems.cert, key: pems.private, fingerprint256: new X509Certificate(pems.cert).fingerprint256 };
}

const clientExtensions = [
  { name: 'basicConstraints', cA: false },
  { name: 'keyUsage', digitalSignature: true },
  { name: 'extKeyUsage', clientAuth: true },
] as const;

/** A test CA with a server certificate, generated afresh (no key material in the repository). */
export async function createTestPki(): Promise<TestPki> {
  const ca = await issue('Voucher Switch Test CA', undefined, [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
  ]);
  const server = await issue('localhost', ca, [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
      ],
    },
  ]);
  return {
    ca,
    server,
    clientCertificate: (commonName) => issue(commonName, ca, [...clientExtensions]),
    selfSignedCertificate: (commonName) => issue(commonName, undefined, [...clientExtensions]),
  };
}

export interface PkiFiles {
  /** TLS_CERT_FILE, TLS_KEY_FILE and TLS_CA_FILE for the switch. */
  env: Record<'TLS_CERT_FILE' | 'TLS_KEY_FILE' | 'TLS_CA_FILE', string>;
  remove(): void;
}

/** Writes the server's certificate, key and the CA to a temporary directory, as an operator would. */
export function writePkiFiles(pki: TestPki): PkiFiles {
  const dir = mkdtempSync(join(tmpdir(), 'switch-tls-'));
  const file = (name: string, pem: string) => {
    const path = join(dir, name);
    writeFileSync(path, pem, { mode: 0o600 });
    return path;
  };
  return {
    env: {
      TLS_CERT_FILE: file('server.crt', pki.server.cert),
      TLS_KEY_FILE: file('server.key', pki.server.key),
      TLS_CA_FILE: file('ca.crt', pki.ca.cert),
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * `fetch` over HTTPS with a given CA and client certificate. Node's global fetch cannot take them
 * without undici's Agent, which is not a dependency here.
 */
export function httpsFetch(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
  tls: ClientTls,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: init.method ?? 'GET', headers: init.headers, agent: false, ...tls });
    outgoing.once('response', (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.once('error', reject);
      incoming.once('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(incoming.headers)) {
          for (const v of [value ?? []].flat()) headers.append(name, v);
        }
        const status = incoming.statusCode ?? 0;
        const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
        resolve(new Response(body, { status, headers }));
      });
    });
    outgoing.once('error', reject);
    outgoing.end(init.body);
  });
}
