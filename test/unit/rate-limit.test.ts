import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { ChannelVariables } from '../../src/api/auth';
import { rateLimit } from '../../src/api/rate-limit';
import { tokenBuckets } from '../../src/api/token-buckets';

function fakeClock() {
  let ms = 0;
  return { now: () => ms, advance: (by: number) => (ms += by) };
}

describe('tokenBuckets', () => {
  it('grants a burst, then refuses with the seconds until the next token', () => {
    const clock = fakeClock();
    const buckets = tokenBuckets({ ratePerSecond: 0.5, burst: 3, now: clock.now });
    expect([1, 2, 3].map(() => buckets.take('a'))).toEqual([0, 0, 0]);
    expect(buckets.take('a')).toBe(2);
  });

  it('refills at the configured rate, up to the burst', () => {
    const clock = fakeClock();
    const buckets = tokenBuckets({ ratePerSecond: 2, burst: 2, now: clock.now });
    buckets.take('a');
    buckets.take('a');
    clock.advance(400);
    expect(buckets.take('a')).toBe(1); // 0.8 of a token
    clock.advance(100);
    expect(buckets.take('a')).toBe(0);
    clock.advance(60_000);
    expect([1, 2, 3].map(() => buckets.take('a'))).toEqual([0, 0, 1]);
  });

  it('keeps each key to its own bucket', () => {
    const clock = fakeClock();
    const buckets = tokenBuckets({ ratePerSecond: 1, burst: 1, now: clock.now });
    expect(buckets.take('channel:22222222')).toBe(0);
    expect(buckets.take('channel:22222222')).toBe(1);
    expect(buckets.take('channel:55555555')).toBe(0);
  });

  it('drops buckets that have been idle long enough to be full', () => {
    const clock = fakeClock();
    const buckets = tokenBuckets({ ratePerSecond: 1, burst: 5, now: clock.now });
    for (const key of ['a', 'b', 'c']) buckets.take(key);
    clock.advance(3_000);
    buckets.take('b');
    expect(buckets.size).toBe(3);
    clock.advance(2_000);
    buckets.take('d');
    expect(buckets.size).toBe(2); // b and d; a and c were full again
  });

  it('keeps no more than maxBuckets', () => {
    const clock = fakeClock();
    const buckets = tokenBuckets({ ratePerSecond: 1, burst: 5, maxBuckets: 100, now: clock.now });
    for (let i = 0; i < 1_000; i++) buckets.take(`address:${i}`);
    expect(buckets.size).toBe(100);
  });
});

describe('rateLimit', () => {
  function app(clock = fakeClock()) {
    const hono = new Hono<{ Variables: ChannelVariables }>();
    hono.use('*', async (c, next) => {
      const clientId = c.req.header('x-channel');
      c.set('channel', clientId ? { clientId, secretHash: '', messaging: 'dual' } : undefined);
      await next();
    });
    hono.use('*', rateLimit({ ratePerSecond: 1, burst: 2, now: clock.now }));
    hono.post('/suv/v1/vouchers/confirmations', (c) => c.body(null, 202));
    return hono;
  }
  const advice = { id: '11111111-2222-3333-4444-555555555555', requestId: '66666666-7777-8888-9999-000000000000' };
  const post = (hono: ReturnType<typeof app>, channel?: string) =>
    hono.request('/suv/v1/vouchers/confirmations', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(channel && { 'x-channel': channel }) },
      body: JSON.stringify(advice),
    });

  it('answers 429 with Retry-After and an ErrorDetail naming the advice', async () => {
    const hono = app();
    expect((await post(hono, '22222222')).status).toBe(202);
    expect((await post(hono, '22222222')).status).toBe(202);
    const refused = await post(hono, '22222222');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toEqual({
      id: advice.id,
      originalId: advice.requestId,
      errorType: 'GENERAL_ERROR',
      errorMessage: 'Too many requests; retry in 1 s.',
    });
  });

  it('limits each channel apart, and unauthenticated requests by address', async () => {
    const clock = fakeClock();
    const hono = app(clock);
    for (const channel of ['22222222', '22222222', undefined, undefined]) {
      expect((await post(hono, channel)).status).toBe(202);
    }
    expect((await post(hono, '22222222')).status).toBe(429);
    expect((await post(hono, undefined)).status).toBe(429);
    expect((await post(hono, '55555555')).status).toBe(202);
    clock.advance(1_000);
    expect((await post(hono, '22222222')).status).toBe(202);
  });
});
