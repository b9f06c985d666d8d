import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitForHttp } from '../../scripts/bench/processes';
import { workflowIdFor } from '../../src/domain/provision';
import { listen, type RunningServer } from '../../src/http-server';
import { createSimulatorApp } from '../../src/providers/simulator/app';
import { eventually } from '../helpers/eventually';
import {
  basicAuth,
  demoChannel,
  type Json,
  makeAdvice,
  makeProvisionRequest,
  makeRedemptionRequest,
  voucherOf,
} from '../helpers/fixtures';
import { freePort } from '../helpers/ports';
import { startSwitchProcess } from '../helpers/switch-process';

/*
 * Traces across the switch's processes: the API and the worker run as production runs them,
 * with OTEL_EXPORTER_OTLP_ENDPOINT set to an OTLP/HTTP receiver in this test, which keeps every
 * span it is sent. One channel request is one trace, from the API to the provider's HTTP call.
 */

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  links?: { traceId: string; spanId: string }[];
  attributes?: { key: string; value: { stringValue?: string; intValue?: number | string } }[];
}
interface ReceivedSpan extends OtlpSpan {
  service: string;
}

const spans: ReceivedSpan[] = [];
const exports: string[] = [];
const children: ChildProcess[] = [];
const sim = createSimulatorApp();
/** The `traceparent` each provider call arrived with, by its path and the channel's message id. */
const providerTraceparents = new Map<string, string>();
let receiver: RunningServer;
let simulator: RunningServer;
let apiUrl: string;

/** An OTLP/HTTP receiver (JSON, as @opentelemetry/exporter-trace-otlp-http sends it). */
function otlpReceiver() {
  return listen(
    {
      fetch: async (request: Request) => {
        if (request.method !== 'POST' || new URL(request.url).pathname !== '/v1/traces')
          return new Response('not found', { status: 404 });
        const text = await request.text();
        exports.push(text);
        const body = JSON.parse(text) as {
          resourceSpans: {
            resource: { attributes: { key: string; value: { stringValue?: string } }[] };
            scopeSpans: { spans: OtlpSpan[] }[];
          }[];
        };
        for (const { resource, scopeSpans } of body.resourceSpans) {
          const service = resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
          for (const scope of scopeSpans) for (const span of scope.spans) spans.push({ ...span, service });
        }
        return Response.json({});
      },
    },
    0,
  );
}

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : String(value.intValue));
};

async function post(path: string, body: Json, headers: Record<string, string> = {}) {
  const response = await fetch(`${apiUrl}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: basicAuth(demoChannel.clientId, demoChannel.password),
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

beforeAll(async () => {
  receiver = await otlpReceiver();
  simulator = await listen(
    {
      fetch: async (request: Request, env: never) => {
        const traceparent = request.headers.get('traceparent');
        if (request.method === 'POST' && traceparent) {
          const { channelMessageId } = (await request.clone().json()) as { channelMessageId?: string };
          const { pathname } = new URL(request.url);
          if (channelMessageId) providerTraceparents.set(`${pathname} ${channelMessageId}`, traceparent);
        }
        return sim.app.fetch(request, env);
      },
    },
    0,
  );
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  const env = {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: `traces-${randomUUID()}`,
    PROVIDER_SIM_URL: simulator.url,
    PGLITE_DIR: 'memory://',
    LOG_LEVEL: 'info',
    METRICS_PORT: '0',
    TEMPORAL_SDK_METRICS_PORT: '0',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    // Exported every 200 ms rather than every 5 s, so the test need not wait.
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
  const worker = startSwitchProcess('worker', 'worker.ts', env, 'worker running');
  const api = startSwitchProcess(
    'api',
    'server.ts',
    { ...env, PORT: String(port), ALLOW_PLAIN_HTTP: 'true' },
    'listening',
  );
  children.push(worker.child, api.child);
  await Promise.all([worker.started, api.started]);
  await waitForHttp(`${apiUrl}/health`);
}, 120_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all([receiver?.close(), simulator?.close()]);
});

describe('OpenTelemetry traces', () => {
  it("follow a provision from the channel's request through the API, the workflow and the activity to the provider", async () => {
    const request = makeProvisionRequest();
    const messageId = request.id as string;
    const answer = await post('/suv/v1/vouchers', request);
    expect(answer.status).toBe(201);
    const code = voucherOf(answer.body).code as string;
    expect((await post('/suv/v1/vouchers/confirmations', makeAdvice(messageId))).status).toBe(202);
    const transactionId = workflowIdFor(demoChannel.clientId, messageId);

    const root = await eventually(async () =>
      spans.find((s) => s.name === 'POST /suv/v1/vouchers' && attribute(s, 'switch.message_id') === messageId),
    );
    expect(root.service).toBe('voucher-switch-api');
    expect(attribute(root, 'switch.transaction_id')).toBe(transactionId);
    expect(attribute(root, 'switch.channel_id')).toBe(demoChannel.clientId);
    expect(attribute(root, 'http.response.status_code')).toBe('201');

    // The provider's call, in the worker's process, in the same trace: the trace crossed Temporal.
    const providerCall = await eventually(async () =>
      spans.find((s) => s.name === 'POST flash /vouchers' && attribute(s, 'switch.message_id') === messageId),
    );
    expect(providerCall).toMatchObject({ traceId: root.traceId, service: 'voucher-switch-worker' });
    // An operator searching by transaction id finds the provider's leg too, not only the API's.
    expect(attribute(providerCall, 'switch.transaction_id')).toBe(transactionId);
    expect(providerTraceparents.get(`/providers/flash/vouchers ${messageId}`)).toBe(
      `00-${root.traceId}-${providerCall.spanId}-01`,
    );

    // Its ancestry, up to the API's span: activity, workflow, Temporal client. The workflow's span
    // is exported when the workflow ends, once the confirmation has settled it.
    const ancestry = await eventually(async () => {
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      const names: string[] = [];
      for (let span = byId.get(providerCall.parentSpanId ?? ''); span; span = byId.get(span.parentSpanId ?? ''))
        names.push(span.name);
      return names.at(-1) === 'POST /suv/v1/vouchers' ? names : undefined;
    });
    expect(ancestry).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^RunActivity:/),
        expect.stringMatching(/^RunWorkflow:provisionVoucher$/),
        expect.stringMatching(/UpdateWithStart|StartWorkflow/),
      ]),
    );
    // The workflow's spans name the transaction: the workflow id is the transaction id.
    const workflowSpan = spans.find((s) => s.name === 'RunWorkflow:provisionVoucher' && s.traceId === root.traceId);
    expect(workflowSpan && attribute(workflowSpan, 'workflowId')).toBe(transactionId);

    // The confirmation is a trace of its own, with its own message id.
    await eventually(async () =>
      spans.find((s) => s.name === 'POST /suv/v1/vouchers/confirmations' && s.traceId !== root.traceId),
    );

    // A redemption sends the code to the provider; its trace still never holds it.
    const redemption = makeRedemptionRequest(code);
    expect((await post('/suv/v1/redemptions', redemption)).status).toBe(201);
    await eventually(async () =>
      spans.find((s) => s.name === 'POST flash /redemptions' && attribute(s, 'switch.message_id') === redemption.id),
    );

    // A channel's own trace context is linked to, never adopted: its trace id neither becomes the
    // switch's nor reaches the provider.
    const channelTrace = 'c0ffee00c0ffee00c0ffee00c0ffee00';
    const linked = makeProvisionRequest();
    expect(
      (await post('/suv/v1/vouchers', linked, { traceparent: `00-${channelTrace}-00f067aa0ba902b7-01` })).status,
    ).toBe(201);
    const linkedRoot = await eventually(async () =>
      spans.find((s) => s.name === 'POST /suv/v1/vouchers' && attribute(s, 'switch.message_id') === linked.id),
    );
    expect(linkedRoot.traceId).not.toBe(channelTrace);
    expect(linkedRoot.parentSpanId ?? '').toBe('');
    expect(linkedRoot.links).toEqual([expect.objectContaining({ traceId: channelTrace })]);
    expect(providerTraceparents.get(`/providers/flash/vouchers ${linked.id}`)).toContain(linkedRoot.traceId);

    // Nothing exported holds the voucher code or the channel's credential.
    const everything = exports.join('\n');
    expect(everything).not.toContain(code);
    expect(everything).not.toContain(demoChannel.password);
    expect(everything).not.toContain(basicAuth(demoChannel.clientId, demoChannel.password).split(' ')[1]);
  });
});
