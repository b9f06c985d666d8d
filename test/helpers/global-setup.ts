import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { workflowsPath } from '../../src/runtime';
import { failureConverterPath } from '../../src/temporal/data-converter';
import { startDevServer } from '../../src/temporal/dev-server';
import { freePort } from './ports';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    /** The workflow bundle, built once for the run rather than once per test file. */
    workflowBundleCode: string;
  }
}

/**
 * One in-memory Temporal dev server for the whole run (each test file uses its own task queue),
 * and one workflow bundle.
 */
export default async function setup(project: TestProject) {
  const bundling = bundleWorkflowCode({ workflowsPath, failureConverterPath, logger: new DefaultLogger('WARN') });
  const server = await startDevServer({
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    headless: true,
    // A deleted workflow is gone once its close is acknowledged, which the server notes every 30 s by default:
    // the tests that delete histories (as retention would) need it sooner.
    dynamicConfig: { 'history.transferProcessorUpdateAckInterval': '1s' },
  });
  project.provide('temporalAddress', server.address);
  project.provide('workflowBundleCode', (await bundling).code);
  return () => server.stop();
}
