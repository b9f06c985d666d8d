import type { ProviderProfile } from '../domain/providers';
import type {
  AdviceOperation,
  CallOptions,
  CatalogueProduct,
  LegTrace,
  ProviderAdvice,
  ProviderExchange,
  ProviderFailure,
  ProvisionedVoucher,
  ProvisionOrder,
  VoucherProvider,
  VoucherUseOrder,
  VoucherUseReceipt,
} from './types';

/** Where each advice goes, under the provider's path. */
const advicePaths: Record<AdviceOperation, string> = {
  confirm: '/confirmations',
  reverse: '/reversals',
  confirmRedeem: '/redemptions/confirmations',
  reverseRedeem: '/redemptions/reversals',
  confirmRefund: '/refunds/confirmations',
  reverseRefund: '/refunds/reversals',
};

/**
 * Adapter for providers that speak the switch's provider protocol over HTTP (the simulator
 * speaks it for all ten). A provider with its own protocol gets its own adapter beside this one.
 */
export class HttpVoucherProvider implements VoucherProvider {
  constructor(
    readonly profile: ProviderProfile,
    private readonly baseUrl: string,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  provision(order: ProvisionOrder, options: CallOptions): Promise<ProviderExchange<ProvisionedVoucher>> {
    return this.call<ProvisionedVoucher>('POST', '/vouchers', order, options);
  }

  redeem(order: VoucherUseOrder, options: CallOptions): Promise<ProviderExchange<VoucherUseReceipt>> {
    return this.call<VoucherUseReceipt>('POST', '/redemptions', order, options);
  }

  refund(order: VoucherUseOrder, options: CallOptions): Promise<ProviderExchange<VoucherUseReceipt>> {
    return this.call<VoucherUseReceipt>('POST', '/refunds', order, options);
  }

  advise(operation: AdviceOperation, advice: ProviderAdvice, options: CallOptions): Promise<ProviderExchange<unknown>> {
    return this.call('POST', advicePaths[operation], advice, options);
  }

  async products(options: CallOptions): Promise<ProviderExchange<CatalogueProduct[]>> {
    const exchange = await this.call<{ products: CatalogueProduct[] }>('GET', '/products', undefined, options);
    return exchange.ok ? { ...exchange, value: exchange.value.products } : exchange;
  }

  private async call<T>(
    method: string,
    path: string,
    body: unknown,
    { deadlineMs }: CallOptions,
  ): Promise<ProviderExchange<T>> {
    const url = `${this.baseUrl}/providers/${this.profile.id}${path}`;
    const started = performance.now();
    const startedAt = new Date().toISOString();
    const trace = (extra: Partial<LegTrace>): LegTrace => ({
      method,
      url,
      request: body,
      startedAt,
      durationMs: Math.round(performance.now() - started),
      ...extra,
    });
    let response: Response;
    try {
      response = await this.fetchFn(url, {
        method,
        headers: body === undefined ? undefined : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(deadlineMs),
      });
    } catch (error) {
      return { ok: false, failure: classifyNetworkError(error, deadlineMs), trace: trace({}) };
    }
    let payload: unknown;
    try {
      const text = await response.text();
      payload = text ? JSON.parse(text) : undefined;
    } catch (error) {
      const failure = classifyNetworkError(error, deadlineMs);
      return { ok: false, failure, trace: trace({ status: response.status }) };
    }
    const done = trace({ status: response.status, response: payload });
    if (response.ok) return { ok: true, value: payload as T, trace: done };
    return { ok: false, failure: classifyResponse(response.status, payload), trace: done };
  }
}

function classifyNetworkError(error: unknown, deadlineMs: number): ProviderFailure {
  const name = (error as Error)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return { kind: 'timeout', message: `no answer within ${deadlineMs} ms` };
  }
  const cause = (error as { cause?: { code?: string } })?.cause?.code;
  return { kind: 'unavailable', message: cause ?? (error as Error)?.message ?? String(error) };
}

/** A 4xx with a reason code is the provider's definite refusal; anything else leaves the outcome open. */
function classifyResponse(status: number, payload: unknown): ProviderFailure {
  const reason = payload as { code?: unknown; message?: unknown } | undefined;
  if (status >= 400 && status < 500 && typeof reason?.code === 'string') {
    return { kind: 'declined', code: reason.code, message: String(reason.message ?? reason.code) };
  }
  if (status === 503) return { kind: 'unavailable', message: 'provider answered 503' };
  return { kind: 'error', status, message: `provider answered ${status}` };
}
