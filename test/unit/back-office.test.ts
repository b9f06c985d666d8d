import { describe, expect, it } from 'vitest';
import { backOfficeActions, mayApprove, needsApproval } from '../../src/domain/back-office';

describe('four eyes', () => {
  it('hold back only the actions that move money, and only when configured', () => {
    const held = backOfficeActions.filter((action) => needsApproval(action, true));
    expect(held).toEqual(['confirm', 'reverse', 'settle-advice-by-hand']);
    expect(backOfficeActions.filter((action) => needsApproval(action, false))).toEqual([]);
  });

  it('need a second operator: never the one who asked', () => {
    expect(mayApprove('ann', 'bob')).toBe(true);
    expect(mayApprove('ann', 'ann')).toBe(false);
  });
});
