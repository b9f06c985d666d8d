import { fileURLToPath } from 'node:url';
import { DefaultLogger, type NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createFloorActivities } from './activities';

export const floorWorkflowsPath = fileURLToPath(new URL('./workflow.ts', import.meta.url));

/** What every floor process reads from its environment (set by the bench's `startFloor`). */
export function floorEnvironment() {
  const required = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is required`);
    return value;
  };
  return {
    address: required('TEMPORAL_ADDRESS'),
    namespace: process.env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: required('FLOOR_TASK_QUEUE'),
    simulatorUrl: required('PROVIDER_SIM_URL'),
  };
}

/** The SDK's own logs at warnings only, no metrics: nothing the floor does not need. */
export function quietRuntime(): void {
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

/**
 * A worker for the floor's workflow with its local activity, the SDK's defaults otherwise
 * (`reuseV8Context` on); it polls no activity task queue, having no remote activities.
 */
export async function startFloorWorker(
  connection: NativeConnection,
  options: { namespace: string; taskQueue: string; simulatorUrl: string },
) {
  const { activities, close } = createFloorActivities(options.simulatorUrl);
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowsPath: floorWorkflowsPath,
    activities,
    enableNonLocalActivities: false,
  });
  const running = worker.run();
  return {
    worker,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await close();
    },
  };
}
