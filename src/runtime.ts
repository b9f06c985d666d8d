import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import { createApp } from './api/app';
import { channelDirectory } from './api/auth';
import { temporalProvisions } from './api/provisions';
import type { Config } from './config';
import type { ReportingStore } from './db/client';
import { listen, type RunningServer } from './http-server';
import type { Logger } from './log';
import { ProductCatalogue } from './providers/catalogue';
import { createProviderRegistry } from './providers/registry';

/** How the switch's processes are put together; the entry points only call these. */

export const workflowsPath = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

export interface RunningWorker {
  worker: Worker;
  stop(): Promise<void>;
}

/** Starts a worker that runs the transaction workflows and their activities. */
export async function startWorker(
  config: Config,
  address: string,
  reporting: ReportingStore,
  workflowSource: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> = { workflowsPath },
): Promise<RunningWorker> {
  const connection = await NativeConnection.connect({ address });
  const providers = createProviderRegistry({ baseUrl: config.providers.simulatorUrl });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: createActivities({ providers, db: reporting.db }),
    ...workflowSource,
  });
  const running = worker.run();
  return {
    worker,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

export interface RunningApi {
  server: RunningServer;
  client: Client;
  stop(): Promise<void>;
}

/** Starts the channel API on the configured port. */
export async function startApi(
  config: Config,
  address: string,
  reporting: ReportingStore,
  logger: Logger,
): Promise<RunningApi> {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const providers = createProviderRegistry({ baseUrl: config.providers.simulatorUrl });
  const app = createApp({
    channels: channelDirectory(config.channels),
    provisions: temporalProvisions({
      client,
      taskQueue: config.temporal.taskQueue,
      responseTimeoutMs: config.api.channelResponseTimeoutMs,
    }),
    catalogue: new ProductCatalogue({
      providers,
      ttlMs: config.providers.catalogueTtlMs,
      deadlineMs: config.providers.deadlineMs,
    }),
    receiverRoutes: config.routing.receivers,
    switchInstitution: config.switchInstitution,
    deadlineMs: config.providers.deadlineMs,
    settleAfterMs: (messaging) =>
      messaging === 'single' ? config.settlement.confirmationWindowMs : config.settlement.confirmationDeadlineMs,
    health: {
      temporal: () => client.withDeadline(Date.now() + 2_000, () => connection.healthService.check({})).then(() => {}),
      reportingStore: () => reporting.ping(),
    },
    logger,
    clock: () => new Date(),
    newId: randomUUID,
  });
  const server = await listen(app, config.api.port, config.api.host);
  return {
    server,
    client,
    async stop() {
      await server.close();
      await connection.close();
    },
  };
}
