import type { CatalogueProduct } from '../../domain/provider-protocol';
import type { ProviderId } from '../../domain/providers';

const zar = (amount: number) => ({ amount, currency: '710' });

const fixed = (productId: string, name: string, voucherProvider: string, cents: number): CatalogueProduct => ({
  productId,
  name,
  voucherProvider,
  isFixedValue: true,
  amount: zar(cents),
});

const variable = (productId: string, name: string, voucherProvider: string): CatalogueProduct => ({
  productId,
  name,
  voucherProvider,
  isFixedValue: false,
  minAmount: zar(1_000),
  maxAmount: zar(500_000),
});

/** The products each simulated provider offers. Product ids are unique across providers. */
export const simulatedCatalogue: Record<ProviderId, CatalogueProduct[]> = {
  stellr: [fixed('stellr-takealot-100', 'Takealot R100', 'Takealot', 10_000), variable('stellr-uber', 'Uber', 'Uber')],
  netcare: [fixed('netcare-gp-visit', 'Netcare GP consultation', 'Netcare', 55_000)],
  lottostar: [variable('lottostar-bet', 'Lottostar betting voucher', 'Lottostar')],
  hollywoodbets: [variable('hollywoodbets-bet', 'Hollywoodbets betting voucher', 'Hollywoodbets')],
  supabets: [variable('supabets-bet', 'Supabets betting voucher', 'Supabets')],
  ott: [variable('ott-voucher', 'OTT voucher', 'OTT'), fixed('ott-netflix-200', 'Netflix R200', 'Netflix', 20_000)],
  yoyo: [fixed('yoyo-spotify-60', 'Spotify R60', 'Spotify', 6_000)],
  'blu-voucher': [variable('blu-voucher', 'Blu Voucher', 'Blu Voucher')],
  flash: [
    variable('flash-1voucher', '1Voucher', '1Voucher'),
    fixed('flash-token-50', 'Flash token R50', 'Flash', 5_000),
  ],
  betway: [variable('betway-bet', 'Betway betting voucher', 'Betway')],
};
