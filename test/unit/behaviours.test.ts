import { describe, expect, it } from 'vitest';
import { BehaviourBook } from '../../src/providers/simulator/behaviours';

describe('BehaviourBook', () => {
  it('applies the newest matching behaviour and forgets a counted one when it is used up', () => {
    const book = new BehaviourBook();
    book.add({ provider: '*', operation: '*', mode: 'error' });
    book.add({ provider: 'flash', operation: 'provision', mode: 'decline', count: 2 });

    expect(book.take('flash', 'provision')?.mode).toBe('decline');
    expect(book.take('ott', 'provision')?.mode).toBe('error');
    expect(book.take('flash', 'provision')?.mode).toBe('decline');
    expect(book.take('flash', 'provision')?.mode).toBe('error');
  });

  it('has nothing to apply after clear', () => {
    const book = new BehaviourBook();
    book.add({ provider: 'flash', operation: 'confirm', mode: 'down' });
    book.clear();
    expect(book.take('flash', 'confirm')).toBeUndefined();
  });
});
