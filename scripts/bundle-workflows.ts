/**
 * Builds the workflow bundle the way a worker does, so an import that cannot run inside the
 * deterministic sandbox fails the build rather than a worker at start-up.
 */
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { workflowsPath } from '../src/runtime';
import { failureConverterPath } from '../src/temporal/data-converter';

const { code } = await bundleWorkflowCode({ workflowsPath, failureConverterPath, logger: new DefaultLogger('WARN') });
console.log(`workflow bundle: ${(code.length / 1024).toFixed(0)} KiB`);
