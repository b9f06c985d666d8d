import { describe, expect, it } from 'vitest';
import { within } from '../../src/within';

describe('within', () => {
  it('gives what the work gives when it settles in time', async () => {
    await expect(within(1_000, Promise.resolve('found'), 'unsaid')).resolves.toBe('found');
  });

  it('gives the fallback when the work fails', async () => {
    await expect(within(1_000, Promise.reject(new Error('copy down')), 'unsaid')).resolves.toBe('unsaid');
  });

  it('gives the fallback when the work takes longer, and a late failure is not left unhandled', async () => {
    const late = new Promise<string>((_, reject) => setTimeout(() => reject(new Error('too late')), 50));
    await expect(within(5, late, 'unsaid')).resolves.toBe('unsaid');
    await expect(late).rejects.toThrow('too late'); // settled later, and nothing unhandled
  });

  it('does not wait at all when no time is left', async () => {
    await expect(within(-10, new Promise<string>(() => {}), 'unsaid')).resolves.toBe('unsaid');
  });
});
