import type { ProviderRegistry } from '../domain/provider-protocol';
import { type ProviderId, providerIds, providerProfiles } from '../domain/providers';
import type { Metrics } from '../metrics';
import { HttpVoucherProvider } from './http-provider';
import { instrumentProviders } from './instrumented';

export interface ProviderRegistryOptions {
  /** Where the providers (in development and tests, the simulator) listen. */
  baseUrl: string;
  /** Given, every call is observed in `switch_provider_*`. */
  metrics?: Metrics;
}

/** One adapter per provider id, all over the same provider protocol for now. */
export function createProviderRegistry({ baseUrl, metrics }: ProviderRegistryOptions): ProviderRegistry {
  const registry = Object.fromEntries(
    providerIds.map((id) => [id, new HttpVoucherProvider(providerProfiles[id], baseUrl)]),
  ) as Record<ProviderId, HttpVoucherProvider>;
  return metrics ? instrumentProviders(registry, metrics) : registry;
}
