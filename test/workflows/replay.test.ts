import { readdirSync, readFileSync } from 'node:fs';
import { Resource } from '@opentelemetry/resources';
import { type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { workflowsPath } from '../../src/runtime';
import { startTracing, type Tracing } from '../../src/telemetry/export';
import { createEncryptionCodec, insecureDevPayloadKeys, parseCodecKeys } from '../../src/temporal/codec';
import { switchDataConverter } from '../../src/temporal/data-converter';

/*
 * Histories recorded by `scripts/record-histories.ts` from earlier versions of the workflows, one
 * folder per version: today's workflow code must replay every one of them, or the workflows that
 * were running when it was deployed would fail. A change to what a workflow does goes behind
 * `patched()`; this test is what shows it did.
 */

const histories = new URL('./histories/', import.meta.url);
const dataConverter = switchDataConverter(createEncryptionCodec(parseCodecKeys(insecureDevPayloadKeys)));
const recordings = readdirSync(histories).flatMap((version) =>
  readdirSync(new URL(`${version}/`, histories))
    .filter((file) => file.endsWith('.json'))
    .map((file) => ({ version, name: file.replace(/\.json$/, ''), url: new URL(`${version}/${file}`, histories) })),
);

describe('workflow replay', () => {
  let bundle: WorkflowBundle;
  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    bundle = { code: inject('workflowBundleCode') };
  });

  it('has recorded histories to replay', () => {
    expect(recordings.length).toBeGreaterThan(10);
  });

  it.each(recordings)('replays $version/$name with today’s workflow code', async ({ name, url }) => {
    const history = JSON.parse(readFileSync(url, 'utf8'));
    await expect(
      Worker.runReplayHistory({ workflowBundle: bundle, dataConverter }, history, name),
    ).resolves.toBeUndefined();
  });
});

/*
 * Turning traces on (OTEL_EXPORTER_OTLP_ENDPOINT) adds OpenTelemetry's workflow interceptors to
 * the worker's bundle. They add headers and spans, never commands: workflows that ran without
 * them go on with them.
 */
describe('workflow replay with traces on', () => {
  let traced: WorkflowBundle;
  const exported: ReadableSpan[] = [];
  beforeAll(async () => {
    const tracing = startTracing('http://127.0.0.1:9/unused', 'replay-test') as Tracing;
    traced = await bundleWorkflowCode({
      workflowsPath,
      workflowInterceptorModules: tracing.workerOptions.interceptors?.workflowModules,
      logger: new DefaultLogger('ERROR'),
    });
    await tracing.shutdown();
  }, 120_000);

  it.each(recordings)('replays $version/$name', async ({ name, url }) => {
    const history = JSON.parse(readFileSync(url, 'utf8'));
    const sinks = {
      exporter: makeWorkflowExporter(
        new SimpleSpanProcessor({
          export: (spans, done) => {
            exported.push(...spans);
            done({ code: 0 });
          },
          shutdown: async () => {},
        }),
        new Resource({}),
      ),
    };
    await expect(
      Worker.runReplayHistory({ workflowBundle: traced, dataConverter, sinks }, history, name),
    ).resolves.toBeUndefined();
  });

  it('exports no span while replaying', () => {
    expect(exported).toEqual([]);
  });
});
