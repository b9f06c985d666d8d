/** Runs a worker on its own (`npm run start:worker`), against TEMPORAL_ADDRESS. */
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfigOrExit } from './config';
import { openReportingStore } from './db/client';
import { safBacklog } from './db/queries/operations';
import { createLogger, installTemporalLogging, logUnhandledRejections } from './log';
import { createMetrics, serveMetrics } from './metrics';
import { startWorker } from './runtime';

const config = loadConfigOrExit();
const log = createLogger(config.logLevel, 'worker');
logUnhandledRejections(log);
await installTemporalLogging(log);
const address = config.temporal.address ?? `127.0.0.1:${config.temporal.devServer.port}`;
const reporting = await openReportingStore(config.database);
// The worker delivers the advices, so its scrape target reports their backlog.
const metrics = createMetrics({ backlog: () => safBacklog(reporting.db, new Date()) });
const metricsServer = await serveMetrics(metrics.registry, config.metrics.port, config.api.host);
const worker = await startWorker(config, address, reporting, undefined, metrics);
log.info({ address, taskQueue: config.temporal.taskQueue, metrics: `${metricsServer.url}/metrics` }, 'worker running');

/**
 * Stops polling and waits for the activities and workflow tasks under way to finish. The SDK
 * listens for the same signals and may have begun the shutdown itself: then only wait for it.
 */
async function drain() {
  if (worker.worker.getState() === 'RUNNING') return worker.stop();
  while (!['STOPPED', 'FAILED'].includes(worker.worker.getState())) await sleep(100);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    log.info({ signal }, 'stopping: no new tasks; the ones under way finish');
    try {
      await drain();
      await metricsServer.close();
      await reporting.close();
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, 'the worker did not stop cleanly');
      process.exit(1);
    }
  });
}
