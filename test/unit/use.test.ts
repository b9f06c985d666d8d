import { describe, expect, it } from 'vitest';
import { providerIds } from '../../src/domain/providers';
import { type UseInput, useOrder } from '../../src/domain/use';
import type { VoucherRecord } from '../../src/domain/voucher';

const voucher = {
  provision: { channelId: 'bank', requestId: 'P-1', switchReference: 'SW-PROV' },
  lastRedemption: 'SW-REDEEM',
} as VoucherRecord;

const input = (type: UseInput['type']): UseInput => ({
  type,
  transactionId: `${type}-bank-1`,
  switchReference: 'SW-USE',
  channelId: 'bank',
  messaging: 'dual',
  voucherKey: 'k',
  deadlinesMs: Object.fromEntries(providerIds.map((id) => [id, 1000])) as UseInput['deadlinesMs'],
  settleAfterMs: 1000,
  switchInstitution: { id: '33333333', name: 'Voucher Switch' },
  request: { id: 'U-1', voucher: { code: '1234' } } as UseInput['request'],
  receivedAt: '2026-01-01T00:00:00Z',
});

describe('useOrder', () => {
  it('names, for a refund, the redemption it gives back; a redemption names none', () => {
    expect(useOrder(input('refund'), voucher)).toEqual({
      reference: 'SW-USE',
      channelMessageId: 'U-1',
      voucherCode: '1234',
      provisionReference: 'SW-PROV',
      redemptionReference: 'SW-REDEEM',
    });
    expect(useOrder(input('redemption'), voucher)).not.toHaveProperty('redemptionReference');
  });
});
