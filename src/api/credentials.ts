import { createHmac, randomBytes, type ScryptOptions, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import type { LoginGuard } from './login-guard';

/**
 * Channel secrets are stored as scrypt hashes that name their own parameters, so the cost can be
 * raised later without invalidating stored hashes: `scrypt.<N>.<r>.<p>.<salt>.<hash>`, base64url.
 * Dots rather than `$`: the value goes into environment variables and docker-compose files, which
 * expand `$`; and `SWITCH_CHANNELS` already uses `:` and `,`.
 */
const cost = { N: 2 ** 14, r: 8, p: 1 }; // 16 MiB and some 50 ms per hash
const stored = /^scrypt\.(\d+)\.(\d+)\.(\d+)\.([\w-]{11,})\.([\w-]{22,})$/;

/** Node refuses scrypt beyond `maxmem` (32 MiB by default); allow what the parameters need. */
const withMemory = (options: { N: number; r: number; p: number }): ScryptOptions => ({
  ...options,
  maxmem: 256 * options.N * options.r,
});

/** The stored form of a secret, with a fresh random salt. */
export function hashSecret(secret: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(secret, salt, 32, withMemory(cost));
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64url'), hash.toString('base64url')].join('.');
}

function parse(value: string) {
  const match = stored.exec(value);
  if (!match) return undefined;
  const [N, r, p] = match.slice(1, 4).map(Number) as [number, number, number];
  // Bounds keep a mistyped stored value from costing gigabytes or minutes.
  const sane = N >= 2 ** 10 && N <= 2 ** 20 && (N & (N - 1)) === 0 && r >= 1 && r <= 32 && p >= 1 && p <= 16;
  return sane
    ? {
        options: withMemory({ N, r, p }),
        salt: Buffer.from(match[4] as string, 'base64url'),
        hash: Buffer.from(match[5] as string, 'base64url'),
      }
    : undefined;
}

/**
 * Whether `secret` is the one `stored` was made from; a malformed stored value matches nothing.
 * Asynchronous so the scrypt runs on libuv's thread pool, not on the event loop every request shares.
 */
export async function verifySecret(secret: string, storedValue: string): Promise<boolean> {
  const parsed = parse(storedValue);
  if (!parsed) return false;
  const derived = await new Promise<Buffer>((resolve, reject) =>
    scrypt(secret, parsed.salt, parsed.hash.length, parsed.options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
  // Equal lengths by construction: the derived key is as long as the stored hash.
  return timingSafeEqual(derived, parsed.hash);
}

export interface SecretVerifier {
  /**
   * Whether `secret` is the secret of client `clientId`, stored as `storedValue`, sent from
   * `address`. Throws LoginThrottled when the check would cost a hash the guard refuses.
   */
  verify(clientId: string, secret: string, storedValue: string, address?: string): Promise<boolean>;
}

/**
 * verifySecret with a memory of recent successes, so a channel's repeated requests cost an HMAC
 * and a lookup instead of an scrypt. Failures are never remembered. Entries are keyed by an HMAC
 * under a key that lives only in this process: the cache holds nothing an attacker could test
 * guesses against. The stored value is part of the key, so a changed hash invalidates old entries.
 */
export function cachedVerifier({
  maxEntries = 1_000,
  verify = verifySecret,
  guard,
}: {
  maxEntries?: number;
  verify?: typeof verifySecret;
  guard?: LoginGuard;
} = {}): SecretVerifier {
  const key = randomBytes(32);
  const verified = new Set<string>(); // oldest first
  // Concurrent first requests of a channel share one scrypt instead of queueing several.
  const pending = new Map<string, Promise<boolean>>();
  return {
    async verify(clientId, secret, storedValue, address = 'unknown') {
      const entry = createHmac('sha256', key)
        .update(JSON.stringify([clientId, secret, storedValue]))
        .digest('base64');
      if (verified.delete(entry)) {
        verified.add(entry);
        return true;
      }
      let check = pending.get(entry);
      if (!check) {
        const hash = () => verify(secret, storedValue);
        check = (guard ? guard.check(address, clientId, hash) : hash()).finally(() => pending.delete(entry));
        pending.set(entry, check);
      }
      if (!(await check)) return false;
      verified.add(entry);
      for (const oldest of verified) {
        if (verified.size <= maxEntries) break;
        verified.delete(oldest);
      }
      return true;
    },
  };
}

/**
 * A stored value to check the secrets of unknown names against, made once per process: an
 * unknown client id or operator name then costs the same hash as a known one, and answers in the
 * same time, so the time tells no one which names exist.
 */
export function decoyHash(): string {
  decoy ??= hashSecret(randomBytes(16).toString('base64url'));
  return decoy;
}
let decoy: string | undefined;
