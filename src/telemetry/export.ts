import { createRequire } from 'node:module';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';

/*
 * Exporting traces: one trace per channel request, across the API's and the worker's processes,
 * sent over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set. Off, nothing is registered.
 */

/** What a process with tracing on adds to its Temporal client and worker. */
export interface Tracing {
  clientInterceptors: WorkflowClientInterceptor[];
  /** Workflow interceptors take effect where the worker bundles its workflows (`workflowsPath`). */
  workerOptions: Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  /** Sends the spans still buffered. */
  shutdown(): Promise<void>;
}

/**
 * Registers the process's tracer provider, exporting to `endpoint` (OTLP/HTTP, `/v1/traces`
 * appended as the OpenTelemetry specification does for the base endpoint). Undefined, and
 * nothing registered, when there is no endpoint. Once per process.
 */
export function startTracing(endpoint: string | undefined, serviceName: string): Tracing | undefined {
  if (!endpoint) return undefined;
  const resource = new Resource({ 'service.name': serviceName });
  const spanProcessor = new BatchSpanProcessor(
    new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` }),
  );
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register({
    contextManager: new AsyncLocalStorageContextManager().enable(),
    propagator: new W3CTraceContextPropagator(),
  });
  return {
    clientInterceptors: [new OpenTelemetryWorkflowClientInterceptor()],
    workerOptions: {
      interceptors: {
        workflowModules: [
          createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
        ],
        activity: [
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
      sinks: { exporter: makeWorkflowExporter(spanProcessor, resource) },
    },
    shutdown: () => provider.shutdown(),
  };
}
