/**
 * Runs the channel API on its own (`npm run start:api`), against TEMPORAL_ADDRESS. Production:
 * it refuses to start without TLS_CERT_FILE/TLS_KEY_FILE unless ALLOW_PLAIN_HTTP=true.
 */
import { loadConfigOrExit } from './config';
import { openReportingStore, type ReportingStore } from './db/client';
import { errorDetail, errorKinds } from './domain/errors';
import { listen } from './http-server';
import { createLogger, installTemporalLogging, logDestination, logUnhandledRejections } from './log';
import { createMetrics } from './metrics';
import { type ConnectedApi, connectApi, type RunningWorker, startWorker } from './runtime';
import { apiGraceMs, drainWorker, stopOnSignals } from './shutdown';
import { whenReachable } from './startup';
import { startTracing } from './telemetry/export';

const config = loadConfigOrExit({ servesApi: true });
const log = createLogger(config.logLevel, 'api', logDestination(config.logFormat));
logUnhandledRejections(log);
// API_WORKER: the SDK's logs and metrics, as in a worker process.
if (config.worker.inApi) await installTemporalLogging(log, { port: config.metrics.sdkPort, host: config.api.host });
const address = config.temporal.address ?? `127.0.0.1:${config.temporal.devServer.port}`;
const tracing = startTracing(config.telemetry.otlpEndpoint, 'voucher-switch-api');

/** Until the reporting store is open: live, not ready, and every request refused with nothing done. */
function whileStarting(request: Request): Response {
  const { pathname } = new URL(request.url);
  if (pathname === '/live') return Response.json({ status: 'LIVE' });
  if (pathname === '/ready') return Response.json({ status: 'NOT_READY' }, { status: 503 });
  const refusal = errorDetail('switchStarting', 'The switch is starting; nothing was done. Send the message again.');
  return Response.json(refusal, { status: errorKinds.switchStarting.status });
}

let reporting: ReportingStore | undefined;
let api: ConnectedApi | undefined;
let worker: RunningWorker | undefined;
const server = await listen(
  { fetch: (request, env) => (api ? api.app.fetch(request, env) : whileStarting(request)) },
  config.api.port,
  config.api.host,
  config.api.tls,
);
const starting = new AbortController();

const graceMs = apiGraceMs(config.api.channelResponseTimeoutMs);
stopOnSignals(
  async (signal) => {
    log.info({ signal, graceMs }, 'stopping: no new connections; requests in flight finish');
    starting.abort();
    await server.close({ graceMs });
    await api?.stop();
    if (worker) await drainWorker(worker);
    await reporting?.close();
    await tracing?.shutdown();
  },
  (error) => log.error({ err: error }, 'the API did not stop cleanly'),
);

reporting = await whenReachable('the reporting store', () => openReportingStore(config.database), log, starting.signal);
const store = reporting;
// The worker process reports the SAF backlog: one scrape target per figure.
const metrics = createMetrics();
if (config.worker.inApi) {
  worker = await whenReachable(
    `Temporal at ${address}`,
    () => startWorker(config, address, store, undefined, metrics, tracing),
    log,
    starting.signal,
  );
  // A worker that failed for good polls no more: exit, so that Compose or Kubernetes starts another.
  worker.done.catch((error: unknown) => {
    log.fatal({ err: error }, 'the worker failed; exiting to be restarted');
    process.exit(1);
  });
}
// An API process's own PGlite is not the copy the worker processes write: there, workflows look for earlier runs themselves.
api = connectApi(
  config,
  address,
  store,
  log,
  metrics,
  tracing,
  worker,
  store.kind === 'postgres' || worker !== undefined,
);
log.info({ url: server.url, temporal: address, worker: config.worker.inApi }, 'channel API listening');
