import { readFileSync } from 'node:fs';
import type { Payload } from '@temporalio/common';
import {
  createEncryptionCodec,
  encryptedEncoding,
  insecureDevPayloadKeys,
  parseCodecKeys,
} from '../../src/temporal/codec';

/**
 * The payload codec's cost (`npm run bench -- --codec`): the payloads of a recorded provision
 * (dual messaging, confirmed), encrypted and decrypted as many times as a second allows, in CPU
 * time per provision. Every payload of a history is encrypted once by whoever writes it and
 * decrypted at least once by whoever reads it, so this is the least the codec adds per provision.
 */

const history = new URL(
  '../../test/workflows/histories/before-issue-15/provision-dual-confirmed.json',
  import.meta.url,
);

/** Every payload in the history's JSON (an object with `metadata` and `data`), as the codec takes it. */
function payloadsOf(node: unknown, found: Payload[] = []): Payload[] {
  if (Array.isArray(node)) for (const item of node) payloadsOf(item, found);
  else if (node && typeof node === 'object') {
    const { metadata, data } = node as { metadata?: Record<string, string>; data?: string };
    if (metadata && typeof data === 'string') {
      found.push({
        metadata: Object.fromEntries(
          Object.entries(metadata).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
        ),
        data: Buffer.from(data, 'base64'),
      });
    }
    for (const value of Object.values(node)) payloadsOf(value, found);
  }
  return found;
}

export interface CodecFigures {
  payloads: number;
  encryptedPayloads: number;
  plainBytes: number;
  /** CPU time to encrypt and then decrypt every encrypted payload of one provision once. */
  microsecondsPerProvision: number;
}

export async function measureCodec(seconds = 3): Promise<CodecFigures> {
  const codec = createEncryptionCodec(parseCodecKeys(insecureDevPayloadKeys));
  const all = payloadsOf(JSON.parse(readFileSync(history, 'utf8')));
  const encrypted = all.filter((p) => Buffer.from(p.metadata?.encoding ?? '').toString() === encryptedEncoding);
  const plain = await codec.decode(encrypted);
  let rounds = 0;
  const cpuBefore = process.cpuUsage();
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    await codec.decode(await codec.encode(plain));
    rounds += 1;
  }
  const cpu = process.cpuUsage(cpuBefore);
  return {
    payloads: all.length,
    encryptedPayloads: encrypted.length,
    plainBytes: plain.reduce((sum, p) => sum + (p.data?.length ?? 0), 0),
    microsecondsPerProvision: Math.round(((cpu.user + cpu.system) / rounds) * 10) / 10,
  };
}
