import type { CatalogueProduct, ProviderRegistry } from '../domain/provider-protocol';
import { type ProviderId, providerIds } from '../domain/providers';

export type RoutedProduct = CatalogueProduct & { provider: ProviderId };

export interface ProductCatalogueOptions {
  providers: ProviderRegistry;
  /** How long a provider's list is served before it is fetched again. */
  ttlMs: number;
  deadlineMs: (provider: ProviderId) => number;
  now?: () => number;
}

const failedFetchRetryMs = 10_000;

interface CachedList {
  products: RoutedProduct[];
  fetchedAt: number;
  /** Whether the last fetch succeeded: when it failed, the list may lack products the provider sells now. */
  current: boolean;
}

/**
 * Every provider's products, fetched from the providers and cached with an expiry. When a
 * provider cannot be reached, its last good list is served.
 */
export class ProductCatalogue {
  private readonly cache = new Map<ProviderId, CachedList>();
  private readonly inFlight = new Map<ProviderId, Promise<void>>();
  private byId = new Map<string, RoutedProduct>();
  private readonly now: () => number;

  constructor(private readonly options: ProductCatalogueOptions) {
    this.now = options.now ?? Date.now;
  }

  /** All products, refreshing the lists that have expired. */
  async products(): Promise<RoutedProduct[]> {
    await this.refreshStale();
    return [...this.byId.values()];
  }

  /**
   * The product, or `unavailable` when no list has it but some provider's list could not be
   * fetched: the product may be on that one.
   */
  async findProduct(productId: string): Promise<RoutedProduct | 'unavailable' | undefined> {
    await this.refreshStale();
    const product = this.byId.get(productId);
    if (product) return product;
    return [...this.cache.values()].every((list) => list.current) ? undefined : 'unavailable';
  }

  /**
   * Waits only for providers never fetched; an expired list is served while it is fetched
   * again in the background, so routing never waits on a slow catalogue.
   */
  private async refreshStale(): Promise<void> {
    const missing: Promise<void>[] = [];
    for (const id of providerIds) {
      const cached = this.cache.get(id);
      if (!cached) missing.push(this.refresh(id));
      // fetchList never rejects; the catch only keeps a background refresh from ever ending the process.
      else if (this.now() - cached.fetchedAt >= this.options.ttlMs) this.refresh(id).catch(() => {});
    }
    if (missing.length > 0) await Promise.all(missing);
  }

  private refresh(provider: ProviderId): Promise<void> {
    let pending = this.inFlight.get(provider);
    if (!pending) {
      pending = this.fetchList(provider).finally(() => this.inFlight.delete(provider));
      this.inFlight.set(provider, pending);
    }
    return pending;
  }

  private async fetchList(provider: ProviderId): Promise<void> {
    const exchange = await this.options.providers[provider].products({
      deadlineMs: this.options.deadlineMs(provider),
    });
    if (!exchange.ok) {
      // Keep serving the last good list, and ask again after a short pause rather than on every request.
      const products = this.cache.get(provider)?.products ?? [];
      const retryInMs = Math.min(this.options.ttlMs, failedFetchRetryMs);
      this.cache.set(provider, { products, fetchedAt: this.now() - this.options.ttlMs + retryInMs, current: false });
      return;
    }
    const products = exchange.value.map((product) => ({ ...product, provider }));
    this.cache.set(provider, { products, fetchedAt: this.now(), current: true });
    this.byId = new Map([...this.cache.values()].flatMap((list) => list.products.map((p) => [p.productId, p])));
  }
}
