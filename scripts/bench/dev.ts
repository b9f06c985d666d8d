import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../test/helpers/ports';
import { benchProvisionsOpenForMs } from './floor/workflow';
import { childrenOf, type Measured, startNode, waitForHttp } from './processes';

/**
 * `npm run dev` as a new user starts it, the README's first command: one process with the API,
 * the worker, the simulator and the reporting copy in PGlite, and the Temporal dev server it
 * starts. On free ports and in `dir`, without DATABASE_URL or TEMPORAL_ADDRESS, as on a fresh
 * clone; no rate limit, like the production shape's API beside it.
 */
export async function startDev(dir: string): Promise<{ url: string; processes: Measured[]; stop(): Promise<void> }> {
  const [api, simulator, temporal, ui, sdkMetrics] = await Promise.all(Array.from({ length: 5 }, () => freePort()));
  const child = startNode(
    'dev',
    'src/dev.ts',
    {
      PORT: String(api),
      PROVIDER_SIM_PORT: String(simulator),
      PROVIDER_SIM_URL: `http://127.0.0.1:${simulator}`,
      TEMPORAL_DEV_PORT: String(temporal),
      TEMPORAL_UI_PORT: String(ui),
      TEMPORAL_DB_FILE: join(dir, 'dev-temporal.db'),
      PGLITE_DIR: join(dir, 'dev-pglite'),
      TEMPORAL_SDK_METRICS_PORT: String(sdkMetrics),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_SECOND: '0',
      CONFIRMATION_DEADLINE_MS: String(benchProvisionsOpenForMs),
    },
    ['DATABASE_URL', 'TEMPORAL_ADDRESS'],
  );
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT'); // Ctrl-C: the dev command stops its dev server too
    await exited;
  };
  const url = `http://127.0.0.1:${api}`;
  try {
    await waitForHttp(`${url}/ready`, 120_000);
  } catch (error) {
    await stop();
    throw error;
  }
  const pid = child.pid as number;
  const devServer = childrenOf(pid).find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('temporal'));
  return {
    url,
    processes: [{ name: 'dev', pid }, ...(devServer ? [{ name: 'dev-temporal', pid: devServer }] : [])],
    stop,
  };
}
