import { type PeerCertificate, TLSSocket } from 'node:tls';
import type { HttpBindings } from '@hono/node-server';
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';

/** Which channel a verified client certificate stands for: by SHA-256 fingerprint, or by subject CN. */
export interface ClientChannels {
  /** Fingerprint as upper-case hex without colons → clientId. */
  fingerprints: ReadonlyMap<string, string>;
  /** Subject common name → clientId. */
  commonNames: ReadonlyMap<string, string>;
}

/** The channel API's TLS, from the configuration. */
export interface TlsSettings {
  /** PEM: the server's certificate chain and its private key. */
  cert: string;
  key: string;
  /** PEM: the CA that signs channels' client certificates; set, the server asks for them (mutual TLS). */
  ca?: string;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  clientChannels: ClientChannels;
}

const fingerprintKey = (fingerprint: string) => fingerprint.replaceAll(':', '').toUpperCase();

/**
 * `TLS_CLIENT_CHANNELS`: `cn:<common name>=<clientId>` or `sha256:<fingerprint>=<clientId>`,
 * comma-separated; a fingerprint may be written with or without colons, in either case.
 */
export const clientChannelsSchema = z.string().transform((value, ctx): ClientChannels => {
  const fingerprints = new Map<string, string>();
  const commonNames = new Map<string, string>();
  for (const entry of value.split(',').map((e) => e.trim())) {
    if (!entry) continue;
    const [, kind = '', name = '', clientId = ''] = /^(cn|sha256):(.+)=([^=]+)$/i.exec(entry) ?? [];
    const byFingerprint = kind.toLowerCase() === 'sha256';
    const subject = byFingerprint ? fingerprintKey(name.trim()) : name.trim();
    const map = byFingerprint ? fingerprints : commonNames;
    if (!kind || (byFingerprint && !/^[0-9A-F]{64}$/.test(subject))) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not cn:<name>=<clientId> or sha256:<64 hex>=<clientId>` });
    } else if (map.has(subject)) {
      ctx.addIssue({ code: 'custom', message: `"${name.trim()}" is mapped twice` });
    } else {
      map.set(subject, clientId.trim());
    }
  }
  return { fingerprints, commonNames };
});

/** The channel a certificate is mapped to, by fingerprint first (it names one certificate), then by CN. */
export function channelOfCertificate(
  certificate: Pick<PeerCertificate, 'fingerprint256' | 'subject'>,
  channels: ClientChannels,
): string | undefined {
  const byFingerprint =
    certificate.fingerprint256 && channels.fingerprints.get(fingerprintKey(certificate.fingerprint256));
  const commonName = certificate.subject?.CN;
  // Several CNs in one subject are ambiguous: such a certificate is only known by its fingerprint.
  return byFingerprint || (typeof commonName === 'string' ? channels.commonNames.get(commonName) : undefined);
}

/**
 * The clientId of the connection's client certificate, when the configured CA verified it and it is
 * mapped; otherwise undefined (no certificate, one the CA did not sign, or not mutual TLS at all).
 * `socket` is `c.env.incoming.socket` under @hono/node-server; anything else gives undefined.
 */
export function certificateChannel(socket: unknown, channels: ClientChannels | undefined): string | undefined {
  // The server asks for certificates without rejecting bad ones (credentials may still follow),
  // so `authorized` is what says the CA signed this one.
  if (!channels || !(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  return channelOfCertificate(socket.getPeerCertificate(), channels);
}

export interface CertificateChannelVariables {
  /** The clientId proven by the client certificate, if any. */
  certificateChannel: string | undefined;
}

/** Sets `c.var.certificateChannel` for the request's handlers. */
export function identifyCertificateChannel(
  channels: ClientChannels | undefined,
): MiddlewareHandler<{ Bindings: Partial<HttpBindings>; Variables: CertificateChannelVariables }> {
  return async (c, next) => {
    // `c.env` is absent under `app.request()` in tests.
    c.set('certificateChannel', certificateChannel(c.env?.incoming?.socket, channels));
    await next();
  };
}
