import { type ProviderId, providerIds, providerProfiles } from '../domain/providers';
import { HttpVoucherProvider } from './http-provider';
import type { ProviderRegistry } from './types';

export interface ProviderRegistryOptions {
  /** Where the providers (in development and tests, the simulator) listen. */
  baseUrl: string;
  fetch?: typeof fetch;
}

/** One adapter per provider id, all over the same provider protocol for now. */
export function createProviderRegistry({ baseUrl, fetch: fetchFn }: ProviderRegistryOptions): ProviderRegistry {
  return Object.fromEntries(
    providerIds.map((id) => [id, new HttpVoucherProvider(providerProfiles[id], baseUrl, fetchFn)]),
  ) as Record<ProviderId, HttpVoucherProvider>;
}
