import { readdirSync, readFileSync } from 'node:fs';
import { DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createEncryptionCodec, insecureDevPayloadKeys, parseCodecKeys } from '../../src/temporal/codec';
import { switchDataConverter } from '../../src/temporal/data-converter';

/*
 * Histories recorded by `scripts/record-histories.ts` from earlier versions of the workflows, one
 * folder per version: today's workflow code must replay every one of them, or the workflows that
 * were running when it was deployed would fail. A change to what a workflow does goes behind
 * `patched()`; this test is what shows it did.
 */

const histories = new URL('./histories/', import.meta.url);
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
      Worker.runReplayHistory(
        {
          workflowBundle: bundle,
          dataConverter: switchDataConverter(createEncryptionCodec(parseCodecKeys(insecureDevPayloadKeys))),
        },
        history,
        name,
      ),
    ).resolves.toBeUndefined();
  });
});
