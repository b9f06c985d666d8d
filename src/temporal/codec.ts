import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec, ValueError } from '@temporalio/common';
import proto from '@temporalio/proto';

/**
 * Encrypts every Temporal payload (arguments, results, signals, updates, memos, failures'
 * details) with AES-256-GCM, since any of them may carry a voucher code. The whole original
 * Payload, metadata included, is serialised with protobuf and encrypted, so the server sees
 * neither the value nor its encoding. The key id travels in the clear so keys can rotate:
 * encode uses the active key, decode whichever key a payload names.
 */

export const encryptedEncoding = 'binary/encrypted';
export const keyIdMetadataKey = 'encryption-key-id';
const algorithm = 'aes-256-gcm';
const ivBytes = 12;
const tagBytes = 16;
const keyBytes = 32;
const ProtoPayload = proto.temporal.api.common.v1.Payload;

export interface CodecKeys {
  /** 32-byte AES keys by id. Keep retired keys listed as long as histories encrypted with them must stay readable. */
  keys: Record<string, Buffer>;
  /** The key new payloads are encrypted with. */
  activeKeyId: string;
}

export interface EncryptionCodecOptions {
  /**
   * Refuse a payload that is not encrypted instead of passing it through (production): a payload
   * the switch did not write, such as a signal sent straight to Temporal by someone without the
   * keys, is never taken for the switch's own.
   */
  refusePlain?: boolean;
}

/** The codec for `dataConverter: { payloadCodecs: [codec] }` on every client and worker. */
export function createEncryptionCodec(
  { keys, activeKeyId }: CodecKeys,
  { refusePlain = false }: EncryptionCodecOptions = {},
): PayloadCodec {
  // A Map, so that an id such as 'constructor' read from a payload finds no inherited property.
  const byId = new Map(Object.entries(keys));
  for (const [id, key] of byId) {
    if (key.length !== keyBytes) throw new Error(`Payload key '${id}' has ${key.length} bytes; AES-256 needs 32.`);
  }
  const activeKey = byId.get(activeKeyId);
  if (!activeKey) throw new Error(`The active payload key '${activeKeyId}' is not among the configured keys.`);
  const text = new TextEncoder();
  const metadata = () => ({
    [METADATA_ENCODING_KEY]: text.encode(encryptedEncoding),
    [keyIdMetadataKey]: text.encode(activeKeyId),
  });

  return {
    async encode(payloads) {
      return payloads.map((payload) => {
        const iv = randomBytes(ivBytes);
        const cipher = createCipheriv(algorithm, activeKey, iv);
        const clear = ProtoPayload.encode(payload).finish();
        return {
          metadata: metadata(),
          data: Buffer.concat([iv, cipher.update(clear), cipher.final(), cipher.getAuthTag()]),
        };
      });
    },
    async decode(payloads) {
      return payloads.map((payload): Payload => {
        const meta = payload.metadata ?? {};
        if (decodeText(meta[METADATA_ENCODING_KEY]) !== encryptedEncoding) {
          if (refusePlain)
            throw new ValueError('A payload is not encrypted; the switch takes encrypted payloads only.');
          return payload;
        }
        const keyId = decodeText(meta[keyIdMetadataKey]);
        if (!keyId) throw new ValueError(`An encrypted payload has no '${keyIdMetadataKey}'.`);
        const key = byId.get(keyId);
        if (!key) {
          throw new ValueError(`A payload is encrypted with key '${keyId}', which is not configured (rotated out?).`);
        }
        const data = Buffer.from(payload.data ?? []);
        if (data.length < ivBytes + tagBytes) throw new ValueError('An encrypted payload is too short.');
        const decipher = createDecipheriv(algorithm, key, data.subarray(0, ivBytes));
        decipher.setAuthTag(data.subarray(data.length - tagBytes));
        try {
          const clear = Buffer.concat([
            decipher.update(data.subarray(ivBytes, data.length - tagBytes)),
            decipher.final(),
          ]);
          return ProtoPayload.decode(clear);
        } catch {
          // GCM authenticates: a wrong key or altered bytes both end here.
          throw new ValueError(`A payload encrypted with key '${keyId}' failed authentication: wrong key or tampered.`);
        }
      });
    },
  };
}

function decodeText(bytes: Uint8Array | null | undefined): string | undefined {
  return bytes ? new TextDecoder().decode(bytes) : undefined;
}

const keyIdPattern = /^[A-Za-z0-9._-]+$/;
const base64Key = /^[A-Za-z0-9+/]{43}=$/;

/**
 * Parses `id:base64,id:base64,…`, the first entry being the active key; e.g.
 * `PAYLOAD_KEYS="k2:<new>,k1:<old>"` after a rotation. Make a key with `openssl rand -base64 32`.
 * Error messages name key ids and positions, never key material.
 */
export function parseCodecKeys(value: string, variable = 'PAYLOAD_KEYS'): CodecKeys {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error(`${variable} is empty: give at least one key as id:<base64 of 32 bytes>.`);
  const keys = new Map<string, Buffer>();
  for (const [index, entry] of entries.entries()) {
    const where = `${variable} entry ${index + 1}`;
    const colon = entry.indexOf(':');
    const id = colon < 0 ? '' : entry.slice(0, colon).trim();
    const material = entry.slice(colon + 1).trim();
    if (!keyIdPattern.test(id)) {
      throw new Error(`${where} must look like id:<base64 key>, the id made of A-Z a-z 0-9 . _ -.`);
    }
    if (keys.has(id)) throw new Error(`${where} repeats the key id '${id}'.`);
    if (!base64Key.test(material)) {
      throw new Error(`${where} ('${id}') is not 32 bytes in base64; make one with \`openssl rand -base64 32\`.`);
    }
    keys.set(id, Buffer.from(material, 'base64'));
  }
  // The first entry, read from the Map: an object would put integer-like ids ('2', '1') in numeric order.
  return { keys: Object.fromEntries(keys), activeKeyId: keys.keys().next().value as string };
}

/**
 * A published key for local development and tests only: anyone can read payloads encrypted
 * with it. Its id says so in every payload's metadata.
 */
export const insecureDevKeyId = 'insecure-dev';
export const insecureDevPayloadKeys = `${insecureDevKeyId}:ZGV2LW9ubHkgcGF5bG9hZCBrZXksIG5vdCBzZWNyZXQ=`;
