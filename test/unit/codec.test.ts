import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload, ValueError } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import {
  createEncryptionCodec,
  encryptedEncoding,
  insecureDevKeyId,
  insecureDevPayloadKeys,
  keyIdMetadataKey,
  parseCodecKeys,
} from '../../src/temporal/codec';

const voucherCode = '7395018246153829';
const toPayload = (value: unknown) => defaultPayloadConverter.toPayload(value) as Payload;
const fromPayload = (payload: Payload) => defaultPayloadConverter.fromPayload(payload);
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const newKey = () => randomBytes(32).toString('base64');

const k1 = newKey();
const k2 = newKey();

describe('encryption codec', () => {
  const codec = createEncryptionCodec(parseCodecKeys(`k1:${k1}`));

  it('round-trips payloads, metadata included', async () => {
    const values = [{ voucher: { code: voucherCode, serialNumber: 'S-1' } }, 'plain', 42, null];
    const encoded = await codec.encode(values.map(toPayload));
    const decoded = await codec.decode(encoded);

    expect(decoded.map(fromPayload)).toEqual(values);
    expect(text(decoded[0]?.metadata?.encoding)).toBe('json/plain');
  });

  it('leaves no voucher code, and no clear encoding, in the encrypted payload', async () => {
    const [encrypted] = await codec.encode([toPayload({ code: voucherCode })]);

    expect(text(encrypted?.metadata?.encoding)).toBe(encryptedEncoding);
    expect(text(encrypted?.metadata?.[keyIdMetadataKey])).toBe('k1');
    expect(Buffer.from(encrypted?.data ?? []).includes(voucherCode)).toBe(false);
    expect(Buffer.from(encrypted?.data ?? []).includes('json/plain')).toBe(false);
  });

  it('passes a plain payload through in development, and refuses it when told to (production)', async () => {
    const plain = toPayload({ injected: 'by someone without the keys' });
    expect(await codec.decode([plain])).toEqual([plain]);
    const strict = createEncryptionCodec(parseCodecKeys(`k1:${k1}`), { refusePlain: true });
    await expect(strict.decode([plain])).rejects.toThrow(/not encrypted/);
    const [encrypted] = await strict.encode([toPayload('ok')]);
    expect((await strict.decode([encrypted as Payload])).map(fromPayload)).toEqual(['ok']);
  });

  it('uses a fresh IV each time', async () => {
    const [a, b] = await codec.encode([toPayload(voucherCode), toPayload(voucherCode)]);
    expect(Buffer.from(a?.data ?? []).equals(Buffer.from(b?.data ?? []))).toBe(false);
  });

  it('decodes payloads of the retired key after a rotation, and encrypts new ones with the new key', async () => {
    const old = await codec.encode([toPayload({ code: voucherCode })]);
    const rotated = createEncryptionCodec(parseCodecKeys(`k2:${k2},k1:${k1}`));

    expect((await rotated.decode(old)).map(fromPayload)).toEqual([{ code: voucherCode }]);
    const [fresh] = await rotated.encode([toPayload('new')]);
    expect(text(fresh?.metadata?.[keyIdMetadataKey])).toBe('k2');
  });

  it('names the key id when a payload was encrypted with a key no longer configured', async () => {
    const old = await codec.encode([toPayload('x')]);
    const without = createEncryptionCodec(parseCodecKeys(`k2:${k2}`));

    await expect(without.decode(old)).rejects.toThrow(ValueError);
    await expect(without.decode(old)).rejects.toThrow(/key 'k1', which is not configured/);
  });

  it('refuses tampered ciphertext', async () => {
    const [encrypted] = (await codec.encode([toPayload({ code: voucherCode })])) as [Payload];
    const data = Buffer.from(encrypted.data ?? []);
    data[20] = (data[20] ?? 0) ^ 1;

    await expect(codec.decode([{ ...encrypted, data }])).rejects.toThrow(/failed authentication/);
  });

  it('refuses a payload whose key id was swapped for another configured key', async () => {
    const both = createEncryptionCodec(parseCodecKeys(`k1:${k1},k2:${k2}`));
    const [encrypted] = (await both.encode([toPayload('x')])) as [Payload];
    const relabelled = { ...encrypted, metadata: { ...encrypted.metadata, [keyIdMetadataKey]: Buffer.from('k2') } };

    await expect(both.decode([relabelled])).rejects.toThrow(/key 'k2' failed authentication/);
  });

  it('passes payloads that are not encrypted through decode unchanged', async () => {
    const clear = toPayload({ code: voucherCode });
    const [decoded] = await codec.decode([clear]);
    expect(decoded).toBe(clear);
  });

  it('refuses keys that are not 32 bytes and an active key that is missing', () => {
    expect(() => createEncryptionCodec({ keys: { a: randomBytes(16) }, activeKeyId: 'a' })).toThrow(/16 bytes/);
    expect(() => createEncryptionCodec({ keys: { a: randomBytes(32) }, activeKeyId: 'b' })).toThrow(/'b'/);
  });
});

describe('parseCodecKeys', () => {
  it('takes the first entry as the active key, even with numeric ids', () => {
    const parsed = parseCodecKeys(` 2:${k2} , 1:${k1} `);
    expect(parsed.activeKeyId).toBe('2');
    expect(Object.keys(parsed.keys).sort()).toEqual(['1', '2']);
    expect(parsed.keys['1']?.equals(Buffer.from(k1, 'base64'))).toBe(true);
  });

  it('parses the development key', () => {
    expect(parseCodecKeys(insecureDevPayloadKeys).activeKeyId).toBe(insecureDevKeyId);
  });

  it.each([
    ['', /is empty/],
    [k1, /entry 1 must look like id:<base64 key>/],
    [`k1:${k1},:${k2}`, /entry 2 must look like id:<base64 key>/],
    [`k1:${k1},k1:${k2}`, /entry 2 repeats the key id 'k1'/],
    [`k1:${randomBytes(16).toString('base64')}`, /entry 1 \('k1'\) is not 32 bytes in base64.*openssl rand -base64 32/],
    [`k1:${k1.slice(0, -2)}!=`, /entry 1 \('k1'\) is not 32 bytes/],
  ])('refuses %j', (value, message) => {
    expect(() => parseCodecKeys(value)).toThrow(message);
  });

  it('never echoes key material in its errors', () => {
    const short = randomBytes(16).toString('base64');
    expect(() => parseCodecKeys(`k1:${short}`)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(short) }),
    );
  });
});
