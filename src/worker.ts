/** Runs a worker on its own (`npm run start:worker`), against TEMPORAL_ADDRESS. */
import { loadConfigOrExit } from './config';
import { openReportingStore } from './db/client';
import { createLogger } from './log';
import { startWorker } from './runtime';

const config = loadConfigOrExit();
const log = createLogger(config.logLevel, 'worker');
const address = config.temporal.address ?? `127.0.0.1:${config.temporal.devServer.port}`;
const reporting = await openReportingStore(config.database);
const worker = await startWorker(config, address, reporting);
log.info({ address, taskQueue: config.temporal.taskQueue }, 'worker running');
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await worker.stop();
    await reporting.close();
    process.exit(0);
  });
}
