import { setTimeout as delay } from 'node:timers/promises';
import { tokenBuckets } from './token-buckets';

/**
 * A credential check that would cost a password hash was refused before it cost anything:
 * `retryAfterSeconds` says when the same caller may try again.
 */
export class LoginThrottled extends Error {
  override name = 'LoginThrottled';
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many login attempts; retry in ${retryAfterSeconds} s.`);
  }
}

export interface LoginGuardOptions {
  /** Hashes per second that all unverified logins together may cost, and their burst. */
  hashesPerSecond: number;
  hashBurst: number;
  /** Attempts per second, and burst, for one source address, and for one client id or operator name. */
  attemptsPerSecond: number;
  attemptBurst: number;
  /** Hashes at once; more wait, up to a short queue, then are refused. */
  concurrency: number;
  /** Failures in a row from one address before it must wait. */
  failuresBeforeBackoff: number;
  /** Milliseconds on a monotonic clock; tests pass a fake one. */
  now?: () => number;
  /** How long a refusal is held before it is sent (see `defaultTarpitMs`). */
  tarpitMs?: number;
}

/**
 * How long a refusal is held before it is sent: refusing costs the switch little, but a flood of
 * cheap refusals would still fill its event loop. Held, each connection of the flood waits for its
 * answer before it sends its next attempt.
 */
const defaultTarpitMs = 1_000;
/** The longest an address whose attempts keep failing waits. */
const maxBackoffMs = 5 * 60_000;
const maxWaiting = 32;
const maxTrackedAddresses = 10_000;

export type LoginGuard = ReturnType<typeof loginGuard>;

/**
 * What stands between an unauthenticated caller and the password hash (scrypt: some 50 ms of a
 * thread-pool thread each). Before any hash: a token per source address, per name tried, and
 * from a budget shared by every caller; an address whose attempts keep failing waits, doubling
 * from a second up to five minutes; and only `concurrency` hashes run at once. A success is
 * cached by the verifier, so a channel's later requests never come here.
 */
export function loginGuard(options: LoginGuardOptions) {
  const now = options.now ?? (() => performance.now());
  const tarpitMs = options.tarpitMs ?? defaultTarpitMs;
  const attempts = { ratePerSecond: options.attemptsPerSecond, burst: options.attemptBurst, now };
  const byAddress = tokenBuckets(attempts);
  const byName = tokenBuckets(attempts);
  const budget = tokenBuckets({ ratePerSecond: options.hashesPerSecond, burst: options.hashBurst, now });
  const failures = new Map<string, { count: number; until: number }>(); // least recently failed first
  let running = 0;
  const waiting: Array<() => void> = [];

  async function slot(): Promise<() => void> {
    if (running >= options.concurrency) {
      if (waiting.length >= maxWaiting) throw new LoginThrottled(1);
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      running += 1;
    }
    // A released slot passes straight to the next waiter, so `running` counts it still.
    return () => {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    };
  }

  function noteFailure(address: string) {
    const previous = failures.get(address);
    const count = (previous?.count ?? 0) + 1;
    const free = options.failuresBeforeBackoff;
    const waitMs = count < free ? 0 : Math.min(maxBackoffMs, 1000 * 2 ** (count - free));
    failures.delete(address);
    failures.set(address, { count, until: now() + waitMs });
    if (failures.size > maxTrackedAddresses) failures.delete(failures.keys().next().value as string);
  }

  return {
    /**
     * Runs `hash`, the check of a secret `name` sent from `address`, within every limit; throws
     * LoginThrottled, having hashed nothing, past one.
     */
    async check(address: string, name: string, hash: () => Promise<boolean>): Promise<boolean> {
      const backoff = failures.get(address);
      const waitSeconds =
        backoff && now() < backoff.until
          ? Math.ceil((backoff.until - now()) / 1000)
          : byAddress.take(address) || byName.take(name) || budget.take('all');
      if (waitSeconds > 0) {
        await delay(Math.min(tarpitMs, waitSeconds * 1000));
        throw new LoginThrottled(waitSeconds);
      }
      const release = await slot();
      let verified: boolean;
      try {
        verified = await hash();
      } finally {
        release();
      }
      if (verified) failures.delete(address);
      else noteFailure(address);
      return verified;
    },
  };
}
