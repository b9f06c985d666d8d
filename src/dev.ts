import { loadConfigOrExit } from './config';
import { openReportingStore } from './db/client';
import { reportingFigures } from './db/queries/operations';
import { listen } from './http-server';
import { createLogger, installTemporalLogging, logDestination, logUnhandledRejections } from './log';
import { createMetrics } from './metrics';
import { createSimulatorApp } from './providers/simulator/app';
import { startApi, startWorker } from './runtime';
import { apiGraceMs, drainWorker, stopOnSignals } from './shutdown';
import { startTracing } from './telemetry/export';
import { startDevServer } from './temporal/dev-server';

// Local development: plain HTTP on 127.0.0.1 unless certificates (or ALLOW_PLAIN_HTTP=false) are set.
// Logs for a person unless LOG_FORMAT=json. The API and the worker share one process, so the API
// starts its transactions eagerly on the worker unless API_WORKER=false.
const config = loadConfigOrExit({
  servesApi: true,
  defaults: { ALLOW_PLAIN_HTTP: 'true', LOG_FORMAT: 'pretty', API_WORKER: 'true' },
});
const destination = logDestination(config.logFormat);
const logger = (component: string) => createLogger(config.logLevel, component, destination);
const log = logger('dev');
logUnhandledRejections(log);
await installTemporalLogging(logger('worker'), { port: config.metrics.sdkPort, host: config.api.host });
const stops: Array<() => Promise<void>> = [];

async function stopAll() {
  for (const stop of stops.reverse()) await stop().catch((error) => log.error({ err: error }, 'stop failed'));
}

try {
  let address = config.temporal.address;
  let uiUrl: string | undefined;
  if (!address) {
    // The Web UI decodes the encrypted payloads through the API's codec endpoint.
    const scheme = config.api.tls ? 'https' : 'http';
    const server = await startDevServer({
      ...config.temporal.devServer,
      namespace: config.temporal.namespace,
      codecEndpoint: `${scheme}://${config.api.host}:${config.api.port}/codec`,
    });
    stops.push(server.stop);
    ({ address, uiUrl } = server);
  }
  const simulator = await listen(createSimulatorApp().app, config.providers.simulatorPort, config.api.host);
  stops.push(simulator.close);
  const reporting = await openReportingStore(config.database);
  stops.push(reporting.close);
  // One process, one registry: the API's /metrics shows the worker's figures too.
  const metrics = createMetrics({ reporting: reportingFigures(reporting.db) });
  const tracing = startTracing(config.telemetry.otlpEndpoint, 'voucher-switch');
  if (tracing) stops.push(tracing.shutdown);
  const worker = await startWorker(config, address, reporting, undefined, metrics, tracing);
  stops.push(() => drainWorker(worker));
  const api = await startApi(
    config,
    address,
    reporting,
    logger('api'),
    metrics,
    tracing,
    config.worker.inApi ? worker : undefined,
  );
  stops.push(async () => {
    // Stopped first: no new requests, and those in flight get their answers while the worker still runs.
    await api.server.close({ graceMs: apiGraceMs(config.api.channelResponseTimeoutMs) });
    await api.stop();
  });

  console.log(`
  Voucher switch is running
    Channel API        ${api.server.url}/suv/v1   (API page: ${api.server.url}/docs, OpenAPI: ${api.server.url}/openapi.json)
    Health             ${api.server.url}/health   (probes: /live, /ready; metrics: ${api.server.url}/metrics${config.metrics.sdkPort ? `, Temporal SDK's: http://${config.api.host}:${config.metrics.sdkPort}/metrics` : ''})
    Operator console   ${api.server.url}/console   (operator / operator)
    Temporal           ${address}${uiUrl ? `\n    Temporal Web UI    ${uiUrl}/namespaces/${config.temporal.namespace}/workflows` : ''}
    Provider simulator ${simulator.url}   (ledger: ${simulator.url}/sim/ledger)
    Reporting store    ${reporting.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${config.database.pgliteDir}`}
  Ctrl-C stops everything.
`);
} catch (error) {
  log.error({ err: error }, 'the switch could not start');
  await stopAll();
  process.exit(1);
}

stopOnSignals(
  async () => {
    console.log('\nStopping…');
    await stopAll();
  },
  (error) => log.error({ err: error }, 'the switch did not stop cleanly'),
);
