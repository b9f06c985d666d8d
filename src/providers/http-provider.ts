import { request } from 'undici';
import { z } from 'zod';
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
} from '../domain/provider-protocol';
import type { ProviderProfile } from '../domain/providers';
import { inSpan, SpanKind, SpanStatusCode, spanAttributes, traceHeaders } from '../telemetry/spans';

type HttpMethod = 'GET' | 'POST';

/** Where each advice goes, under the provider's path. */
const advicePaths: Record<AdviceOperation, string> = {
  confirm: '/confirmations',
  reverse: '/reversals',
  confirmRedeem: '/redemptions/confirmations',
  reverseRedeem: '/redemptions/reversals',
  confirmRefund: '/refunds/confirmations',
  reverseRefund: '/refunds/reversals',
};

/*
 * What the provider protocol's answers must look like before anything in them is trusted: a
 * provider's answer is input like any other, and a malformed one must neither crash the switch
 * nor put unbounded data into a transaction.
 */
const reference = z.string().min(1).max(64);
const amount = z.object({ amount: z.number().int(), currency: z.string().max(3) });
const provisioned = z.object({
  providerReference: reference,
  voucher: z.object({
    code: z.string().min(1).max(64),
    serialNumber: z.string().max(64).optional(),
    expiryDate: z.string().max(40).optional(),
    redeemInstructions: z.array(z.string().max(200)).max(20).optional(),
  }),
}) satisfies z.ZodType<ProvisionedVoucher>;
const receipt = z.object({ providerReference: reference }) satisfies z.ZodType<VoucherUseReceipt>;
const catalogue = z.object({
  products: z.array(
    z.object({
      productId: z.string().min(1).max(64),
      barcode: z.string().max(64).optional(),
      name: z.string().max(200),
      description: z.string().max(1000).optional(),
      isFixedValue: z.boolean(),
      amount: amount.optional(),
      minAmount: amount.optional(),
      maxAmount: amount.optional(),
      voucherProvider: z.string().max(64),
    }),
  ),
}) satisfies z.ZodType<{ products: CatalogueProduct[] }>;
/** A definite refusal names its reason as a code. */
const refusal = z.object({ code: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/), message: z.string().max(500).optional() });

/** Statuses that say "not now" rather than "no": nothing was taken, and the same message may come again. */
const notNow = new Set([408, 409, 425, 429]);

/** What a message is to the provider, which decides how its answers are read. */
export type Exchange =
  /** A request whose approval carries data the switch needs. */
  | { kind: 'request'; body: z.ZodType }
  /** An advice: any 2xx settles it; a reversal is also settled by 404, the provider never had its request. */
  | { kind: 'advice'; reversal: boolean };

/**
 * Adapter for providers that speak the switch's provider protocol over HTTP (the simulator
 * speaks it for all ten). A provider with its own protocol gets its own adapter beside this one.
 * Every answer is classified here, once (contract §1.6): the rest of the switch sees an approval,
 * a definite refusal, or an outcome it cannot know.
 */
export class HttpVoucherProvider implements VoucherProvider {
  constructor(
    readonly profile: ProviderProfile,
    private readonly baseUrl: string,
  ) {}

  provision(order: ProvisionOrder, options: CallOptions): Promise<ProviderExchange<ProvisionedVoucher>> {
    return this.call('POST', '/vouchers', order, options, { kind: 'request', body: provisioned });
  }

  redeem(order: VoucherUseOrder, options: CallOptions): Promise<ProviderExchange<VoucherUseReceipt>> {
    return this.call('POST', '/redemptions', order, options, { kind: 'request', body: receipt });
  }

  refund(order: VoucherUseOrder, options: CallOptions): Promise<ProviderExchange<VoucherUseReceipt>> {
    return this.call('POST', '/refunds', order, options, { kind: 'request', body: receipt });
  }

  advise(operation: AdviceOperation, advice: ProviderAdvice, options: CallOptions): Promise<ProviderExchange<unknown>> {
    const reversal = operation.startsWith('reverse');
    return this.call('POST', advicePaths[operation], advice, options, { kind: 'advice', reversal });
  }

  async products(options: CallOptions): Promise<ProviderExchange<CatalogueProduct[]>> {
    const exchange = await this.call<{ products: CatalogueProduct[] }>('GET', '/products', undefined, options, {
      kind: 'request',
      body: catalogue,
    });
    return exchange.ok ? { ...exchange, value: exchange.value.products } : exchange;
  }

  /** Each call in a client span, whose trace context the provider receives as `traceparent`. */
  private call<T>(
    method: HttpMethod,
    path: string,
    body: unknown,
    options: CallOptions,
    exchange: Exchange,
  ): Promise<ProviderExchange<T>> {
    const messageId = (body as { channelMessageId?: unknown } | undefined)?.channelMessageId;
    const attributes = {
      [spanAttributes.provider]: this.profile.id,
      'http.request.method': method,
      'url.path': `/providers/${this.profile.id}${path}`,
      ...(typeof messageId === 'string' && { [spanAttributes.messageId]: messageId }),
      ...(options.transactionId && { [spanAttributes.transactionId]: options.transactionId }),
    };
    return inSpan(`${method} ${this.profile.id} ${path}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
      const answer = await this.exchange<T>(method, path, body, options, exchange);
      if (answer.trace.status !== undefined) span.setAttribute('http.response.status_code', answer.trace.status);
      if (!answer.ok) {
        span.setAttribute('switch.failure', answer.failure.kind);
        if (answer.failure.kind !== 'declined') span.setStatus({ code: SpanStatusCode.ERROR });
      }
      return answer;
    });
  }

  private async exchange<T>(
    method: HttpMethod,
    path: string,
    body: unknown,
    { deadlineMs }: CallOptions,
    exchange: Exchange,
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
    let status: number;
    let text: string;
    try {
      // undici's request API on its shared keep-alive agent, not `fetch`, which wraps the same
      // client in WHATWG streams, a Request and a Response per call: in the worker's profile,
      // most of a provider call's CPU. The deadline covers the whole exchange, body included.
      const response = await request(url, {
        method,
        headers: { ...traceHeaders(), ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(deadlineMs),
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      return { ok: false, failure: classifyNetworkError(error, deadlineMs), trace: trace({}) };
    }
    const payload = parseJson(text);
    const done = trace({ status, response: payload ?? (text ? text.slice(0, 500) : undefined) });
    const result = classifyAnswer<T>(status, payload, exchange);
    return result.ok
      ? { ok: true, value: result.value, trace: done }
      : { ok: false, failure: result.failure, trace: done };
  }
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** A provider's HTTP answer, as the switch takes it. */
export function classifyAnswer<T>(
  status: number,
  payload: unknown,
  exchange: Exchange,
): { ok: true; value: T } | { ok: false; failure: ProviderFailure } {
  if (status >= 200 && status < 300) {
    if (exchange.kind === 'advice') return { ok: true, value: payload as T };
    const parsed = exchange.body.safeParse(payload);
    if (parsed.success) return { ok: true, value: parsed.data as T };
    // Approved, perhaps, but with nothing the switch can use: the outcome is unknown, and reversed.
    return {
      ok: false,
      failure: { kind: 'error', status, message: `provider answered ${status} without a valid body` },
    };
  }
  if (exchange.kind === 'advice' && exchange.reversal && status === 404) return { ok: true, value: payload as T };
  if (status === 503 || notNow.has(status)) {
    return { ok: false, failure: { kind: 'unavailable', message: `provider answered ${status}` } };
  }
  const reason = refusal.safeParse(payload);
  if (status >= 400 && status < 500 && reason.success) {
    const { code, message } = reason.data;
    return { ok: false, failure: { kind: 'declined', code, message: message ?? code } };
  }
  return { ok: false, failure: { kind: 'error', status, message: `provider answered ${status}` } };
}

function classifyNetworkError(error: unknown, deadlineMs: number): ProviderFailure {
  const name = (error as Error)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return { kind: 'timeout', message: `no answer within ${deadlineMs} ms` };
  }
  // undici names a socket's failure by its code (ECONNREFUSED, UND_ERR_SOCKET), on the error or its cause.
  const failed = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = [failed?.code, failed?.cause?.code].find(
    (candidate): candidate is string => typeof candidate === 'string',
  );
  return { kind: 'unavailable', message: code ?? (error as Error)?.message ?? String(error) };
}
