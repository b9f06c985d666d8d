import { describe, expect, it } from 'vitest';
import { backoffDelay, isUnreachable, untilConnected, whenReachable } from '../../src/startup';

const quiet = { warn: () => {} };
const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

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
        if (attempts < 3) throw refused();
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
    const waiting = untilConnected('the thing', () => Promise.reject(refused()), quiet, stop.signal, {
      firstDelayMs: 60_000,
      maxDelayMs: 60_000,
    });
    stop.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('isUnreachable', () => {
  const withCode = (code: string) => Object.assign(new Error('failed'), { code });
  it.each([
    ['a refused TCP connection', withCode('ECONNREFUSED')],
    ['a reset', withCode('ECONNRESET')],
    ['a name not resolved yet', withCode('ENOTFOUND')],
    ["postgres.js's connect timeout", withCode('CONNECT_TIMEOUT')],
    ['PostgreSQL starting up (57P03)', withCode('57P03')],
    ['a connection failure class (08006)', withCode('08006')],
    [
      'the Temporal core',
      new Error('TransportError: Failed to connect to the server: tcp connect error: Connection refused'),
    ],
    ['a namespace not created yet', new Error('Namespace default is not found.')],
    ['a cause deeper down', new Error('migration failed', { cause: withCode('ECONNREFUSED') })],
  ])('counts %s as not reachable yet', (_, error) => {
    expect(isUnreachable(error)).toBe(true);
  });

  it.each([
    ['a workflow bundle that does not build', new Error('Webpack finished with errors')],
    ['a refused login (28P01)', withCode('28P01')],
    ['a migration that fails on its data (23505)', withCode('23505')],
    ['a programming error', new TypeError('x is not a function')],
  ])('counts %s as a fault that waiting does not heal', (_, error) => {
    expect(isUnreachable(error)).toBe(false);
  });

  it('makes untilConnected give up at once on such a fault', async () => {
    let attempts = 0;
    const fault = new Error('Webpack finished with errors');
    await expect(
      untilConnected(
        'the thing',
        async () => {
          attempts += 1;
          throw fault;
        },
        quiet,
      ),
    ).rejects.toBe(fault);
    expect(attempts).toBe(1);
  });
});

describe('whenReachable', () => {
  it('logs a fault that waiting does not heal, then ends the start with it', async () => {
    const fatal: string[] = [];
    const fault = new Error('Webpack finished with errors');
    const log = { warn: () => {}, fatal: (_: unknown, message: string) => void fatal.push(message) };
    await expect(
      whenReachable('Temporal', () => Promise.reject(fault), log, new AbortController().signal),
    ).rejects.toBe(fault);
    expect(fatal).toEqual(['cannot start: Temporal failed in a way that waiting does not heal']);
  });

  it('never settles once told to stop: the signal handler exits', async () => {
    const stop = new AbortController();
    const log = { warn: () => {}, fatal: () => {} };
    const start = whenReachable('Temporal', () => Promise.reject(refused()), log, stop.signal);
    stop.abort();
    const settled = start.then(
      () => 'settled',
      () => 'settled',
    );
    const afterPendingWork = new Promise((resolve) => setImmediate(() => setImmediate(() => resolve('pending'))));
    expect(await Promise.race([settled, afterPendingWork])).toBe('pending');
  });
});
