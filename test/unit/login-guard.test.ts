import { describe, expect, it } from 'vitest';
import { LoginThrottled, loginGuard } from '../../src/api/login-guard';

const options = {
  hashesPerSecond: 10,
  hashBurst: 5,
  attemptsPerSecond: 1,
  attemptBurst: 3,
  concurrency: 2,
  failuresBeforeBackoff: 5,
  tarpitMs: 0,
};

function guarded(overrides: Partial<typeof options> = {}) {
  const clock = { now: 0 };
  const guard = loginGuard({ ...options, ...overrides, now: () => clock.now });
  let hashes = 0;
  const attempt = (address: string, name: string, verified = false) =>
    guard.check(address, name, async () => {
      hashes += 1;
      return verified;
    });
  return { clock, attempt, hashes: () => hashes };
}

/** Whether the attempt was refused before any hash. */
const refused = (attempt: Promise<boolean>) =>
  attempt.then(
    () => false,
    (error) => error instanceof LoginThrottled,
  );

describe('loginGuard', () => {
  it('lets one address try its burst, then refuses it before any hash, while other addresses go on', async () => {
    const { attempt, hashes } = guarded();
    for (let i = 0; i < 3; i++) expect(await refused(attempt('10.0.0.1', `bank-${i}`))).toBe(false);
    expect(await refused(attempt('10.0.0.1', 'bank-9'))).toBe(true);
    expect(hashes()).toBe(3);
    expect(await attempt('10.0.0.2', 'shop', true)).toBe(true);
  });

  it('limits the attempts at one name, whatever the addresses they come from', async () => {
    const { attempt } = guarded();
    for (let i = 0; i < 3; i++) await attempt(`10.0.1.${i}`, 'bank');
    expect(await refused(attempt('10.0.1.9', 'bank'))).toBe(true);
    expect(await refused(attempt('10.0.1.9', 'shop'))).toBe(false);
  });

  it('keeps every caller together within the hashing budget', async () => {
    const { attempt, hashes } = guarded({ attemptBurst: 100 });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => refused(attempt(`10.0.2.${i}`, `name-${i}`))),
    );
    expect(results.filter((throttled) => !throttled)).toHaveLength(5);
    expect(hashes()).toBe(5);
  });

  it('makes an address whose attempts keep failing wait, doubling, and forgets it after a success', async () => {
    const { clock, attempt } = guarded({ attemptBurst: 100, hashBurst: 100, attemptsPerSecond: 100 });
    for (let i = 0; i < 5; i++) await attempt('10.0.3.1', 'bank');
    // Five failures: one second to wait.
    await expect(attempt('10.0.3.1', 'bank')).rejects.toMatchObject({ retryAfterSeconds: 1 });
    clock.now += 1_000;
    await attempt('10.0.3.1', 'bank'); // a sixth failure: two seconds
    clock.now += 1_500;
    expect(await refused(attempt('10.0.3.1', 'bank'))).toBe(true);
    clock.now += 500;
    expect(await attempt('10.0.3.1', 'bank', true)).toBe(true);
    expect(await refused(attempt('10.0.3.1', 'bank'))).toBe(false);
  });

  it('runs at most `concurrency` hashes at once; the others wait their turn', async () => {
    const guard = loginGuard({ ...options, attemptBurst: 100, hashBurst: 100, now: () => 0 });
    let running = 0;
    let most = 0;
    const hash = async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      return true;
    };
    await Promise.all(Array.from({ length: 10 }, (_, i) => guard.check(`10.0.4.${i}`, `name-${i}`, hash)));
    expect(most).toBe(2);
  });
});
