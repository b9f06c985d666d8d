import {
  type Attributes,
  context,
  isSpanContextValid,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';

/*
 * The switch's spans, on OpenTelemetry's API alone: from the channel's request through the API
 * to the provider's HTTP call (the Temporal client, workflow and activity spans come from
 * Temporal's interceptors, see ./export.ts). With no tracer provider registered (no
 * OTEL_EXPORTER_OTLP_ENDPOINT), they are OpenTelemetry's no-op spans. Attributes carry ids
 * (message, transaction, channel, provider), never a voucher code or a credential.
 */

const tracerName = 'voucher-switch';

/** The switch's own span attributes. */
export const spanAttributes = {
  messageId: 'switch.message_id',
  transactionId: 'switch.transaction_id',
  channelId: 'switch.channel_id',
  provider: 'switch.provider',
} as const;

const headerSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** The trace context of the current span as HTTP headers (`traceparent`), for a call to another service. */
export function traceHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers, headerSetter);
  return headers;
}

/**
 * Runs `work` in a span of its own, a child of the current one (or, `root`, of none), and ends
 * it when `work` settles; an exception marks it failed. With no tracer provider registered, the
 * span is a no-op.
 */
export function inSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; links?: Link[]; root?: boolean },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return trace.getTracer(tracerName).startActiveSpan(name, options, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * The trace an incoming request says it belongs to (`traceparent`), as a link for the request's
 * span. A channel is outside the switch: its trace ids are noted, never adopted, so they neither
 * become the switch's nor travel on to the providers.
 */
export function linkToIncomingTrace(headers: Headers): Link[] {
  // Most channels send none: no work on the request's path then.
  if (!headers.has('traceparent')) return [];
  const carrier = Object.fromEntries(headers.entries());
  const incoming = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, carrier));
  return incoming && isSpanContextValid(incoming) ? [{ context: incoming }] : [];
}

export { type Span, SpanKind, SpanStatusCode };
