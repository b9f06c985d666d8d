/** Runs the channel API on its own (`npm run start:api`), against TEMPORAL_ADDRESS. */
import { loadConfigOrExit } from './config';
import { openReportingStore } from './db/client';
import { createLogger } from './log';
import { startApi } from './runtime';

const config = loadConfigOrExit();
const log = createLogger(config.logLevel, 'api');
const address = config.temporal.address ?? `127.0.0.1:${config.temporal.devServer.port}`;
const reporting = await openReportingStore(config.database);
const api = await startApi(config, address, reporting, log);
log.info({ url: api.server.url, temporal: address }, 'channel API listening');
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await api.stop();
    await reporting.close();
    process.exit(0);
  });
}
