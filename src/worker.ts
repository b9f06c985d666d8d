/** Runs a worker on its own (`npm run start:worker`), against TEMPORAL_ADDRESS. */
import { loadConfigOrExit } from './config';
import { openReportingStore } from './db/client';
import { safBacklog } from './db/queries/operations';
import { createLogger, installTemporalLogging } from './log';
import { createMetrics, serveMetrics } from './metrics';
import { startWorker } from './runtime';

const config = loadConfigOrExit();
const log = createLogger(config.logLevel, 'worker');
await installTemporalLogging(log);
const address = config.temporal.address ?? `127.0.0.1:${config.temporal.devServer.port}`;
const reporting = await openReportingStore(config.database);
// The worker delivers the advices, so its scrape target reports their backlog.
const metrics = createMetrics({ backlog: () => safBacklog(reporting.db, new Date()) });
const metricsServer = await serveMetrics(metrics.registry, config.metrics.port, config.api.host);
const worker = await startWorker(config, address, reporting, undefined, metrics);
log.info({ address, taskQueue: config.temporal.taskQueue, metrics: `${metricsServer.url}/metrics` }, 'worker running');
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await worker.stop();
    await metricsServer.close();
    await reporting.close();
    process.exit(0);
  });
}
