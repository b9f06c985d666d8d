/**
 * Runs the channel API on its own (`npm run start:api`), against TEMPORAL_ADDRESS. Production:
 * it refuses to start without TLS_CERT_FILE/TLS_KEY_FILE unless ALLOW_PLAIN_HTTP=true.
 */
import { loadConfigOrExit } from './config';
import { openReportingStore } from './db/client';
import { createLogger, logDestination, logUnhandledRejections } from './log';
import { createMetrics } from './metrics';
import { startApi } from './runtime';
import { apiGraceMs, stopOnSignals } from './shutdown';
import { startTracing } from './telemetry/export';

const config = loadConfigOrExit({ servesApi: true });
const log = createLogger(config.logLevel, 'api', logDestination(config.logFormat));
logUnhandledRejections(log);
const address = config.temporal.address ?? `127.0.0.1:${config.temporal.devServer.port}`;
const reporting = await openReportingStore(config.database);
// The worker reports the SAF backlog: one scrape target per figure.
const tracing = startTracing(config.telemetry.otlpEndpoint, 'voucher-switch-api');
const api = await startApi(config, address, reporting, log, createMetrics(), tracing);
log.info({ url: api.server.url, temporal: address }, 'channel API listening');

const graceMs = apiGraceMs(config.api.channelResponseTimeoutMs);
stopOnSignals(
  async (signal) => {
    log.info({ signal, graceMs }, 'stopping: no new connections; requests in flight finish');
    await api.server.close({ graceMs });
    await api.stop();
    await reporting.close();
    await tracing?.shutdown();
  },
  (error) => log.error({ err: error }, 'the API did not stop cleanly'),
);
