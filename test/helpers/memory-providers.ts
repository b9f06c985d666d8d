import type {
  LegTrace,
  ProviderExchange,
  ProviderFailure,
  ProviderRegistry,
  ProvisionedVoucher,
  VoucherProvider,
} from '../../src/domain/provider-protocol';
import { type ProviderId, providerIds, providerProfiles } from '../../src/domain/providers';
import { issueVoucher, newProviderReference } from '../../src/providers/simulator/app';
import type { SimulatedOperation } from '../../src/providers/simulator/behaviours';
import { simulatedCatalogue } from '../../src/providers/simulator/catalogue';

/* The ten providers answering from memory, for the channel API tested in process (test-app.ts). */

/** One message to an in-memory provider. */
export interface ProviderCall {
  provider: ProviderId;
  operation: SimulatedOperation;
  /** The switch's reference of the request (for an advice, of the request it settles). */
  reference?: string;
  /** An advice's id. */
  id?: string;
  channelMessageId?: string;
}

/** How a provider answers a call: a failure, or undefined to approve it. */
export type ProviderBehaviour = (call: ProviderCall) => ProviderFailure | undefined;

/** Every provider, answering from memory as `behave` says; a repeated request gets its first answer. */
export function inMemoryProviders(calls: ProviderCall[], behave: ProviderBehaviour): ProviderRegistry {
  const issued = new Map<string, ProvisionedVoucher>();
  const receipts = new Map<string, { providerReference: string }>();
  function answer<T>(call: ProviderCall, value: () => T): ProviderExchange<T> {
    calls.push(call);
    const trace: LegTrace = {
      method: 'POST',
      url: `memory://${call.provider}/${call.operation}`,
      request: call,
      startedAt: new Date().toISOString(),
      durationMs: 0,
    };
    const failure = behave(call);
    return failure ? { trace, ok: false, failure } : { trace, ok: true, value: value() };
  }
  const once = <T>(map: Map<string, T>, key: string, make: () => T) => {
    if (!map.has(key)) map.set(key, make());
    return map.get(key) as T;
  };
  const receipt = () => ({ providerReference: newProviderReference() });
  const adapter = (provider: ProviderId): VoucherProvider => ({
    profile: providerProfiles[provider],
    async provision({ reference, channelMessageId }) {
      const call = { provider, operation: 'provision' as const, reference, channelMessageId };
      return answer(call, () => once(issued, `${provider}/${reference}`, issueVoucher));
    },
    async redeem({ reference, channelMessageId }) {
      const call = { provider, operation: 'redeem' as const, reference, channelMessageId };
      return answer(call, () => once(receipts, `${provider}/redeem/${reference}`, receipt));
    },
    async refund({ reference, channelMessageId }) {
      const call = { provider, operation: 'refund' as const, reference, channelMessageId };
      return answer(call, () => once(receipts, `${provider}/refund/${reference}`, receipt));
    },
    async advise(operation, { id, requestId, channelMessageId }) {
      return answer({ provider, operation, id, reference: requestId, channelMessageId }, () => ({ id }));
    },
    async products() {
      return answer({ provider, operation: 'lookup' }, () => simulatedCatalogue[provider]);
    },
  });
  return Object.fromEntries(providerIds.map((provider) => [provider, adapter(provider)])) as ProviderRegistry;
}
