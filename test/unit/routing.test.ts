import { describe, expect, it } from 'vitest';
import { type RoutingTables, route } from '../../src/domain/routing';

const tables: RoutingTables = {
  findProduct: (id) => (id === 'flash-1voucher' ? { provider: 'flash', voucherProvider: '1Voucher' } : undefined),
  receivers: { '44444444': 'ott' },
  channelDefault: 'stellr',
};

describe('route', () => {
  it('routes by product first, naming its voucher provider', () => {
    expect(route({ productId: 'flash-1voucher', receiverId: '44444444' }, tables)).toEqual({
      ok: true,
      provider: 'flash',
      voucherProvider: '1Voucher',
      by: 'product',
    });
  });

  it('routes by receiver institution when there is no product, then by the channel default', () => {
    expect(route({ receiverId: '44444444' }, tables)).toMatchObject({ provider: 'ott', by: 'receiver' });
    expect(route({ receiverId: '12345678' }, tables)).toMatchObject({ provider: 'stellr', by: 'channel' });
  });

  it('fails for an unknown product rather than guessing another provider', () => {
    expect(route({ productId: 'nope', receiverId: '44444444' }, tables)).toEqual({
      ok: false,
      reason: "no provider sells product 'nope'",
      temporary: false,
    });
  });

  it('fails only for now when the product may be on a catalogue that could not be read', () => {
    const unreadable: RoutingTables = { ...tables, findProduct: () => 'unavailable' };
    expect(route({ productId: 'flash-1voucher' }, unreadable)).toMatchObject({ ok: false, temporary: true });
  });

  it('fails when nothing matches and the channel has no default', () => {
    const result = route({ receiverId: '12345678' }, { ...tables, channelDefault: undefined });
    expect(result.ok).toBe(false);
  });
});
