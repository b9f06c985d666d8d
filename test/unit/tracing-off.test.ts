import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { startTracing } from '../../src/telemetry/export';
import { inSpan, traceHeaders } from '../../src/telemetry/spans';

// Tracing with no OTEL_EXPORTER_OTLP_ENDPOINT: off, and free. Nothing is registered, a span records
// nothing, and no trace context leaves the switch for a provider.
describe('tracing with no OTLP endpoint', () => {
  it('registers nothing, and its spans record nothing and send no traceparent', async () => {
    expect(startTracing(undefined, 'voucher-switch-api')).toBeUndefined();
    expect(startTracing('', 'voucher-switch-api')).toBeUndefined();

    const seen = await inSpan('POST flash /vouchers', { attributes: { 'switch.provider': 'flash' } }, async (span) => ({
      recording: span.isRecording(),
      headers: traceHeaders(),
      active: trace.getActiveSpan()?.spanContext().traceId,
    }));
    expect(seen.recording).toBe(false);
    expect(seen.headers).toEqual({});
    // OpenTelemetry's no-op span: an all-zero, invalid trace id.
    expect(seen.active ?? '0'.repeat(32)).toBe('0'.repeat(32));
  });
});
