import { describe, expect, it } from 'vitest';
import { backoffDelay, untilConnected } from '../../src/startup';

const quiet = { warn: () => {} };

describe('backoffDelay', () => {
  it('doubles from the first pause and stops at the bound', () => {
    const backoff = { firstDelayMs: 500, maxDelayMs: 30_000 };
    expect([1, 2, 3, 4, 7, 8, 20].map((attempt) => backoffDelay(attempt, backoff))).toEqual([
      500, 1_000, 2_000, 4_000, 30_000, 30_000, 30_000,
    ]);
  });
});

describe('untilConnected', () => {
  it('tries again after each failure, and gives the first success', async () => {
    let attempts = 0;
    const warnings: unknown[] = [];
    const connected = await untilConnected(
      'the thing',
      async () => {
        attempts += 1;
        if (attempts < 3) throw new Error('refused');
        return 'connected';
      },
      { warn: (fields: unknown) => warnings.push(fields) },
      undefined,
      { firstDelayMs: 1, maxDelayMs: 2 },
    );
    expect(connected).toBe('connected');
    expect(attempts).toBe(3);
    expect(warnings).toEqual([
      expect.objectContaining({ attempt: 1, retryInMs: 1 }),
      expect.objectContaining({ attempt: 2, retryInMs: 2 }),
    ]);
  });

  it('stops waiting when told to stop', async () => {
    const stop = new AbortController();
    const waiting = untilConnected('the thing', () => Promise.reject(new Error('refused')), quiet, stop.signal, {
      firstDelayMs: 60_000,
      maxDelayMs: 60_000,
    });
    stop.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
  });
});
