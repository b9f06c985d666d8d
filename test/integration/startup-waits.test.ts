import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { listen, type RunningServer } from '../../src/http-server';
import { createSimulatorApp } from '../../src/providers/simulator/app';
import { eventually } from '../helpers/eventually';
import { basicAuth, demoChannel, makeProvisionRequest } from '../helpers/fixtures';
import { freePort } from '../helpers/ports';
import { temporaryDatabase, withTarget } from '../helpers/postgres';
import { startSwitchProcess } from '../helpers/switch-process';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

/*
 * Started before what it needs is there (Temporal, the reporting copy's PostgreSQL), a process
 * of the switch waits and tries again, live but not ready, rather than exit into a crash loop;
 * once its dependencies answer, it becomes ready by itself and takes transactions.
 */

const serverUrl = process.env.TEST_DATABASE_URL;
const children: ChildProcess[] = [];
let temporal: TcpProxy;
let simulator: RunningServer;
let env: Record<string, string>;

const probe = async (url: string) => {
  const response = await fetch(url).catch(() => undefined);
  return response?.status;
};

beforeAll(async () => {
  const [host, port] = inject('temporalAddress').split(':');
  temporal = await startTcpProxy({ host: host ?? '127.0.0.1', port: Number(port) });
  simulator = await listen(createSimulatorApp().app, 0);
  env = {
    TEMPORAL_ADDRESS: `127.0.0.1:${temporal.port}`,
    TEMPORAL_TASK_QUEUE: `startup-${randomUUID()}`,
    PROVIDER_SIM_URL: simulator.url,
    PGLITE_DIR: 'memory://',
    TEMPORAL_SDK_METRICS_PORT: '0',
    LOG_LEVEL: 'info',
  };
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all([temporal?.close(), simulator?.close()]);
});

function start(name: string, path: string, extra: Record<string, string>, ready = 'not reachable yet') {
  const process = startSwitchProcess(name, path, { ...env, ...extra }, ready);
  children.push(process.child);
  return process;
}

describe('a process started before Temporal is reachable', () => {
  it('waits, live but not ready, then takes transactions once Temporal answers', async () => {
    temporal.cut();
    const [metricsPort, apiPort] = await Promise.all([freePort(), freePort()]);
    const worker = start('worker', 'worker.ts', { METRICS_PORT: String(metricsPort) });
    // The API connects to Temporal at its first use: it starts, and waits for Temporal there.
    const api = start('api', 'server.ts', { PORT: String(apiPort), ALLOW_PLAIN_HTTP: 'true' }, 'listening');
    await Promise.all([worker.started, api.started]);
    // Tried again, with a longer pause each time, and still running.
    await worker.saw('"attempt":3');
    expect(worker.child.exitCode).toBeNull();
    expect(await probe(`http://127.0.0.1:${metricsPort}/live`)).toBe(200);
    expect(await probe(`http://127.0.0.1:${metricsPort}/ready`)).toBe(503);
    expect(await probe(`http://127.0.0.1:${apiPort}/live`)).toBe(200);
    expect(await probe(`http://127.0.0.1:${apiPort}/ready`)).toBe(503);
    expect(api.child.exitCode).toBeNull();

    temporal.restore();
    await eventually(
      async () => ((await probe(`http://127.0.0.1:${metricsPort}/ready`)) === 200 ? true : undefined),
      60_000,
    );
    await eventually(
      async () => ((await probe(`http://127.0.0.1:${apiPort}/ready`)) === 200 ? true : undefined),
      60_000,
    );
    const response = await fetch(`http://127.0.0.1:${apiPort}/suv/v1/vouchers`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: basicAuth(demoChannel.clientId, demoChannel.password),
      },
      body: JSON.stringify(makeProvisionRequest()),
    });
    expect(response.status).toBe(201);
  }, 120_000);
});

describe.skipIf(!serverUrl)('a process started before the reporting database is reachable', () => {
  it('waits, live but not ready, then runs once the database answers', async () => {
    const database = await temporaryDatabase(serverUrl as string, 'startup');
    const target = new URL(database.url);
    const postgres = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    try {
      postgres.cut();
      const [metricsPort, apiPort] = await Promise.all([freePort(), freePort()]);
      const DATABASE_URL = withTarget(database.url, { port: postgres.port });
      const worker = start('worker-pg', 'worker.ts', { METRICS_PORT: String(metricsPort), DATABASE_URL });
      const api = start('api-pg', 'server.ts', { PORT: String(apiPort), ALLOW_PLAIN_HTTP: 'true', DATABASE_URL });
      await Promise.all([worker.started, api.started]);
      await Promise.all([worker.saw('"attempt":3'), api.saw('"attempt":3')]);
      expect([worker.child.exitCode, api.child.exitCode]).toEqual([null, null]);
      for (const url of [`http://127.0.0.1:${metricsPort}`, `http://127.0.0.1:${apiPort}`]) {
        expect(await probe(`${url}/live`)).toBe(200);
        expect(await probe(`${url}/ready`)).toBe(503);
      }
      // A channel's message meanwhile is refused, with nothing done, and may be sent again.
      const refused = await fetch(`http://127.0.0.1:${apiPort}/suv/v1/vouchers`, { method: 'POST', body: '{}' });
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ errorType: 'GENERAL_ERROR' });

      postgres.restore();
      for (const url of [`http://127.0.0.1:${metricsPort}`, `http://127.0.0.1:${apiPort}`])
        await eventually(async () => ((await probe(`${url}/ready`)) === 200 ? true : undefined), 60_000);
    } finally {
      await postgres.close();
      await database.drop();
    }
  }, 120_000);
});
