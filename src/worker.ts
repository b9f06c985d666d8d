import { loadConfigOrExit } from './config';
import { openReportingStore } from './db/client';
import { reportingFigures } from './db/queries/operations';
import { createLogger, installTemporalLogging, logDestination, logUnhandledRejections } from './log';
import { createMetrics, serveMetrics, watchDependencies } from './metrics';
import { startWorker } from './runtime';
import { drainWorker, stopOnSignals } from './shutdown';
import { startTracing } from './telemetry/export';

const config = loadConfigOrExit();
const log = createLogger(config.logLevel, 'worker', logDestination(config.logFormat));
logUnhandledRejections(log);
await installTemporalLogging(log, { port: config.metrics.sdkPort, host: config.api.host });
const address = config.temporal.address ?? `127.0.0.1:${config.temporal.devServer.port}`;
const reporting = await openReportingStore(config.database);
// The worker delivers the advices, so its scrape target reports their backlog.
const metrics = createMetrics({ reporting: reportingFigures(reporting.db) });
const tracing = startTracing(config.telemetry.otlpEndpoint, 'voucher-switch-worker');
const worker = await startWorker(config, address, reporting, undefined, metrics, tracing);
// A worker that failed for good polls no more: exit, so that Compose or Kubernetes starts another.
worker.done.catch((error: unknown) => {
  log.fatal({ err: error }, 'the worker failed; exiting to be restarted');
  process.exit(1);
});
watchDependencies(metrics.registry, { temporal: worker.temporalHealth, reporting_store: reporting.ping });
const metricsServer = await serveMetrics(metrics.registry, config.metrics.port, config.api.host, worker.probes);
log.info(
  {
    address,
    taskQueue: config.temporal.taskQueue,
    metrics: `${metricsServer.url}/metrics`,
    probes: [`${metricsServer.url}/live`, `${metricsServer.url}/ready`],
    traces: config.telemetry.otlpEndpoint ?? 'off',
    sdkMetrics: config.metrics.sdkPort ? `http://${config.api.host}:${config.metrics.sdkPort}/metrics` : 'off',
  },
  'worker running',
);

stopOnSignals(
  async (signal) => {
    log.info({ signal }, 'stopping: no new tasks; the ones under way finish');
    await drainWorker(worker);
    await metricsServer.close();
    await reporting.close();
    await tracing?.shutdown();
  },
  (error) => log.error({ err: error }, 'the worker did not stop cleanly'),
);
