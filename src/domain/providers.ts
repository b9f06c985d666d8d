/**
 * The ten service providers and their capability profiles (contract §1.7).
 * Profiles are data: the domain rules read them, nothing branches on a provider's name.
 */
export const providerIds = [
  'stellr',
  'netcare',
  'lottostar',
  'hollywoodbets',
  'supabets',
  'ott',
  'yoyo',
  'blu-voucher',
  'flash',
  'betway',
] as const;

export type ProviderId = (typeof providerIds)[number];

export interface ProviderProfile {
  id: ProviderId;
  name: string;
  kind: string;
  /** The provider can be asked again for a provision whose outcome is unknown. */
  supportsRetries: boolean;
  /** The provider takes confirmations and reversals; when false the switch consumes them. */
  supportsAdvices: boolean;
  supportsRedemption: boolean;
  /** Requests must carry tender (payment) information before the provider is called. */
  requiresTender: boolean;
  /** The provider as an institution, named in responses when the channel named no receiver. */
  institution: { id: string; name: string };
}

const profile = (
  id: ProviderId,
  name: string,
  kind: string,
  caps: Partial<
    Pick<ProviderProfile, 'supportsRetries' | 'supportsAdvices' | 'supportsRedemption' | 'requiresTender'>
  > = {},
): ProviderProfile => ({
  id,
  name,
  kind,
  institution: { id: `7000${String(providerIds.indexOf(id) + 1).padStart(4, '0')}`, name },
  supportsRetries: true,
  supportsAdvices: true,
  supportsRedemption: false,
  requiresTender: false,
  ...caps,
});

export const providerProfiles: Record<ProviderId, ProviderProfile> = {
  stellr: profile('stellr', 'Stellr', 'aggregator of many voucher brands', {
    supportsRetries: false,
    supportsAdvices: false,
  }),
  netcare: profile('netcare', 'Netcare', 'medical vouchers', { supportsRetries: false }),
  lottostar: profile('lottostar', 'Lottostar', 'lottery betting'),
  hollywoodbets: profile('hollywoodbets', 'Hollywoodbets', 'sports and horse-race betting'),
  supabets: profile('supabets', 'Supabets', 'sports betting'),
  ott: profile('ott', 'OTT', 'aggregator (retail, mobile)', { supportsRedemption: true }),
  yoyo: profile('yoyo', 'Yoyo', 'aggregator'),
  'blu-voucher': profile('blu-voucher', 'Blu Voucher', 'aggregator', { supportsRedemption: true }),
  flash: profile('flash', 'Flash', '1Voucher and Flash tokens', { supportsRedemption: true }),
  betway: profile('betway', 'Betway', 'sports and horse-race betting'),
};

export function isProviderId(value: string): value is ProviderId {
  return (providerIds as readonly string[]).includes(value);
}

/**
 * What a transaction's workflow needs to know of its provider. Fixed in the workflow's input when
 * it starts, so a later change to a profile never changes how a running transaction replays.
 */
export type ProviderCapabilities = Pick<ProviderProfile, 'supportsRetries' | 'supportsAdvices' | 'supportsRedemption'>;

export function capabilitiesOf({ supportsRetries, supportsAdvices, supportsRedemption }: ProviderProfile) {
  return { supportsRetries, supportsAdvices, supportsRedemption } satisfies ProviderCapabilities;
}
