import type {
  AdviceOperation,
  CallOptions,
  ProviderAdvice,
  ProviderExchange,
  ProviderRegistry,
  ProvisionOrder,
  VoucherProvider,
  VoucherUseOrder,
} from '../domain/provider-protocol';
import type { ProviderId } from '../domain/providers';
import type { Metrics } from '../metrics';

type ProviderMetrics = Pick<Metrics, 'providerDuration' | 'providerTimeouts' | 'providerFailures'>;

/** A provider adapter that records each call's duration and outcome, then hands the exchange on unchanged. */
class InstrumentedProvider implements VoucherProvider {
  readonly profile: VoucherProvider['profile'];

  constructor(
    private readonly inner: VoucherProvider,
    private readonly metrics: ProviderMetrics,
  ) {
    this.profile = inner.profile;
  }

  provision(order: ProvisionOrder, options: CallOptions) {
    return this.observe('provision', this.inner.provision(order, options));
  }

  redeem(order: VoucherUseOrder, options: CallOptions) {
    return this.observe('redeem', this.inner.redeem(order, options));
  }

  refund(order: VoucherUseOrder, options: CallOptions) {
    return this.observe('refund', this.inner.refund(order, options));
  }

  advise(operation: AdviceOperation, advice: ProviderAdvice, options: CallOptions) {
    return this.observe(operation, this.inner.advise(operation, advice, options));
  }

  products(options: CallOptions) {
    return this.observe('products', this.inner.products(options));
  }

  private async observe<T>(operation: string, call: Promise<ProviderExchange<T>>): Promise<ProviderExchange<T>> {
    const exchange = await call;
    const labels = { provider: this.profile.id, operation };
    // The adapter's own timing of the leg, the same figure the reporting copy's message trace shows.
    this.metrics.providerDuration.observe(labels, exchange.trace.durationMs / 1000);
    if (!exchange.ok) {
      this.metrics.providerFailures.inc({ ...labels, kind: exchange.failure.kind });
      if (exchange.failure.kind === 'timeout') this.metrics.providerTimeouts.inc(labels);
    }
    return exchange;
  }
}

/** The same providers, each observed in `metrics` (`switch_provider_*`). */
export function instrumentProviders(registry: ProviderRegistry, metrics: ProviderMetrics): ProviderRegistry {
  return Object.fromEntries(
    Object.entries(registry).map(([id, provider]) => [id, new InstrumentedProvider(provider, metrics)]),
  ) as Record<ProviderId, InstrumentedProvider>;
}
