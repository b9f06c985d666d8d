import * as crypto from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { cachedVerifier, hashSecret, verifySecret } from '../../src/api/credentials';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

let stored: string;
beforeAll(() => {
  stored = hashSecret('correct horse');
});

describe('hashSecret and verifySecret', () => {
  it('verifies the secret a hash was made from and no other', async () => {
    expect(stored).toMatch(/^scrypt\.16384\.8\.1\.[\w-]{22}\.[\w-]{43}$/);
    expect(await verifySecret('correct horse', stored)).toBe(true);
    expect(await verifySecret('correct horse ', stored)).toBe(false);
    expect(await verifySecret('', stored)).toBe(false);
  });

  it('salts every hash afresh', async () => {
    const again = hashSecret('correct horse');
    expect(again).not.toBe(stored);
    expect(again.split('.')[4]).not.toBe(stored.split('.')[4]);
    expect(await verifySecret('correct horse', again)).toBe(true);
  });

  it('matches nothing with a malformed stored value', async () => {
    const [scheme, N, r, p, salt, hash] = stored.split('.');
    const malformed = [
      '',
      'correct horse',
      `bcrypt.${N}.${r}.${p}.${salt}.${hash}`,
      `${scheme}.${N}.${r}.${p}.${salt}`,
      `${scheme}.${N}.${r}.${p}.${salt}.${hash}.extra`,
      `${scheme}.${N}.${r}.${p}.${salt}.${hash?.slice(0, 10)}`,
      `${scheme}.12345.${r}.${p}.${salt}.${hash}`, // N not a power of two
      `${scheme}.${2 ** 30}.${r}.${p}.${salt}.${hash}`, // a gigabyte-sized N
      `${scheme}.${N}.0.${p}.${salt}.${hash}`,
      `${scheme}.${N}.${r}.${p}.${salt}.${hash}=`,
      stored.replace(/.$/, '+'),
    ];
    for (const value of malformed) expect(await verifySecret('correct horse', value), value).toBe(false);
  });

  it('compares in constant time, on buffers of equal length', async () => {
    const compare = vi.mocked(crypto.timingSafeEqual);
    compare.mockClear();
    expect(await verifySecret('wrong', stored)).toBe(false);
    expect(compare).toHaveBeenCalledTimes(1);
    const [a, b] = compare.mock.calls[0] as [Buffer, Buffer];
    expect(a.length).toBe(32);
    expect(b.length).toBe(32);
  });
});

describe('cachedVerifier', () => {
  function counted(options: { maxEntries?: number } = {}) {
    const verify = vi.fn(verifySecret);
    return { verify, verifier: cachedVerifier({ ...options, verify }) };
  }

  it('verifies a repeated success from memory', async () => {
    const { verify, verifier } = counted();
    expect(await verifier.verify('22222222', 'correct horse', stored)).toBe(true);
    expect(await verifier.verify('22222222', 'correct horse', stored)).toBe(true);
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('never remembers a failure', async () => {
    const { verify, verifier } = counted();
    expect(await verifier.verify('22222222', 'wrong', stored)).toBe(false);
    expect(await verifier.verify('22222222', 'wrong', stored)).toBe(false);
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('does not accept another secret, client or stored hash from memory', async () => {
    const { verify, verifier } = counted();
    await verifier.verify('22222222', 'correct horse', stored);
    expect(await verifier.verify('22222222', 'correct horsf', stored)).toBe(false);
    expect(await verifier.verify('55555555', 'correct horse', stored)).toBe(true);
    // The channel's secret was changed: the old one no longer passes.
    expect(await verifier.verify('22222222', 'correct horse', hashSecret('new secret'))).toBe(false);
    expect(verify).toHaveBeenCalledTimes(4);
  });

  it('shares one scrypt between concurrent first requests', async () => {
    const { verify, verifier } = counted();
    const results = await Promise.all([1, 2, 3].map(() => verifier.verify('22222222', 'correct horse', stored)));
    expect(results).toEqual([true, true, true]);
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('forgets the least recently used success beyond its bound', async () => {
    const { verify, verifier } = counted({ maxEntries: 2 });
    for (const client of ['a', 'b', 'a', 'c']) await verifier.verify(client, 'correct horse', stored);
    expect(verify).toHaveBeenCalledTimes(3);
    await verifier.verify('a', 'correct horse', stored); // used recently: kept
    expect(verify).toHaveBeenCalledTimes(3);
    await verifier.verify('b', 'correct horse', stored); // dropped for c
    expect(verify).toHaveBeenCalledTimes(4);
  });
});
