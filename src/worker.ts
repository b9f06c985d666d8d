import { loadConfigOrExit } from './config';
import { openReportingStore } from './db/client';
import { safBacklog } from './db/queries/operations';
import { createLogger, installTemporalLogging, logUnhandledRejections } from './log';
import { createMetrics, serveMetrics } from './metrics';
import { startWorker } from './runtime';
import { drainWorker, stopOnSignals } from './shutdown';

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

stopOnSignals(
  async (signal) => {
    log.info({ signal }, 'stopping: no new tasks; the ones under way finish');
    await drainWorker(worker);
    await metricsServer.close();
    await reporting.close();
  },
  (error) => log.error({ err: error }, 'the worker did not stop cleanly'),
);
