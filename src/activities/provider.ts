import type { ProviderId } from '../domain/providers';
import type { ProvisionAttempt } from '../domain/provision';
import type { ProviderRegistry, ProvisionOrder } from '../providers/types';

export interface ProviderActivityDeps {
  providers: ProviderRegistry;
}

export interface ProvisionAtProviderInput {
  provider: ProviderId;
  order: ProvisionOrder;
  deadlineMs: number;
}

export function createProviderActivities({ providers }: ProviderActivityDeps) {
  return {
    /** Asks the provider for a voucher; every way the call can end comes back as data. */
    async provisionAtProvider({ provider, order, deadlineMs }: ProvisionAtProviderInput): Promise<ProvisionAttempt> {
      return providers[provider].provision(order, { deadlineMs });
    },
  };
}
