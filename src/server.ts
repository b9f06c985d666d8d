/**
 * Runs the channel API on its own (`npm run start:api`), against TEMPORAL_ADDRESS. Production:
 * it refuses to start without TLS_CERT_FILE/TLS_KEY_FILE unless ALLOW_PLAIN_HTTP=true.
 */
import { loadConfigOrExit } from './config';
import { openReportingStore } from './db/client';
import { createLogger } from './log';
import { createMetrics } from './metrics';
import { startApi } from './runtime';

const config = loadConfigOrExit({ servesApi: true });
const log = createLogger(config.logLevel, 'api');
const address = config.temporal.address ?? `127.0.0.1:${config.temporal.devServer.port}`;
const reporting = await openReportingStore(config.database);
// The worker reports the SAF backlog: one scrape target per figure.
const api = await startApi(config, address, reporting, log, createMetrics());
log.info({ url: api.server.url, temporal: address }, 'channel API listening');
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await api.stop();
    await reporting.close();
    process.exit(0);
  });
}
