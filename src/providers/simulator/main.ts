/** Runs the provider simulator on its own: `npm run start:simulator`. */
import { loadConfig } from '../../config';
import { listen } from '../../http-server';
import { createLogger } from '../../log';
import { createSimulatorApp } from './app';

const config = loadConfig();
const log = createLogger(config.logLevel, 'simulator');
const server = await listen(createSimulatorApp().app, config.providers.simulatorPort, config.api.host);
log.info({ url: server.url }, 'provider simulator listening');
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}
