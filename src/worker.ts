import { loadConfigOrExit } from './config';
import { openReportingStore, type ReportingStore } from './db/client';
import { reportingFigures } from './db/queries/operations';
import { createLogger, installTemporalLogging, logDestination, logUnhandledRejections } from './log';
import { createMetrics, serveMetrics, watchDependencies, watchReporting } from './metrics';
import { type RunningWorker, startWorker } from './runtime';
import { drainWorker, stopOnSignals } from './shutdown';
import { whenReachable } from './startup';
import { startTracing } from './telemetry/export';

const config = loadConfigOrExit();
const log = createLogger(config.logLevel, 'worker', logDestination(config.logFormat));
logUnhandledRejections(log);
await installTemporalLogging(log, { port: config.metrics.sdkPort, host: config.api.host });
const address = config.temporal.address ?? `127.0.0.1:${config.temporal.devServer.port}`;
const tracing = startTracing(config.telemetry.otlpEndpoint, 'voucher-switch-worker');

// The probes answer from the start: live, and not ready until the worker polls.
let reporting: ReportingStore | undefined;
let worker: RunningWorker | undefined;
const metrics = createMetrics();
const metricsServer = await serveMetrics(metrics.registry, config.metrics.port, config.api.host, {
  live: () => worker?.probes.live() ?? true,
  ready: () => worker?.probes.ready() ?? Promise.reject(new Error('starting')),
});
watchDependencies(metrics.registry, {
  temporal: () => worker?.temporalHealth() ?? Promise.reject(new Error('not connected yet')),
  reporting_store: () => reporting?.ping() ?? Promise.reject(new Error('not connected yet')),
});
const starting = new AbortController();

stopOnSignals(
  async (signal) => {
    log.info({ signal }, 'stopping: no new tasks; the ones under way finish');
    starting.abort();
    if (worker) await drainWorker(worker);
    await metricsServer.close();
    await reporting?.close();
    await tracing?.shutdown();
  },
  (error) => log.error({ err: error }, 'the worker did not stop cleanly'),
);

reporting = await whenReachable('the reporting store', () => openReportingStore(config.database), log, starting.signal);
const store = reporting;
// The worker delivers the advices, so its scrape target reports their backlog.
watchReporting(metrics.registry, reportingFigures(store.db));
worker = await whenReachable(
  `Temporal at ${address}`,
  () => startWorker(config, address, store, undefined, metrics, tracing),
  log,
  starting.signal,
);
const running = worker;
// A worker that failed for good polls no more: exit, so that Compose or Kubernetes starts another.
running.done.catch((error: unknown) => {
  log.fatal({ err: error }, 'the worker failed; exiting to be restarted');
  process.exit(1);
});
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
